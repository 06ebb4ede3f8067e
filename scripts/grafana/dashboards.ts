// The Grafana dashboards, as code: `node --import tsx scripts/grafana/dashboards.ts` writes
// grafana/dashboards/*.json (provisioned by grafana/provisioning/dashboards/strata.yaml). Edit here,
// regenerate, commit both; test/observability.test.ts fails when the JSON files and this drift apart,
// and runs every query below against a Prometheus scraping a live Strata.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The data source every panel uses: provisioned by grafana/provisioning/datasources/prometheus.yaml. */
export const DATASOURCE = { type: 'prometheus', uid: 'strata-prometheus' } as const;

type Json = Record<string, unknown>;

interface Query {
  expr: string;
  legend?: string;
  /** Instant query (tables, bar gauges). */
  instant?: boolean;
}

interface PanelSpec {
  title: string;
  description: string;
  type: 'timeseries' | 'stat' | 'bargauge' | 'table';
  unit: string;
  queries: Query[];
  /** Width in grid columns (24 per row) and height in rows. */
  w?: number;
  h?: number;
  decimals?: number;
  min?: number;
  /** Stacked series (timeseries). */
  stack?: boolean;
  thresholds?: { value: number; color: string }[];
}

type Item = PanelSpec | { row: string };

interface VariableSpec {
  name: string;
  label: string;
  /** label_values(...) query. */
  query: string;
}

interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: VariableSpec[];
  items: Item[];
}

const TOPOLOGY: VariableSpec = { name: 'topology', label: 'Topology', query: 'label_values(strata_topology_up, topology)' };
const OPERATOR: VariableSpec = { name: 'operator', label: 'Operator', query: 'label_values(strata_records_in_total{topology=~"$topology"}, operator)' };
const TOPIC_SOURCE: VariableSpec = { name: 'source', label: 'Topic source', query: 'label_values(strata_topic_messages_total{topology=~"$topology"}, source)' };

const T = 'topology=~"$topology"';
const TO = 'topology=~"$topology", operator=~"$operator"';
const TS = 'topology=~"$topology", source=~"$source"';
const RI = '$__rate_interval';

const q = (expr: string, legend?: string): Query => ({ expr, legend });
const instant = (expr: string, legend?: string): Query => ({ expr, legend, instant: true });
const quantiles = (metric: string, by: string, sel: string, legend: string): Query[] =>
  ([0.5, 0.95, 0.99] as const).map((p) => q(`histogram_quantile(${p}, sum by (le, ${by}) (rate(${metric}_bucket{${sel}}[${RI}])))`, `p${p * 100} ${legend}`));

