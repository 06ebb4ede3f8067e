import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { EMPTY, Observable, concatMap, from, mergeMap, of, type OperatorFunction, type Subscription } from 'rxjs';
import { writesOf, type LoadedTopology } from '../components/topology.ts';
import { arrowToDuckDB } from '../duckdb/arrow.ts';
import { ident, lit } from '../duckdb/instance.ts';
import { seedCsvSql } from '../duckdb/csv.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { relationName, type BatchContext } from '../operators/operator.ts';
import type { Source } from '../sources/source.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { OperatorOutput, SourceBatch } from '../core/batch.ts';
import type { BuiltGraph } from './build.ts';
import { datesBetween } from '../core/dates.ts';
import { failpoint } from '../core/failpoints.ts';
import { layerOf, type Layer } from '../core/layers.ts';
import { EngineError } from '../core/errors.ts';
import { backoffMs, pause } from '../core/retry.ts';
import { count, distinctValues } from '../duckdb/relations.ts';
import { resolve } from 'node:path';

/** One batch travelling through the graph: each node's output so far. */
interface BatchState {
  batch: SourceBatch;
  ctx: BatchContext;
  outputs: Map<string, OperatorOutput>;
  started: number;
  /** Milliseconds each operator took on this batch (logged with the commit). */
  timings: Map<string, number>;
}

export interface PipelineStatus {
  topology: string;
  running: boolean;
  batches: number;
  failedBatches: number;
  /** Records received from sources, rows written by operators, rows quarantined or dead-lettered. */
  rowsIn: number;
  rowsOut: number;
  rowsRejected: number;
  lastBatchAt?: number;
  lastError?: string;
  /** When the last batch failed (after its retries) or a source stopped with an error. */
  lastFailedAt?: number;
  /** When the pipeline started, and how many of its sources are still producing (not finished). */
  startedAt?: number;
  liveSources: number;
  /** A batch being retried after its operator failed (not ready until it commits). */
  failing?: FailingBatch;
}

/**
 * A batch that keeps failing in one operator (or its warehouse write): what /readyz and the logs
 * say while the pipeline retries it. Cleared when the operator succeeds.
 */
export interface FailingBatch {
  operator: string;
  batch: string;
  /** `warehouse`: writing the table failed (disk full, read-only, permissions); `operator`: its SQL or the engine. */
  cause: FailureCause;
  attempts: number;
  since: number;
  error: string;
  nextRetryAt?: number;
}

export type FailureCause = 'warehouse' | 'operator';

export function failureCause(err: unknown): FailureCause {
  return err instanceof EngineError && err.code === 'WAREHOUSE_WRITE_FAILED' ? 'warehouse' : 'operator';
}

const RETRIES = 3;

export interface PipelineOptions {
  /**
   * Backfill: operators of these layers do not run; their output is read back from their table
   * for `window`, so the layers after them are rebuilt from what the warehouse holds.
   */
  skipLayers?: ReadonlySet<Layer>;
  window?: { start: string; end: string };
  /**
   * Attempts per operator and batch before the batch is failed (default 3). Infinity (the service):
   * until it commits or the pipeline stops, as an operator or warehouse error is not bad data.
   */
  retries?: number;
  /** Back-off base between attempts, ms (default 200), doubling up to maxRetryBackoffMs (default 30 s). */
  retryBackoffMs?: number;
  maxRetryBackoffMs?: number;
  /**
   * Only operators of these layers run; the others neither run nor replay (a Spark backfill chunk
   * runs Bronze here and hands Silver and Gold to Spark). Default: every layer.
   */
  runLayers?: ReadonlySet<Layer>;
  /** Sees each operator's output as the operator finishes a batch (e.g. the Bronze files a chunk wrote). */
  onOutput?: (operator: string, out: OperatorOutput, batch: SourceBatch['meta']) => void;
}

/**
 * A running topology: each source is an Observable of batches piped through one stage per node
 * (operators in dependency order, then sinks), then acknowledged. The source only produces the next
 * batch after the ack, so a slow stage slows the source and at most one batch per source is held.
 */
export class Pipeline {
  private conn?: DuckDBConnection;
  private readonly abort = new AbortController();
  private subs: Subscription[] = [];
  private done: Promise<void>[] = [];
  readonly status: PipelineStatus;

  constructor(
    readonly topology: LoadedTopology,
    private readonly graph: BuiltGraph,
    private readonly deps: { db: DuckDBInstance; warehouse: Warehouse; log: Logger; metrics?: Metrics },
    private readonly options: PipelineOptions = {},
  ) {
    this.status = { topology: topology.spec.name, running: false, batches: 0, failedBatches: 0, rowsIn: 0, rowsOut: 0, rowsRejected: 0, liveSources: 0 };
  }

  get name(): string {
    return this.topology.spec.name;
  }

