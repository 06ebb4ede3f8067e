import { defineOperator } from '../operator.ts';
import { BronzeOperator } from './bronze.ts';
import { BronzeOperatorConfig } from './spec.ts';

export const bronzeOperator = defineOperator({
  type: 'bronze',
  summary: 'Lands every record as received, with lineage columns (_source, _ingested_at, _batch_id, and the source position).',
  description: [
    'Bronze is the record as the source delivered it, plus where it came from: `_source` (the source node), `_ingested_at`, `_batch_id` (the re-deliverable range it arrived in) and `_position` (e.g. `kafka:topic/partition@first..last`), partitioned by the DATE `partition_expr` gives.',
    'It is append-only and idempotent: one file per batch and partition, named by the batch id, so a re-delivered batch (after a crash, a rebalance, or a re-run backfill chunk) replaces its own rows instead of adding copies.',
  ].join('\n\n'),
  config: BronzeOperatorConfig,
  reads: 'sources',
  examples: [
    {
      title: 'Air-quality readings from a poller or a topic, by UTC day',
      yaml: `bronze:\n  type: bronze\n  inputs: [readings, readings_kafka]\n  table: bronze.open_meteo_air_quality\n  partition_by: date\n  partition_expr: CAST(ts_utc AS DATE)`,
    },
  ],
  describe: (s) => `bronze → ${s.table}`,
  writes: (s) => ({ table: s.table, partitionBy: s.partition_by }),
  build: (name, spec) => new BronzeOperator(name, spec),
});