const OVERVIEW: DashboardSpec = {
  uid: 'strata-overview',
  title: 'Strata — Overview',
  description: 'Is Strata healthy and is data flowing? Topologies, throughput, latency, rejects, freshness, sources and the process.',
  variables: [TOPOLOGY],
  items: [
    { row: 'At a glance' },
    { type: 'stat', title: 'Topologies running', unit: 'none', w: 4, h: 4, description: 'Topologies running in Strata (strata_topology_up).', queries: [instant(`sum(strata_topology_up{${T}})`)] },
    { type: 'stat', title: 'Records written per second', unit: 'recps', w: 4, h: 4, description: 'Rows written to Bronze, Silver and Gold tables by every operator, per second.', queries: [q(`sum(rate(strata_records_out_total{${T}}[${RI}]))`)] },
    { type: 'stat', title: 'Rejected records per second', unit: 'recps', w: 4, h: 4, description: 'Records quarantined by a quality rule or dead-lettered by a source, per second.', queries: [q(`sum(rate(strata_records_rejected_total{${T}}[${RI}]))`)] },
    { type: 'stat', title: 'Batches in flight', unit: 'none', w: 4, h: 4, description: 'Batches loaded and not yet committed.', queries: [instant(`sum(strata_batches_in_flight{${T}})`)] },
    {
      type: 'stat', title: 'Oldest gold table (time since last write)', unit: 's', w: 4, h: 4,
      description: 'Data freshness: the gold table whose newest partition was written longest ago. Above a couple of hours, new data has stopped arriving.',
      queries: [instant('max(strata_gold_partition_age_seconds)')],
      thresholds: [{ value: 0, color: 'green' }, { value: 7200, color: 'orange' }, { value: 21600, color: 'red' }],
    },
    { type: 'stat', title: 'Memory in use (RSS)', unit: 'bytes', w: 4, h: 4, description: 'Resident memory of the Strata process.', queries: [instant('sum(strata_process_resident_memory_bytes)')] },
    { row: 'Throughput and latency' },
    { type: 'timeseries', title: 'Records written per second, by topology', unit: 'recps', description: 'Rows written by every operator of a topology, per second.', queries: [q(`sum by (topology) (rate(strata_records_out_total{${T}}[${RI}]))`, '{{topology}}')] },
    { type: 'timeseries', title: 'Batch latency (source to commit), by topology', unit: 's', description: 'Time from a source handing over a batch until every operator and sink committed it: median and 95th percentile.', queries: [q(`histogram_quantile(0.5, sum by (le, topology) (rate(strata_batch_duration_seconds_bucket{${T}}[${RI}])))`, 'p50 {{topology}}'), q(`histogram_quantile(0.95, sum by (le, topology) (rate(strata_batch_duration_seconds_bucket{${T}}[${RI}])))`, 'p95 {{topology}}')] },
    { type: 'timeseries', title: 'Batches per second, by outcome', unit: 'suffix: batches/s', stack: true, description: 'Source batches committed (ok) or failed after their retries (failed).', queries: [q(`sum by (topology, status) (rate(strata_batches_total{${T}}[${RI}]))`, '{{topology}} {{status}}')] },
    { type: 'timeseries', title: 'Time since the last committed batch', unit: 's', description: 'Seconds since each topology last committed a batch. A scheduled source commits once per run; a topic whenever messages arrive.', queries: [q(`time() - max by (topology) (strata_last_batch_timestamp_seconds{${T}})`, '{{topology}}')] },
    { row: 'Sources' },
    { type: 'timeseries', title: 'HTTP requests per second, by client and status', unit: 'reqps', stack: true, description: 'Every attempt to the Open-Meteo API and the TLC file host, retries included; status "error" means no response arrived (timeout, connection refused).', queries: [q(`sum by (client, status) (rate(strata_http_client_requests_total[${RI}]))`, '{{client}} {{status}}')] },
    { type: 'timeseries', title: 'HTTP retries and failed requests', unit: 'reqps', description: 'Retries of a failed attempt, and requests that failed for good (retries exhausted, or a 4xx not worth retrying), per second.', queries: [q(`sum by (client) (rate(strata_http_client_retries_total[${RI}]))`, 'retries {{client}}'), q(`sum by (client, status) (rate(strata_http_client_errors_total[${RI}]))`, 'failed {{client}} {{status}}')] },
    { type: 'timeseries', title: 'HTTP request duration (95th percentile)', unit: 's', description: 'Duration of one HTTP attempt, body included.', queries: [q(`histogram_quantile(0.95, sum by (le, client) (rate(strata_http_client_request_duration_seconds_bucket[${RI}])))`, '{{client}}')] },
    { type: 'stat', title: 'Time since the last successful scheduled run', unit: 's', description: 'For each scheduled source (a poller): seconds since its last run that fetched every location.', queries: [instant(`time() - max by (topology, source) (strata_scheduled_run_last_success_timestamp_seconds{${T}})`, '{{topology}}.{{source}}')], thresholds: [{ value: 0, color: 'green' }, { value: 7200, color: 'orange' }, { value: 14400, color: 'red' }] },
    { row: 'Process' },
    { type: 'timeseries', title: 'CPU used', unit: 'percentunit', w: 8, description: 'CPU time used by the Strata process per second of wall time (1 = one full core).', queries: [q(`sum(rate(strata_process_cpu_seconds_total[${RI}]))`, 'cpu')] },
    { type: 'timeseries', title: 'Memory', unit: 'bytes', w: 8, description: 'Resident memory of the process, and the V8 heap in use (Arrow buffers and DuckDB live outside the heap).', queries: [q('sum(strata_process_resident_memory_bytes)', 'resident'), q('sum(strata_nodejs_heap_size_used_bytes)', 'JS heap used')] },
    { type: 'timeseries', title: 'Event-loop lag (99th percentile)', unit: 's', w: 8, description: 'How late timers and I/O callbacks run: high values mean the process is busy on the CPU (long synchronous work).', queries: [q('max(strata_nodejs_eventloop_lag_p99_seconds)', 'p99 lag')] },
    { type: 'timeseries', title: 'Time spent in garbage collection', unit: 'percentunit', w: 12, description: 'Share of wall time spent in GC pauses, by kind.', queries: [q(`sum by (kind) (rate(strata_nodejs_gc_duration_seconds_sum[${RI}]))`, '{{kind}}')] },
    { type: 'table', title: 'Strata version', unit: 'none', w: 12, description: 'The running Strata and Node.js versions, per instance.', queries: [instant('max by (instance, version, node) (strata_build_info)')] },
  ],
};

