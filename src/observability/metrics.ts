import { readFileSync } from 'node:fs';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunRecord } from '../core/runs.ts';
import type { TableFreshness } from './freshness.ts';

/** Outcomes a run can end with, initialised to 0 so dashboards show a zero rather than "no data". */
const CHUNK_STATUSES = ['ok', 'failed', 'skipped', 'cancelled'] as const;
const RUN_STATUSES = ['ok', 'failed', 'cancelled'] as const;
const SCHEDULED_STATUSES = ['ok', 'failed', 'skipped'] as const;

const GC_METRIC = 'strata_nodejs_gc_duration_seconds';
const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * prom-client's default gauges that end in `_total`, which `promtool check metrics` rejects (only
 * counters may). They are dropped: the per-type gauges (`strata_nodejs_active_handles{type}`,
 * `strata_nodejs_active_resources{type}`) carry the same numbers — sum them for the total.
 */
const DROPPED_DEFAULTS = ['strata_nodejs_active_handles_total', 'strata_nodejs_active_requests_total', 'strata_nodejs_active_resources_total'];

/**
 * Strata's metrics, all prefixed `strata_`, one registry per process. Every metric has a help text
 * a user can read on /metrics; label values are closed sets (topology, operator, source and table
 * names, statuses), never ids. The default process metrics are prefixed too (`strata_process_*`,
 * `strata_nodejs_*`: memory, CPU, event-loop lag, GC).
 *
 * Who increments what:
 * - pipeline (per topology/operator/batch): src/runtime/pipeline.ts
 * - HTTP clients: the `onRequest`/`onFailure` hooks wired in src/runtime/build.ts
 * - scheduled runs, backfill chunks and runs, Spark escalations: {@link observeRun}, fed with every
 *   run record — by the process that runs it, and by the service tailing `_state/runs.jsonl`, so a
 *   `strata backfill` in another process (or a Spark job that records its run) shows up too
 * - Kafka consumer metrics: the topic source and transport (src/sources/topic, src/transport)
 * - gold freshness: computed at scrape time (src/observability/freshness.ts)
 */
export class Metrics {
  readonly registry = new Registry();

  // ---- topologies and operators
  readonly topologyUp: Gauge<'topology'>;
  readonly recordsIn: Counter<'topology' | 'operator'>;
  readonly recordsOut: Counter<'topology' | 'operator'>;
  readonly recordsRejected: Counter<'topology' | 'operator' | 'reason'>;
  /** Per operator (name kept for compatibility: it is the operator's share of a batch). */
  readonly batchDuration: Histogram<'topology' | 'operator'>;
  /** Whole batch, from the source handing it over to its commit. */
  readonly batchLatency: Histogram<'topology' | 'source'>;
  readonly batchRows: Histogram<'topology'>;
  readonly batches: Counter<'topology' | 'status'>;
  readonly operatorFailures: Counter<'topology' | 'operator' | 'cause'>;
  readonly inFlight: Gauge<'topology'>;
  readonly lastBatchTimestamp: Gauge<'topology'>;
  readonly deadLetters: Counter<'topology' | 'source' | 'reason'>;
  readonly configReloads: Counter<'result'>;

  // ---- HTTP clients (Open-Meteo, TLC)
  readonly httpRequests: Counter<'client' | 'status'>;
  readonly httpRequestDuration: Histogram<'client'>;
  readonly httpRetries: Counter<'client'>;
  readonly httpErrors: Counter<'client' | 'status'>;

  // ---- scheduled runs (polls)
  readonly scheduledRuns: Counter<'topology' | 'source' | 'status'>;
  readonly scheduledRunDuration: Histogram<'topology' | 'source'>;
  readonly scheduledRunRows: Counter<'topology' | 'source'>;
  readonly scheduledRunLastSuccess: Gauge<'topology' | 'source'>;

  // ---- backfills
  readonly backfillRuns: Counter<'topology' | 'engine' | 'status'>;
  readonly backfillChunks: Counter<'topology' | 'engine' | 'status'>;
  readonly backfillChunkDuration: Histogram<'topology' | 'engine'>;
  readonly backfillChunkRetries: Counter<'topology' | 'engine'>;
  readonly backfillRows: Counter<'topology' | 'engine' | 'stage'>;
  readonly backfillLastSuccess: Gauge<'topology'>;