  get sources(): Source[] {
    return [...this.graph.sources.values()];
  }

  async start(): Promise<void> {
    this.conn = await this.deps.db.connect();
    await this.deps.warehouse.connect(this.conn);
    await this.loadSeeds(this.conn);
    this.status.running = true;
    this.status.startedAt = Date.now();
    this.deps.metrics?.topologyUp.set({ topology: this.name }, 1);
    for (const source of this.graph.sources.values()) {
      this.status.liveSources++;
      const done = new Promise<void>((resolveDone) => {
        this.subs.push(
          this.batches$(source).pipe(this.process(source.name)).subscribe({
            error: (err: Error) => {
              this.status.lastError = err.message;
              this.status.lastFailedAt = Date.now();
              this.status.liveSources--;
              this.deps.log.error({ err, topology: this.name, source: source.name }, 'source stopped with an error');
              resolveDone();
            },
            complete: () => {
              this.status.liveSources--;
              resolveDone();
            },
          }),
        );
      });
      this.done.push(done);
    }
  }

  /** Resolves when every source has finished (a source without a schedule finishes after its data). */
  async finished(): Promise<void> {
    await Promise.all(this.done);
  }

  /** Drains: sources stop producing, the batch in flight completes and is acknowledged. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.finished();
    for (const s of this.subs) s.unsubscribe();
    this.status.running = false;
    this.deps.metrics?.topologyUp.set({ topology: this.name }, 0);
    await this.graph.close();
    this.conn?.closeSync();
  }

  private batches$(source: Source): Observable<SourceBatch> {
    return new Observable<SourceBatch>((sub) => {
      const it = source.batches(this.abort.signal)[Symbol.asyncIterator]();
      let stopped = false;
      (async () => {
        for (;;) {
          const r = await it.next();
          if (r.done || stopped) break;
          sub.next(r.value);
        }
        sub.complete();
      })().catch((err) => sub.error(err));
      return () => {
        stopped = true;
      };
    });
  }

  /** The per-batch graph: load → each node as a concatMap stage → commit (sinks, ack). */
  private process(sourceName: string): OperatorFunction<SourceBatch, BatchState> {
    const stages: OperatorFunction<BatchState, BatchState>[] = this.topology.order
      .filter((n) => this.graph.operators.has(n) && this.reaches(sourceName, n))
      .map((n) => concatMap((st: BatchState) => from(this.runOperator(n, st))));
    return (batches) => {
      let s: Observable<BatchState> = batches.pipe(concatMap((b) => from(this.load(sourceName, b))));
      for (const stage of stages) s = s.pipe(stage);
      return s.pipe(
        concatMap((st) => from(this.commit(st))),
        mergeMap((st) => (st ? of(st) : EMPTY)),
      );
    };
  }