const TOPOLOGY_DASH: DashboardSpec = {
  uid: 'strata-topology',
  title: 'Strata — Topology throughput and latency',
  description: 'Per topology and operator: records in and out, operator and batch latency, batch sizes, in-flight batches.',
  variables: [TOPOLOGY, OPERATOR],
  items: [
    { row: 'Records' },
    { type: 'timeseries', title: 'Records in per second, by operator', unit: 'recps', description: 'Rows each operator received from its input, per second.', queries: [q(`sum by (topology, operator) (rate(strata_records_in_total{${TO}}[${RI}]))`, '{{topology}}.{{operator}}')] },
    { type: 'timeseries', title: 'Records out per second, by operator', unit: 'recps', description: 'Rows each operator wrote to its table, per second.', queries: [q(`sum by (topology, operator) (rate(strata_records_out_total{${TO}}[${RI}]))`, '{{topology}}.{{operator}}')] },
    { type: 'table', title: 'Records in and out over the time range', unit: 'short', w: 24, description: 'Rows received and written by each operator within the dashboard time range.', queries: [instant(`sum by (topology, operator) (increase(strata_records_in_total{${TO}}[$__range]))`, 'in'), instant(`sum by (topology, operator) (increase(strata_records_out_total{${TO}}[$__range]))`, 'out')] },
    { row: 'Latency' },
    { type: 'timeseries', title: 'Operator time per batch (95th percentile)', unit: 's', description: 'Time one operator spends on one batch (SQL and table write), 95th percentile.', queries: [q(`histogram_quantile(0.95, sum by (le, topology, operator) (rate(strata_operator_batch_duration_seconds_bucket{${TO}}[${RI}])))`, '{{topology}}.{{operator}}')] },
    { type: 'timeseries', title: 'Operator time per batch (mean)', unit: 's', description: 'Average time an operator spends on one batch.', queries: [q(`sum by (topology, operator) (rate(strata_operator_batch_duration_seconds_sum{${TO}}[${RI}])) / sum by (topology, operator) (rate(strata_operator_batch_duration_seconds_count{${TO}}[${RI}]))`, '{{topology}}.{{operator}}')] },
    { type: 'timeseries', title: 'Batch latency, source to commit', unit: 's', description: 'Time from a source handing over a batch until it is committed: median, 95th and 99th percentile.', queries: quantiles('strata_batch_duration_seconds', 'topology', T, '{{topology}}') },
    { type: 'timeseries', title: 'Share of operator time, by operator', unit: 'percentunit', stack: true, description: 'Where batch time goes: each operator\'s seconds per second of wall time.', queries: [q(`sum by (topology, operator) (rate(strata_operator_batch_duration_seconds_sum{${TO}}[${RI}]))`, '{{topology}}.{{operator}}')] },
    { row: 'Batches' },
    { type: 'timeseries', title: 'Batch size (records per source batch)', unit: 'suffix: records', description: 'Records per batch handed over by the sources: median and 95th percentile.', queries: [q(`histogram_quantile(0.5, sum by (le, topology) (rate(strata_batch_rows_bucket{${T}}[${RI}])))`, 'p50 {{topology}}'), q(`histogram_quantile(0.95, sum by (le, topology) (rate(strata_batch_rows_bucket{${T}}[${RI}])))`, 'p95 {{topology}}')] },
    { type: 'timeseries', title: 'Batches in flight', unit: 'suffix: batches', w: 8, description: 'Batches loaded and not yet committed (at most one per source: back-pressure).', queries: [q(`sum by (topology) (strata_batches_in_flight{${T}})`, '{{topology}}')] },
    { type: 'timeseries', title: 'Batches per second, by outcome', unit: 'suffix: batches/s', w: 8, description: 'Committed (ok) and failed batches per second.', queries: [q(`sum by (topology, status) (rate(strata_batches_total{${T}}[${RI}]))`, '{{topology}} {{status}}')] },
    { type: 'stat', title: 'Failed batches in the time range', unit: 'suffix: batches', w: 8, description: 'Batches an operator failed on after its retries (not acknowledged: a topic re-delivers them, a poller re-fetches on its next run).', queries: [instant(`sum by (topology) (increase(strata_batches_total{${T}, status="failed"}[$__range]))`, '{{topology}}')], thresholds: [{ value: 0, color: 'green' }, { value: 1, color: 'red' }] },
    { type: 'timeseries', title: 'Failed operator attempts per second, by cause', unit: 'suffix: attempts/s', w: 24, description: 'Attempts an operator failed on; the batch is retried with back-off until it commits, so this rises during a fault (cause "operator": the SQL or code; "warehouse": the disk) while nothing is lost.', queries: [q(`sum by (topology, operator, cause) (rate(strata_operator_failures_total{${TO}}[${RI}]))`, '{{topology}} {{operator}}: {{cause}}')] },
  ],
};