  // ---- Spark escalations
  readonly sparkEscalations: Counter<'topology' | 'outcome'>;
  readonly sparkJobDuration: Histogram<'topology' | 'outcome'>;

  // ---- Kafka (topic sources)
  readonly topicMessages: Counter<'topology' | 'source' | 'result'>;
  readonly consumerLag: Gauge<'topology' | 'source' | 'topic' | 'partition'>;
  readonly consumerCommits: Counter<'topology' | 'source' | 'topic' | 'result'>;
  readonly consumerRebalances: Counter<'topology' | 'source' | 'topic'>;
  readonly deadLetterPublished: Counter<'topology' | 'source' | 'topic'>;

  // ---- warehouse freshness (set at scrape time by src/observability/freshness.ts)
  readonly goldPartitionAge: Gauge<'table'>;
  readonly goldNewestPartition: Gauge<'table'>;

  readonly buildInfo: Gauge<'version' | 'node'>;

  /** Runs already counted in their final state: a run seen twice (in-process and in the history file) counts once. */
  private readonly countedRuns = new Set<string>();
  private readonly beforeScrape: (() => Promise<void>)[] = [];
  /** Latest value set per timestamp-gauge series (records may be read out of order). */
  private readonly latest = new Map<string, number>();
  private gcObserver?: PerformanceObserver;
  private freshness?: { scan: () => Promise<TableFreshness[]>; now: () => number };
  private lastScan?: { at: number; result: Promise<TableFreshness[]> };