  /** A skipped operator's output: its table's partitions within the window, read back. */
  private async replay(st: BatchState, name: string, table: string): Promise<OperatorOutput> {
    const w = this.options.window;
    const column = writesOf(this.topology.spec, name)?.partitionBy;
    const filter = w && column ? { column, values: datesBetween(w.start, w.end) } : undefined;
    const from = await this.deps.warehouse.scan(st.ctx.conn, table, filter);
    if (!from) return { rows: 0, partitions: [], table };
    const rel = relationName(name);
    await st.ctx.conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(rel)} AS SELECT * FROM ${from}`);
    const rows = await count(st.ctx.conn, rel);
    const partitions = column ? await distinctValues(st.ctx.conn, rel, column) : [];
    return { relation: rel, rows, partitions, table };
  }

  private readonly reasonColumn = new Map<string, boolean>();

  private async hasReasonColumn(op: string, relation: string): Promise<boolean> {
    if (!this.reasonColumn.has(op)) {
      const cols = (await this.conn!.runAndReadAll(`DESCRIBE ${ident(relation)}`)).getRowsJS().map((r) => String(r[0]));
      this.reasonColumn.set(op, cols.includes('reason'));
    }
    return this.reasonColumn.get(op)!;
  }

  private sourceOf(st: BatchState): string {
    return st.batch.meta.source;
  }

  private reaches(from: string, node: string): boolean {
    const ins = this.graph.inputs.get(node) ?? [];
    return ins.includes(from) || ins.some((i) => this.reaches(from, i));
  }

  private async load(sourceName: string, batch: SourceBatch): Promise<BatchState> {
    const started = Date.now();
    const conn = this.conn!;
    const rel = relationName(sourceName);
    let rows: number;
    if (batch.scan) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(rel)} AS SELECT * FROM ${batch.scan}`);
      rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${ident(rel)}`)).getRowsJS()[0]![0]);
    } else {
      await arrowToDuckDB(conn, rel, batch.table!);
      rows = batch.table!.numRows;
    }
    this.status.rowsIn += rows;
    this.deps.metrics?.inFlight.inc({ topology: this.name });
    this.deps.metrics?.batchRows.observe({ topology: this.name }, rows);
    const log = this.deps.log.child({ topology: this.name, ...(batch.meta.runId ? { run: batch.meta.runId } : {}), batch: batch.meta.batchId });
    for (let attempt = 1; batch.rejects && batch.rejects.numRows > 0; attempt++) {
      try {
        await this.writeDeadLetters(sourceName, batch);
        this.recovered(batch.meta.batchId);
        break;
      } catch (err) {
        if (!(await this.retryAfter(err, sourceName, batch.meta.batchId, log, attempt))) throw err;
      }
    }
    const outputs = new Map<string, OperatorOutput>([[sourceName, { relation: rel, rows, partitions: [] }]]);
    return { batch, outputs, started, timings: new Map([['load', Date.now() - started]]), ctx: { conn, warehouse: this.deps.warehouse, meta: batch.meta, log } };
  }

  private async runOperator(name: string, st: BatchState): Promise<BatchState> {
    if (st.outputs.has('__failed__')) return st;
    const op = this.graph.operators.get(name)!;
    if (this.options.runLayers && !this.options.runLayers.has(layerOf(op.table))) return st;
    if (this.options.skipLayers?.has(layerOf(op.table))) {
      st.outputs.set(name, await this.replay(st, name, op.table));
      return st;
    }
    // A bronze operator may read several sources (e.g. a poller and a topic): the batch's own one.
    const ins = this.graph.inputs.get(name)!;
    const input = st.outputs.get(ins.find((i) => st.outputs.has(i)) ?? ins[0]!);
    if (!input) return st;
    const m = this.deps.metrics;
    const labels = { topology: this.name, operator: name };
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        const out = await op.process(st.ctx, input);
        const seconds = (performance.now() - t0) / 1000;
        m?.batchDuration.observe(labels, seconds);
        st.timings.set(name, Math.round(seconds * 1000));
        m?.recordsIn.inc(labels, input.rows);
        m?.recordsOut.inc(labels, out.rows);
        if (out.relation && out.rows > 0 && (await this.hasReasonColumn(name, out.relation))) {
          // A quarantine table (rows with a `reason`): count its rows per rule.
          this.status.rowsRejected += out.rows;
          const byReason = m ? (await st.ctx.conn.runAndReadAll(`SELECT reason, count(*) FROM ${ident(out.relation)} GROUP BY 1`)).getRowsJS() : [];
          for (const [reason, n] of byReason) m?.recordsRejected.inc({ ...labels, reason: String(reason) }, Number(n));
        } else this.status.rowsOut += out.rows;
        st.outputs.set(name, out);
        this.options.onOutput?.(name, out, st.batch.meta);
        this.recovered(st.batch.meta.batchId);
        return st;
      } catch (err) {
        if (!(await this.retryAfter(err, name, st.batch.meta.batchId, st.ctx.log, attempt))) {
          // Writes are idempotent per batch, so a later re-delivery of this batch repairs what it half-did.
          st.outputs.set('__failed__', { rows: 0, partitions: [] });
          return st;
        }
      }
    }
  }

  /**
   * After a failed attempt: counts it, marks the topology not ready (operator, batch, error) and
   * waits the back-off. False when the batch is given up: its attempts are used up (a bounded run,
   * e.g. a backfill chunk, which retries the chunk itself) or the pipeline is stopping.
   */
  private async retryAfter(err: unknown, operator: string, batch: string, log: Logger, attempt: number): Promise<boolean> {
    const error = (err as Error).message;
    const cause = failureCause(err);
    this.deps.metrics?.operatorFailures.inc({ topology: this.name, operator, cause });
    this.status.lastError = `${operator}: ${error}`;
    this.status.lastFailedAt = Date.now();
    const giveUp = attempt >= (this.options.retries ?? RETRIES) || this.abort.signal.aborted;
    const delay = backoffMs(attempt, this.options.retryBackoffMs ?? 200, this.options.maxRetryBackoffMs ?? 30_000);
    const prev = this.status.failing;
    const since = prev?.operator === operator && prev.batch === batch ? prev.since : Date.now();
    this.status.failing = giveUp ? undefined : { operator, batch, cause, attempts: attempt, since, error, nextRetryAt: Date.now() + delay };
    log.warn({ err, operator, attempt, cause, ...(giveUp ? {} : { retry_in_ms: delay }) }, giveUp ? 'operator failed on batch; giving up on it' : 'operator failed on batch; retrying');
    if (!giveUp && (await pause(delay, this.abort.signal))) return true;
    this.status.failing = undefined; // given up: /readyz reports "last batch failed" from here
    return false;
  }

  private recovered(batch: string): void {
    if (this.status.failing?.batch !== batch) return;
    this.deps.log.info({ topology: this.name, batch, operator: this.status.failing.operator, attempts: this.status.failing.attempts }, 'batch recovered after failed attempts');
    this.status.failing = undefined;
  }

  private async commit(st: BatchState): Promise<BatchState | undefined> {
    const failed = st.outputs.has('__failed__');
    const m = this.deps.metrics;
    try {
      if (!failed) {
        for (const [name, sink] of this.graph.sinks) {
          const ins = new Map((this.graph.inputs.get(name) ?? []).flatMap((i) => (st.outputs.has(i) ? [[i, st.outputs.get(i)!] as const] : [])));
          if (ins.size) await sink.write(st.batch.meta, ins, st.ctx.conn);
        }
      }
      for (const out of st.outputs.values()) if (out.relation) await st.ctx.conn.run(`DROP ${out.view ? 'VIEW' : 'TABLE'} IF EXISTS ${ident(out.relation)}`);
    } finally {
      m?.inFlight.dec({ topology: this.name });
    }
    if (failed) {
      this.status.failedBatches++;
      m?.batches.inc({ topology: this.name, status: 'failed' });
      st.ctx.log.error({ error: this.status.lastError }, 'batch failed after retries; not acknowledged');
      await st.batch.ack({ failed: true, error: this.status.lastError }); // a poller moves on (it re-fetches the window on its next tick); a topic re-delivers
      return undefined;
    }
    failpoint('pipeline.before_ack'); // committed to the warehouse, not yet to the source
    await st.batch.ack();
    failpoint('pipeline.after_ack');
    this.status.batches++;
    this.status.lastBatchAt = Date.now();
    m?.batches.inc({ topology: this.name, status: 'ok' });
    m?.batchLatency.observe({ topology: this.name, source: st.batch.meta.source }, (Date.now() - st.started) / 1000);
    m?.lastBatchTimestamp.set({ topology: this.name }, Date.now() / 1000);
    st.ctx.log.info({ rows: st.outputs.get(this.sourceOf(st))?.rows, ms: Date.now() - st.started, ops: Object.fromEntries([...st.outputs].map(([k, v]) => [k, v.rows])), op_ms: Object.fromEntries(st.timings), ...(st.batch.meta.position?.ranges ? { ranges: st.batch.meta.position.ranges } : {}) }, 'batch committed');
    return st;
  }

  /** Dead letters land with the batch (file named by batch id: a re-delivery replaces, never duplicates). */
  private async writeDeadLetters(sourceName: string, batch: SourceBatch): Promise<void> {
    const conn = this.conn!;
    const table = this.topology.spec.dead_letters.table;
    await arrowToDuckDB(conn, '_dead_letters', batch.rejects!);
    // Rejects may name their own range (_batch_id) when the batch groups several; else the batch's.
    const perRow = batch.rejects!.schema.fields.some((f) => f.name === '_batch_id');
    await conn.run(`CREATE OR REPLACE TEMP TABLE _dead_letters_out AS SELECT * ${perRow ? 'EXCLUDE (_batch_id)' : ''}, ${lit(this.name)} AS topology, ${perRow ? '_batch_id' : lit(batch.meta.batchId)} AS _batch_id, CAST(rejected_at AS DATE) AS date FROM _dead_letters`);
    await this.deps.warehouse.append(conn, '_dead_letters_out', table, { partitionBy: 'date', batchId: batch.meta.batchId });
    this.status.rowsRejected += batch.rejects!.numRows;
    const byReason = (await conn.runAndReadAll('SELECT reason, count(*) FROM _dead_letters GROUP BY 1')).getRowsJS();
    for (const [reason, n] of byReason) {
      this.deps.metrics?.recordsRejected.inc({ topology: this.name, operator: sourceName, reason: String(reason) }, Number(n));
      this.deps.metrics?.deadLetters.inc({ topology: this.name, source: sourceName, reason: String(reason) }, Number(n));
    }
    await conn.run('DROP TABLE _dead_letters; DROP TABLE _dead_letters_out');
  }

  /** Seeds (static CSV tables) are (re)written at start: cheap, and an edited CSV is picked up. */
  private async loadSeeds(conn: DuckDBConnection): Promise<void> {
    for (const seed of this.topology.spec.seeds ?? []) {
      const file = resolve(this.topology.baseDir, seed.file);
      await conn.run(`CREATE OR REPLACE TEMP TABLE _seed AS SELECT * FROM ${seedCsvSql(file)}`);
      await this.deps.warehouse.replace(conn, '_seed', seed.table, {});
      await conn.run('DROP TABLE _seed');
    }
  }
}

/** Runs a pipeline whose sources all end (no schedule) to completion: used by tests and one-shot runs. */
export async function runToCompletion(p: Pipeline): Promise<void> {
  await p.start();
  await p.finished();
  await p.stop();
}