const QUALITY: DashboardSpec = {
  uid: 'strata-data-quality',
  title: 'Strata — Data quality and dead letters',
  description: 'Records rejected by quality rules (quarantine tables) and messages dead-lettered by sources, by reason.',
  variables: [TOPOLOGY],
  items: [
    { row: 'Quality rules (quarantine)' },
    { type: 'timeseries', title: 'Rejected records per second, by reason', unit: 'recps', stack: true, description: 'Records rejected by a quality rule (written to a *_rejected table with their reason) or dead-lettered, per second.', queries: [q(`sum by (topology, reason) (rate(strata_records_rejected_total{${T}}[${RI}]))`, '{{topology}}: {{reason}}')] },
    { type: 'bargauge', title: 'Rejected records in the time range, by reason', unit: 'suffix: records', description: 'Which rules reject the most, within the dashboard time range.', queries: [instant(`sort_desc(sum by (topology, reason) (increase(strata_records_rejected_total{${T}}[$__range])))`, '{{topology}}: {{reason}}')] },
    { type: 'table', title: 'Rejected records since the start, by operator and reason', unit: 'suffix: records', w: 24, description: 'Totals since Strata started, per topology, operator (or source, for dead letters) and reason.', queries: [instant(`sum by (topology, operator, reason) (strata_records_rejected_total{${T}})`)] },
    { row: 'Dead letters' },
    { type: 'timeseries', title: 'Dead letters per second, by source and reason', unit: 'mps', description: 'Messages a source could not decode or validate, written to the dead-letter table (and topic) with their reason.', queries: [q(`sum by (topology, source, reason) (rate(strata_dead_letters_total{${T}}[${RI}]))`, '{{topology}}.{{source}}: {{reason}}')] },
    { type: 'stat', title: 'Dead letters in the time range', unit: 'suffix: messages', description: 'Messages dead-lettered within the dashboard time range, per topology.', queries: [instant(`sum by (topology) (increase(strata_dead_letters_total{${T}}[$__range]))`, '{{topology}}')] },
    { type: 'timeseries', title: 'Topic messages per second: ok vs dead-lettered', unit: 'mps', stack: true, description: 'Messages consumed from topics and committed, split by result.', queries: [q(`sum by (topology, source, result) (rate(strata_topic_messages_total{${T}}[${RI}]))`, '{{topology}}.{{source}} {{result}}')] },
    { type: 'stat', title: 'Share of topic messages dead-lettered (time range)', unit: 'percentunit', decimals: 2, description: 'Dead-lettered messages as a share of all messages consumed within the time range.', queries: [instant(`sum by (topology) (increase(strata_topic_messages_total{${T}, result="dead_letter"}[$__range])) / sum by (topology) (increase(strata_topic_messages_total{${T}}[$__range]))`, '{{topology}}')], thresholds: [{ value: 0, color: 'green' }, { value: 0.01, color: 'orange' }, { value: 0.05, color: 'red' }] },
  ],
};