  constructor() {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> => new Counter({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> => new Gauge({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> =>
      new Histogram({ name, help, labelNames, buckets, registers });

    this.topologyUp = gauge('strata_topology_up', '1 while a topology is running in this process, 0 once it stopped.', ['topology']);
    this.recordsIn = counter('strata_records_in_total', 'Records (rows) an operator received, per topology and operator.', ['topology', 'operator']);
    this.recordsOut = counter('strata_records_out_total', 'Records (rows) an operator wrote to its table, per topology and operator.', ['topology', 'operator']);
    this.recordsRejected = counter(
      'strata_records_rejected_total',
      'Records rejected by a quality rule (quarantined) or dead-lettered by a source, per topology, operator (or source) and reason.',
      ['topology', 'operator', 'reason'],
    );
    this.batchDuration = histogram(
      'strata_operator_batch_duration_seconds',
      'Time one operator spent on one batch (its SQL and its table write), in seconds.',
      ['topology', 'operator'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.batchLatency = histogram(
      'strata_batch_duration_seconds',
      'Time from a source handing over a batch to the batch being committed by every operator and sink, in seconds.',
      ['topology', 'source'],
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    );
    this.batchRows = histogram('strata_batch_rows', 'Records per batch handed over by a source (batch size).', ['topology'], [1, 10, 100, 1000, 5000, 10000, 50000, 100000, 500000]);
    this.batches = counter('strata_batches_total', 'Source batches processed, by outcome: ok (committed) or failed (not committed: a bounded run used up its retries, or the pipeline stopped while retrying it; the source re-delivers it).', ['topology', 'status']);
    this.operatorFailures = counter(
      'strata_operator_failures_total',
      'Failed attempts of an operator on a batch, each retried with back-off until it commits; cause: warehouse (writing its table failed: disk full, read-only, permissions) or operator (its SQL or the engine).',
      ['topology', 'operator', 'cause'],
    );
    this.inFlight = gauge('strata_batches_in_flight', 'Batches loaded and not yet committed or failed.', ['topology']);
    this.lastBatchTimestamp = gauge('strata_last_batch_timestamp_seconds', 'Unix time of the last batch a topology committed.', ['topology']);
    this.deadLetters = counter(
      'strata_dead_letters_total',
      'Messages a source could not decode or validate, written to the dead-letter table, per topology, source and reason.',
      ['topology', 'source', 'reason'],
    );
    this.configReloads = counter('strata_config_reloads_total', 'Topology/config reloads, by result (ok, rejected).', ['result']);

    this.httpRequests = counter(
      'strata_http_client_requests_total',
      'Outgoing HTTP requests (every attempt, retries included) by client (open_meteo, tlc) and HTTP status, or "error" when no response arrived.',
      ['client', 'status'],
    );
    this.httpRequestDuration = histogram(
      'strata_http_client_request_duration_seconds',
      'Duration of one outgoing HTTP attempt, response body included, in seconds.',
      ['client'],
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    );
    this.httpRetries = counter('strata_http_client_retries_total', 'Outgoing HTTP attempts that were retries of a failed attempt, by client.', ['client']);
    this.httpErrors = counter(
      'strata_http_client_errors_total',
      'Outgoing HTTP requests that failed for good (retries exhausted, or an error not worth retrying), by client and the last HTTP status ("error" when no response arrived).',
      ['client', 'status'],
    );

    this.scheduledRuns = counter(
      'strata_scheduled_runs_total',
      'Scheduled source runs (polls) recorded in the run history, by outcome: ok, failed (some or all requests failed), skipped (the previous run was still going).',
      ['topology', 'source', 'status'],
    );
    this.scheduledRunDuration = histogram(
      'strata_scheduled_run_duration_seconds',
      'Duration of a scheduled run, from its tick until its batches were committed, in seconds.',
      ['topology', 'source'],
      [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    );
    this.scheduledRunRows = counter('strata_scheduled_run_rows_total', 'Records fetched by scheduled runs.', ['topology', 'source']);
    this.scheduledRunLastSuccess = gauge('strata_scheduled_run_last_success_timestamp_seconds', 'Unix time at which the last successful scheduled run ended.', ['topology', 'source']);

    this.backfillRuns = counter('strata_backfill_runs_total', 'Backfill runs recorded in the run history, by engine (duckdb, spark) and outcome (ok, failed, cancelled).', [
      'topology',
      'engine',
      'status',
    ]);
    this.backfillChunks = counter(
      'strata_backfill_chunks_total',
      'Backfill chunks recorded in the run history, by engine and outcome: ok, failed (after its retries), skipped (done by an earlier run, --resume), cancelled.',
      ['topology', 'engine', 'status'],
    );
    this.backfillChunkDuration = histogram(
      'strata_backfill_chunk_duration_seconds',
      'Duration of a backfill chunk, retries included, in seconds.',
      ['topology', 'engine'],
      [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    );
    this.backfillChunkRetries = counter('strata_backfill_chunk_retries_total', 'Backfill chunk attempts beyond the first (a chunk that failed and was tried again).', ['topology', 'engine']);
    this.backfillRows = counter('strata_backfill_rows_total', 'Rows processed by backfill chunks, by stage: in (source records), out (rows written), rejected.', [
      'topology',
      'engine',
      'stage',
    ]);
    this.backfillLastSuccess = gauge('strata_backfill_last_success_timestamp_seconds', 'Unix time at which the last successful backfill chunk of a topology ended.', ['topology']);

    this.sparkEscalations = counter(
      'strata_spark_escalations_total',
      'Backfills escalated to Spark (recorded with engine "spark"), by outcome: ok, failed, cancelled.',
      ['topology', 'outcome'],
    );
    this.sparkJobDuration = histogram(
      'strata_spark_job_duration_seconds',
      'Duration of a backfill escalated to Spark, from submission to its end, in seconds.',
      ['topology', 'outcome'],
      [30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800],
    );

    this.topicMessages = counter(
      'strata_topic_messages_total',
      'Topic messages consumed and committed, by result: ok, or dead_letter (could not be decoded or validated).',
      ['topology', 'source', 'result'],
    );
    this.consumerLag = gauge('strata_consumer_lag_messages', 'Messages behind the end of the partition after the last fetch (consumer lag).', ['topology', 'source', 'topic', 'partition']);
    this.consumerCommits = counter('strata_consumer_commits_total', 'Consumer offset commits, by result: ok, or lost (the partition moved to another member).', [
      'topology',
      'source',
      'topic',
      'result',
    ]);
    this.consumerRebalances = counter('strata_consumer_rebalances_total', 'Times the consumer (re)joined its group and got partitions assigned (rebalances).', ['topology', 'source', 'topic']);
    this.deadLetterPublished = counter('strata_dead_letter_messages_published_total', 'Messages published to a dead-letter topic.', ['topology', 'source', 'topic']);

    // Both freshness gauges are filled on scrape from one scan of the warehouse (see setFreshnessSource).
    const freshness = this.freshnessScan.bind(this);
    this.goldPartitionAge = new Gauge({
      name: 'strata_gold_partition_age_seconds',
      help: 'Seconds since the newest partition of a gold table was last written (data freshness), computed from the warehouse at scrape time.',
      labelNames: ['table'],
      registers,
      async collect() {
        const { tables, now } = await freshness();
        this.reset();
        for (const f of tables) this.set({ table: f.table }, Math.max(0, now / 1000 - f.writtenAt));
      },
    });
    this.goldNewestPartition = new Gauge({
      name: 'strata_gold_newest_partition_timestamp_seconds',
      help: 'Start (Unix time, UTC) of the newest partition (day or month) of a gold table: how far its data reaches.',
      labelNames: ['table'],
      registers,
      async collect() {
        const { tables } = await freshness();
        this.reset();
        for (const f of tables) this.set({ table: f.table }, f.newestStart);
      },
    });
    this.buildInfo = gauge('strata_build_info', 'Always 1; labels carry the Strata version and the Node.js version.', ['version', 'node']);
    this.buildInfo.set({ version: VERSION, node: process.versions.node }, 1);
  }

  /** Adds process metrics (memory, CPU, event-loop lag, GC) under the strata_ prefix, minus the gauges promtool rejects. */
  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry, prefix: 'strata_' });
    for (const name of DROPPED_DEFAULTS) this.registry.removeSingleMetric(name);
    // prom-client's GC observer is not referenced by anything, so it is itself garbage-collected
    // after the first major GC and the histogram stops moving: replace it with one held here.
    this.registry.removeSingleMetric(GC_METRIC);
    const gc = new Histogram({
      name: GC_METRIC,
      help: 'Garbage collection pauses by kind (major, minor, incremental, weakcb), in seconds.',
      labelNames: ['kind'],
      buckets: [0.001, 0.01, 0.1, 1, 2, 5],
      registers: [this.registry],
    });
    this.gcObserver?.disconnect();
    this.gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gc.observe({ kind: GC_KINDS[((e as unknown as { detail?: { kind?: number } }).detail)?.kind ?? -1] ?? 'unknown' }, e.duration / 1000);
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
    return this;
  }

  /** Where the freshness gauges read the newest gold partitions from (the service's warehouse). */
  setFreshnessSource(scan: () => Promise<TableFreshness[]>, now: () => number = Date.now): void {
    this.freshness = { scan, now };
  }

  /** One scan per scrape, shared by the two freshness gauges. */
  private async freshnessScan(): Promise<{ tables: TableFreshness[]; now: number }> {
    const f = this.freshness;
    if (!f) return { tables: [], now: Date.now() };
    const now = f.now();
    if (!this.lastScan || now - this.lastScan.at > 500) this.lastScan = { at: now, result: f.scan().catch(() => []) };
    return { tables: await this.lastScan.result, now };
  }

  /** Registers work to do before each scrape (e.g. reading what other processes appended to the run history). */
  onScrape(fn: () => Promise<void>): void {
    this.beforeScrape.push(fn);
  }

  /** The exposition text, after the scrape hooks ran (a failing hook does not fail the scrape). */
  async scrape(): Promise<string> {
    await Promise.all(this.beforeScrape.map((fn) => fn().catch(() => undefined)));
    return this.registry.metrics();
  }

  /**
   * Creates the series of one topology at 0, so a dashboard shows "0 failed batches" or "0 Spark
   * escalations" instead of "no data", and a rate or increase sees the very first event. Only
   * label sets known at start are initialised: operators, sources, and closed sets of outcomes.
   */
  initTopology(topology: string, parts: { operators?: readonly string[]; sources?: readonly string[]; scheduledSources?: readonly string[]; topicSources?: readonly string[] } = {}): void {
    for (const status of ['ok', 'failed']) this.batches.inc({ topology, status }, 0);
    this.inFlight.inc({ topology }, 0);
    this.batchRows.zero({ topology });
    for (const operator of parts.operators ?? []) {
      this.recordsIn.inc({ topology, operator }, 0);
      this.recordsOut.inc({ topology, operator }, 0);
      this.batchDuration.zero({ topology, operator });
      for (const cause of ['warehouse', 'operator']) this.operatorFailures.inc({ topology, operator, cause }, 0);
    }
    for (const source of parts.sources ?? []) this.batchLatency.zero({ topology, source });
    for (const source of parts.scheduledSources ?? []) {
      for (const status of SCHEDULED_STATUSES) this.scheduledRuns.inc({ topology, source, status }, 0);
      this.scheduledRunDuration.zero({ topology, source });
      this.scheduledRunRows.inc({ topology, source }, 0);
    }
    for (const source of parts.topicSources ?? []) for (const result of ['ok', 'dead_letter']) this.topicMessages.inc({ topology, source, result }, 0);
    for (const status of CHUNK_STATUSES) this.backfillChunks.inc({ topology, engine: 'duckdb', status }, 0);
    for (const status of RUN_STATUSES) this.backfillRuns.inc({ topology, engine: 'duckdb', status }, 0);
    this.backfillChunkRetries.inc({ topology, engine: 'duckdb' }, 0);
    this.backfillChunkDuration.zero({ topology, engine: 'duckdb' });
    for (const stage of ['in', 'out', 'rejected']) this.backfillRows.inc({ topology, engine: 'duckdb', stage }, 0);
    for (const outcome of RUN_STATUSES) this.sparkEscalations.inc({ topology, outcome }, 0);
  }

  /**
   * Counts one run record (backfill, chunk, or scheduled run) once it has ended. Idempotent by run
   * id: the same final record seen again (in-process, then read back from the history) counts once.
   */
  observeRun(r: RunRecord): void {
    if (r.status === 'running' || this.countedRuns.has(r.id)) return;
    this.countedRuns.add(r.id);
    const topology = r.topology;
    const engine = r.engine ?? 'duckdb';
    const ended = r.ended_at ? Date.parse(r.ended_at) : NaN;
    const seconds = Number.isFinite(ended) ? Math.max(0, (ended - Date.parse(r.started_at)) / 1000) : undefined;
    switch (r.kind) {
      case 'chunk': {
        this.backfillChunks.inc({ topology, engine, status: r.status });
        if (r.status === 'skipped') break;
        if (seconds !== undefined) this.backfillChunkDuration.observe({ topology, engine }, seconds);
        if (r.attempts && r.attempts > 1) this.backfillChunkRetries.inc({ topology, engine }, r.attempts - 1);
        if (r.rows_in) this.backfillRows.inc({ topology, engine, stage: 'in' }, r.rows_in);
        if (r.rows_out) this.backfillRows.inc({ topology, engine, stage: 'out' }, r.rows_out);
        if (r.rows_rejected) this.backfillRows.inc({ topology, engine, stage: 'rejected' }, r.rows_rejected);
        if (r.status === 'ok' && Number.isFinite(ended)) this.raise(this.backfillLastSuccess, { topology }, ended / 1000);
        break;
      }
      case 'backfill': {
        this.backfillRuns.inc({ topology, engine, status: r.status });
        if (engine === 'spark') {
          this.sparkEscalations.inc({ topology, outcome: r.status });
          if (seconds !== undefined) this.sparkJobDuration.observe({ topology, outcome: r.status }, seconds);
        }
        break;
      }
      case 'scheduled': {
        const source = typeof r.params?.source === 'string' ? r.params.source : 'unknown';
        this.scheduledRuns.inc({ topology, source, status: r.status });
        if (r.status === 'skipped') break;
        if (seconds !== undefined) this.scheduledRunDuration.observe({ topology, source }, seconds);
        if (r.rows_in) this.scheduledRunRows.inc({ topology, source }, r.rows_in);
        if (r.status === 'ok' && Number.isFinite(ended)) this.raise(this.scheduledRunLastSuccess, { topology, source }, ended / 1000);
        break;
      }
    }
  }

  /** Sets a timestamp gauge unless it already holds a later time. */
  private raise<L extends string>(g: Gauge<L>, labels: Record<L, string>, value: number): void {
    const key = `${(g as unknown as { name: string }).name}${JSON.stringify(labels)}`;
    if ((this.latest.get(key) ?? -Infinity) >= value) return;
    this.latest.set(key, value);
    g.set(labels, value);
  }
}

/** HTTP client hooks counting requests (by status), their duration, retries, and final failures. */
export function httpClientHooks(metrics: Metrics | undefined, client: string) {
  return {
    onRequest: (e: { status: number | 'error'; attempt: number; durationMs?: number }) => {
      metrics?.httpRequests.inc({ client, status: String(e.status) });
      if (e.attempt > 1) metrics?.httpRetries.inc({ client });
      if (e.durationMs !== undefined) metrics?.httpRequestDuration.observe({ client }, e.durationMs / 1000);
    },
    onFailure: (e: { status: number | 'error' }) => metrics?.httpErrors.inc({ client, status: String(e.status) }),
  };
}
