import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { EMPTY, Observable, concatMap, from, mergeMap, of, type OperatorFunction, type Subscription } from 'rxjs';
import type { LoadedTopology } from '../config/types.ts';
import { arrowToDuckDB } from '../engines/duckdb/arrow.ts';
import { ident, lit } from '../engines/duckdb/instance.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { relationName, type BatchContext } from '../operators/operator.ts';
import type { Source } from '../sources/source.ts';
import { DATA_FILE, type Warehouse } from '../warehouse/warehouse.ts';
import type { OperatorOutput, SourceBatch } from './batch.ts';
import type { BuiltGraph } from './build.ts';
import { resolve } from 'node:path';

/** One batch travelling through the graph: each node's output so far. */
interface BatchState {
  batch: SourceBatch;
  ctx: BatchContext;
  outputs: Map<string, OperatorOutput>;
  started: number;
}

export interface PipelineStatus {
  topology: string;
  running: boolean;
  batches: number;
  failedBatches: number;
  lastBatchAt?: number;
  lastError?: string;
}

const RETRIES = 3;

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
  ) {
    this.status = { topology: topology.spec.name, running: false, batches: 0, failedBatches: 0 };
  }

  get name(): string {
    return this.topology.spec.name;
  }

  get sources(): Source[] {
    return [...this.graph.sources.values()];
  }

  async start(): Promise<void> {
    this.conn = await this.deps.db.connect();
    await this.loadSeeds(this.conn);
    this.status.running = true;
    this.deps.metrics?.topologyUp.set({ topology: this.name }, 1);
    for (const source of this.graph.sources.values()) {
      const done = new Promise<void>((resolveDone) => {
        this.subs.push(
          this.batches$(source).pipe(this.process(source.name)).subscribe({
            error: (err: Error) => {
              this.status.lastError = err.message;
              this.deps.log.error({ err, topology: this.name, source: source.name }, 'source stopped with an error');
              resolveDone();
            },
            complete: () => resolveDone(),
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

  private reaches(from: string, node: string): boolean {
    const ins = this.graph.inputs.get(node) ?? [];
    return ins.includes(from) || ins.some((i) => this.reaches(from, i));
  }

  private async load(sourceName: string, batch: SourceBatch): Promise<BatchState> {
    const conn = this.conn!;
    const rel = relationName(sourceName);
    await arrowToDuckDB(conn, rel, batch.table);
    this.deps.metrics?.inFlight.inc({ topology: this.name });
    this.deps.metrics?.batchRows.observe({ topology: this.name }, batch.table.numRows);
    const log = this.deps.log.child({ topology: this.name, batch: batch.meta.batchId });
    const outputs = new Map<string, OperatorOutput>([[sourceName, { relation: rel, rows: batch.table.numRows, partitions: [] }]]);
    return { batch, outputs, started: Date.now(), ctx: { conn, warehouse: this.deps.warehouse, meta: batch.meta, log } };
  }

  private async runOperator(name: string, st: BatchState): Promise<BatchState> {
    if (st.outputs.has('__failed__')) return st;
    const op = this.graph.operators.get(name)!;
    const input = st.outputs.get(this.graph.inputs.get(name)![0]!);
    if (!input) return st;
    const m = this.deps.metrics;
    const labels = { topology: this.name, operator: name };
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        const out = await op.process(st.ctx, input);
        m?.batchDuration.observe(labels, (performance.now() - t0) / 1000);
        m?.recordsIn.inc(labels, input.rows);
        m?.recordsOut.inc(labels, out.rows);
        st.outputs.set(name, out);
        return st;
      } catch (err) {
        st.ctx.log.warn({ err, operator: name, attempt }, 'operator failed on batch');
        if (attempt >= RETRIES) {
          // Writes are idempotent per batch, so a later re-delivery of this batch repairs what it half-did.
          st.outputs.set('__failed__', { rows: 0, partitions: [] });
          this.status.lastError = `${name}: ${(err as Error).message}`;
          return st;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  private async commit(st: BatchState): Promise<BatchState | undefined> {
    const failed = st.outputs.has('__failed__');
    const m = this.deps.metrics;
    try {
      if (!failed) {
        for (const [name, sink] of this.graph.sinks) {
          const ins = new Map((this.graph.inputs.get(name) ?? []).flatMap((i) => (st.outputs.has(i) ? [[i, st.outputs.get(i)!] as const] : [])));
          if (ins.size) await sink.write(st.batch.meta, ins);
        }
      }
      for (const out of st.outputs.values()) if (out.relation) await st.ctx.conn.run(`DROP TABLE IF EXISTS ${ident(out.relation)}`);
    } finally {
      m?.inFlight.dec({ topology: this.name });
    }
    if (failed) {
      this.status.failedBatches++;
      m?.batches.inc({ topology: this.name, status: 'failed' });
      st.ctx.log.error({ error: this.status.lastError }, 'batch failed after retries; not acknowledged');
      await st.batch.ack(); // the source moves on; the poller re-fetches the window on its next tick
      return undefined;
    }
    await st.batch.ack();
    this.status.batches++;
    this.status.lastBatchAt = Date.now();
    m?.batches.inc({ topology: this.name, status: 'ok' });
    m?.lastBatchTimestamp.set({ topology: this.name }, Date.now() / 1000);
    st.ctx.log.info({ rows: st.batch.table.numRows, ms: Date.now() - st.started, ops: Object.fromEntries([...st.outputs].map(([k, v]) => [k, v.rows])) }, 'batch committed');
    return st;
  }

  /** Seeds (static CSV tables) are (re)written at start: cheap, and an edited CSV is picked up. */
  private async loadSeeds(conn: DuckDBConnection): Promise<void> {
    for (const seed of this.topology.spec.seeds ?? []) {
      const file = resolve(this.topology.baseDir, seed.file);
      await conn.run(`CREATE OR REPLACE TEMP TABLE _seed AS SELECT * FROM read_csv(${lit(file)}, header = true, auto_detect = true)`);
      await this.deps.warehouse.write(conn, '_seed', seed.table, { fileName: DATA_FILE });
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