const RUNS: DashboardSpec = {
  uid: 'strata-runs',
  title: 'Strata — Scheduled runs, backfills and Spark escalations',
  description: 'Scheduled polls, backfill runs and chunks (by status, rows, duration), and backfills escalated to Spark, from the run history.',
  variables: [TOPOLOGY],
  items: [
    { row: 'Scheduled runs' },
    { type: 'bargauge', title: 'Scheduled runs by outcome (run history)', unit: 'suffix: runs', description: 'Scheduled runs recorded in the run history: ok, failed (some requests failed for good), skipped (the previous run was still going).', queries: [instant(`sum by (topology, source, status) (strata_scheduled_runs_total{${T}})`, '{{topology}}.{{source}} {{status}}')] },
    { type: 'timeseries', title: 'Scheduled run duration', unit: 's', description: 'Time from a scheduled tick until its batches were committed (mean over the interval).', queries: [q(`sum by (topology, source) (rate(strata_scheduled_run_duration_seconds_sum{${T}}[${RI}])) / sum by (topology, source) (rate(strata_scheduled_run_duration_seconds_count{${T}}[${RI}]))`, '{{topology}}.{{source}}')] },
    { type: 'stat', title: 'Records fetched by scheduled runs', unit: 'suffix: records', description: 'Records the scheduled runs fetched, per source (run history).', queries: [instant(`sum by (topology, source) (strata_scheduled_run_rows_total{${T}})`, '{{topology}}.{{source}}')] },
    { row: 'Backfills' },
    { type: 'bargauge', title: 'Backfill chunks by outcome (run history)', unit: 'suffix: chunks', description: 'Backfill chunks recorded in the run history, by engine and outcome: ok, failed after retries, skipped (done by an earlier run, --resume), cancelled.', queries: [instant(`sum by (topology, engine, status) (strata_backfill_chunks_total{${T}})`, '{{topology}} {{engine}} {{status}}')] },
    { type: 'timeseries', title: 'Backfill chunks completed, by outcome', unit: 'suffix: chunks', stack: true, description: 'Chunks that ended within each interval, by outcome.', queries: [q(`sum by (topology, status) (increase(strata_backfill_chunks_total{${T}}[${RI}]))`, '{{topology}} {{status}}')] },
    { type: 'timeseries', title: 'Backfill chunk duration (95th percentile)', unit: 's', description: 'Time a chunk took, retries included.', queries: [q(`histogram_quantile(0.95, sum by (le, topology, engine) (rate(strata_backfill_chunk_duration_seconds_bucket{${T}}[${RI}])))`, '{{topology}} {{engine}}')] },
    { type: 'bargauge', title: 'Rows processed by backfills', unit: 'suffix: rows', description: 'Source records read (in), rows written (out) and rows rejected by backfill chunks (run history).', queries: [instant(`sum by (topology, stage) (strata_backfill_rows_total{${T}})`, '{{topology}} {{stage}}')] },
    { type: 'stat', title: 'Time since the last successful backfill chunk', unit: 's', description: 'Per topology: how long ago a backfill chunk last completed successfully.', queries: [instant(`time() - max by (topology) (strata_backfill_last_success_timestamp_seconds{${T}})`, '{{topology}}')] },
    { type: 'stat', title: 'Backfill chunk retries', unit: 'suffix: retries', description: 'Chunk attempts beyond the first (a chunk failed and was tried again), per topology.', queries: [instant(`sum by (topology) (strata_backfill_chunk_retries_total{${T}})`, '{{topology}}')] },
    { type: 'bargauge', title: 'Backfill runs by outcome', unit: 'suffix: runs', description: 'Whole backfill runs (all their chunks) by engine and outcome.', queries: [instant(`sum by (topology, engine, status) (strata_backfill_runs_total{${T}})`, '{{topology}} {{engine}} {{status}}')] },
    { row: 'Spark escalations' },
    { type: 'bargauge', title: 'Backfills escalated to Spark, by outcome', unit: 'suffix: escalations', description: 'Large backfills run on Spark/YARN instead of in-process DuckDB, by outcome (ok, failed, cancelled).', queries: [instant(`sum by (topology, outcome) (strata_spark_escalations_total{${T}})`, '{{topology}} {{outcome}}')] },
    { type: 'timeseries', title: 'Spark escalations over time', unit: 'suffix: escalations', description: 'Escalations that ended within each interval, by outcome.', queries: [q(`sum by (topology, outcome) (increase(strata_spark_escalations_total{${T}}[${RI}]))`, '{{topology}} {{outcome}}')] },
  ],
};

