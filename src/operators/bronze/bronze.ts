import { ident, lit } from '../../duckdb/instance.ts';
import type { OperatorOutput } from '../../core/batch.ts';
import { relationName, type BatchContext, type Operator } from '../operator.ts';
import type { BronzeOperatorSpec } from './spec.ts';

/**
 * Bronze: lands every record as received plus lineage (_source, _ingested_at, _batch_id,
 * _position). Append-only, one file per batch and partition named by the batch id, so a
 * re-delivered batch overwrites its own file instead of duplicating rows.
 */
export class BronzeOperator implements Operator {
  readonly kind = 'bronze';
  readonly table: string;

  constructor(readonly name: string, private readonly spec: BronzeOperatorSpec) {
    this.table = spec.table;
  }


  async process(ctx: BatchContext, input: OperatorOutput): Promise<OperatorOutput> {
    const out = relationName(this.name);
    if (!input.relation || input.rows === 0) return { rows: 0, partitions: [], table: this.table };
    const m = ctx.meta;
    // A source that groups several re-deliverable ranges into one batch (a Kafka fetch across
    // partitions) names each row's range in _batch_id/_position; otherwise the batch names them all.
    const cols = (await ctx.conn.runAndReadAll(`DESCRIBE ${ident(input.relation)}`)).getRowsJS().map((r) => String(r[0]));
    const perRow = cols.includes('_batch_id');
    // A view, not a copy: the batch is already a temp table, and the lineage columns are constants
    // or renames, so writing Bronze and reading it in Silver need no second materialised batch.
    await ctx.conn.run(
      `CREATE OR REPLACE TEMP VIEW ${ident(out)} AS SELECT * ${perRow ? `EXCLUDE (_batch_id${cols.includes('_position') ? ', _position' : ''})` : ''},
         ${lit(m.source)} AS _source,
         make_timestamp(${m.createdAt * 1000}::BIGINT) AS _ingested_at,
         ${perRow ? '_batch_id' : lit(m.batchId)} AS _batch_id,
         ${perRow && cols.includes('_position') ? '_position' : lit(m.position?.describe ?? '')} AS _position,
         CAST(${this.spec.partition_expr} AS DATE) AS ${ident(this.spec.partition_by)}
       FROM ${ident(input.relation)}`,
    );
    const partitions = await ctx.warehouse.append(ctx.conn, out, this.table, { partitionBy: this.spec.partition_by, batchId: m.batchId });
    return { relation: out, view: true, rows: input.rows, partitions, table: this.table };
  }
}