const KAFKA: DashboardSpec = {
  uid: 'strata-kafka',
  title: 'Strata — Kafka consumers',
  description: 'Topic sources: consumer lag per topic and partition, consumption, commits, rebalances and dead letters.',
  variables: [TOPOLOGY, TOPIC_SOURCE],
  items: [
    { row: 'Lag' },
    { type: 'timeseries', title: 'Consumer lag per partition', unit: 'suffix: messages', description: 'Messages still to read in each partition after the last fetch. Growing lag means Strata consumes slower than producers write.', queries: [q(`sum by (topology, source, topic, partition) (strata_consumer_lag_messages{${TS}})`, '{{topology}}.{{source}} {{topic}}/{{partition}}')] },
    { type: 'stat', title: 'Total consumer lag', unit: 'suffix: messages', description: 'Messages behind, summed over partitions, per topic source.', queries: [instant(`sum by (topology, source) (strata_consumer_lag_messages{${TS}})`, '{{topology}}.{{source}}')], thresholds: [{ value: 0, color: 'green' }, { value: 10000, color: 'orange' }, { value: 100000, color: 'red' }] },
    { row: 'Consumption' },
    { type: 'timeseries', title: 'Messages consumed per second, by result', unit: 'mps', stack: true, description: 'Messages committed per second: ok, or dead_letter (undecodable or invalid, written to the dead-letter table and topic).', queries: [q(`sum by (topology, source, result) (rate(strata_topic_messages_total{${TS}}[${RI}]))`, '{{topology}}.{{source}} {{result}}')] },
    { type: 'stat', title: 'Messages dead-lettered (time range)', unit: 'suffix: messages', description: 'Messages dead-lettered by topic sources within the time range.', queries: [instant(`sum by (topology, source) (increase(strata_topic_messages_total{${TS}, result="dead_letter"}[$__range]))`, '{{topology}}.{{source}}')] },
    { row: 'Group membership' },
    { type: 'timeseries', title: 'Offset commits per second, by result', unit: 'suffix: commits/s', description: 'Offsets committed after a batch was written (ok), or lost because the partition moved to another member during a rebalance (its new owner re-delivers the range).', queries: [q(`sum by (topology, source, result) (rate(strata_consumer_commits_total{${TS}}[${RI}]))`, '{{topology}}.{{source}} {{result}}')] },
    { type: 'stat', title: 'Consumer group rebalances (time range)', unit: 'suffix: rebalances', description: 'Times a consumer (re)joined its group and got partitions assigned, within the time range. Frequent rebalances stall consumption.', queries: [instant(`sum by (topology, source) (increase(strata_consumer_rebalances_total{${TS}}[$__range]))`, '{{topology}}.{{source}}')] },
  ],
};

export const DASHBOARDS: readonly DashboardSpec[] = [OVERVIEW, TOPOLOGY_DASH, QUALITY, RUNS, KAFKA];

function variable(v: VariableSpec): Json {
  return {
    name: v.name,
    label: v.label,
    type: 'query',
    datasource: DATASOURCE,
    query: { query: v.query, refId: 'StandardVariableQuery' },
    definition: v.query,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    regex: '',
    sort: 1,
    hide: 0,
  };
}

function panel(p: PanelSpec, id: number, gridPos: Json): Json {
  const thresholds = { mode: 'absolute', steps: (p.thresholds ?? [{ value: 0, color: 'green' }]).map((t, i) => ({ color: t.color, value: i === 0 ? null : t.value })) };
  const defaults: Json = { unit: p.unit, thresholds, color: { mode: p.type === 'timeseries' ? 'palette-classic' : 'thresholds' }, ...(p.decimals !== undefined ? { decimals: p.decimals } : {}) };
  if (p.type === 'timeseries') {
    defaults.custom = { drawStyle: 'line', lineWidth: 1, fillOpacity: p.stack ? 30 : 10, showPoints: 'never', spanNulls: true, stacking: { mode: p.stack ? 'normal' : 'none', group: 'A' } };
  }
  const options: Json =
    p.type === 'timeseries'
      ? { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } }
      : p.type === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'auto', orientation: 'auto', justifyMode: 'auto' }
        : p.type === 'bargauge'
          ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true }
          : { showHeader: true, cellHeight: 'sm' };
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults, overrides: [] },
    options,
    ...(p.type === 'table' ? { transformations: [{ id: 'labelsToFields', options: {} }, { id: 'merge', options: {} }, { id: 'organize', options: { excludeByName: { Time: true } } }] } : {}),
    targets: p.queries.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: t.expr,
      legendFormat: t.legend ?? '__auto',
      range: !(t.instant || p.type === 'table'),
      instant: Boolean(t.instant || p.type === 'table'),
      ...(p.type === 'table' ? { format: 'table' } : {}),
    })),
  };
}

/** The Grafana dashboard JSON for one spec: panels laid out left to right on a 24-column grid. */
export function dashboardJson(d: DashboardSpec): Json {
  const panels: Json[] = [];
  let id = 1;
  let x = 0;
  let y = 0;
  let rowH = 0;
  for (const item of d.items) {
    if ('row' in item) {
      if (x > 0) {
        y += rowH;
        x = 0;
        rowH = 0;
      }
      panels.push({ id: id++, type: 'row', title: item.row, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
      y += 1;
      continue;
    }
    const w = item.w ?? 12;
    const h = item.h ?? 8;
    if (x + w > 24) {
      y += rowH;
      x = 0;
      rowH = 0;
    }
    panels.push(panel(item, id++, { h, w, x, y }));
    x += w;
    rowH = Math.max(rowH, h);
  }
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['strata'],
    editable: true,
    graphTooltip: 1,
    timezone: 'browser',
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    annotations: { list: [] },
    links: [{ title: 'Strata dashboards', type: 'dashboards', tags: ['strata'], asDropdown: true, includeVars: true, keepTime: true, icon: 'external link', targetBlank: false, tooltip: '', url: '' }],
    templating: { list: d.variables.map(variable) },
    panels,
  };
}

/** File name → JSON text, as committed under grafana/dashboards/. */
export function renderDashboards(): Map<string, string> {
  return new Map(DASHBOARDS.map((d) => [`${d.uid}.json`, `${JSON.stringify(dashboardJson(d), null, 2)}\n`]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = fileURLToPath(new URL('../../grafana/dashboards/', import.meta.url));
  await mkdir(dir, { recursive: true });
  for (const [name, text] of renderDashboards()) {
    await writeFile(join(dir, name), text);
    console.log(`wrote grafana/dashboards/${name}`);
  }
}
