import { pause } from '../core/retry.ts';
import type { RunRecord } from '../core/runs.ts';
import type { DateWindow } from '../sources/source.ts';
import { buildGraph } from '../runtime/build.ts';
import { RunHistory } from '../runtime/runs.ts';
import { SparkError } from '../spark/submit.ts';
import { acquireBackfillLock } from './lock.ts';
import { notifyFailure } from './notify.ts';
import { chooseEngine, splitWindow, type BackfillPlan, type PlannedChunk } from './plan.ts';
import { runSparkChunk, type SparkChunkMemo } from './spark-chunk.ts';
import type { BackfillDeps, BackfillProgress, BackfillRequest, BackfillResult } from './types.ts';
import { runWindow } from './window.ts';

/** Sizes the window (from the source's own estimate) and picks the engine. */
export async function planBackfill(req: BackfillRequest, deps: Pick<BackfillDeps, 'config' | 'log' | 'warehouse'>): Promise<BackfillPlan> {
  const graph = buildGraph(req.topology, { config: deps.config, log: deps.log, state: deps.warehouse.state });
  try {
    const source = [...graph.sources.values()][0];
    const chunks: PlannedChunk[] = [];
    let total = 0;
    let basis = 'no estimate';
    for (const [i, w] of splitWindow(req.window, req.chunk).entries()) {
      const est = source?.estimate ? await source.estimate(w, { locations: req.locations }) : { records: 0, basis: 'no estimate' };
      basis = est.basis;
      total += est.records;
      chunks.push({ ...w, id: `chunk-${String(i + 1).padStart(3, '0')}`, estimatedRecords: est.records });
    }
    const e = chooseEngine(req.engine, total, deps.config.backfill.spark_threshold_records);
    const whole = source?.estimate ? await source.estimate(req.window, { locations: req.locations }) : undefined;
    return { topology: req.topology.spec.name, window: req.window, chunk: req.chunk, chunks, estimatedRecords: total, basis: whole?.basis ?? basis, engine: e.engine, engineReason: e.reason };
  } finally {
    await graph.close();
  }
}

/**
 * Runs a plan chunk by chunk, Bronze → Silver → Gold each, in a fresh DuckDB per chunk (memory is
 * released between chunks). A failing chunk is retried with back-off, then recorded as failed while
 * the others go on (or the backfill stops, with failFast). With `resume`, chunks a previous run of
 * the same window completed are skipped. Every chunk is recorded in the run history.
 */
export async function runBackfill(req: BackfillRequest, plan: BackfillPlan, deps: BackfillDeps): Promise<BackfillResult> {
  const t0 = Date.now();
  // Every chunk and run record is also counted in the metrics (status, rows, duration, last success).
  const history = new RunHistory(deps.warehouse.state, { onRecord: (r) => deps.metrics?.observeRun(r) });
  const runId = RunHistory.newId('backfill');
  const release = await acquireBackfillLock(deps.warehouse.state, plan.topology, runId);
  const params = { start: req.window.start, end: req.window.end, chunk: req.chunk, skip: [...req.skip].sort(), locations: req.locations ?? null };
  const done = req.resume ? await completedChunks(history, plan.topology, params) : new Set<string>();
  const run: RunRecord = { id: runId, kind: 'backfill', topology: plan.topology, engine: plan.engine, params, window: req.window, status: 'running', started_at: new Date().toISOString() };
  await history.record(run);
  const result: BackfillResult = { runId, status: 'ok', chunks: { ok: 0, failed: 0, skipped: 0 }, rowsIn: 0, rowsOut: 0, rowsRejected: 0, seconds: 0 };
  const log = deps.log.child({ topology: plan.topology, run: runId });
  try {
    await deps.warehouse.recover();
    for (const [index, chunk] of plan.chunks.entries()) {
      if (deps.signal?.aborted) {
        result.status = 'cancelled';
        break;
      }
      const progress = (p: Omit<BackfillProgress, 'chunk' | 'index' | 'total'>): void => deps.onProgress?.({ chunk, index, total: plan.chunks.length, ...p });
      const key = chunkKey(chunk);
      if (done.has(key)) {
        result.chunks.skipped++;
        await history.record({ id: `${runId}/${chunk.id}`, kind: 'chunk', parent: runId, topology: plan.topology, engine: plan.engine, window: chunk, status: 'skipped', started_at: new Date().toISOString(), ended_at: new Date().toISOString(), params: { key, reason: 'completed by an earlier run (--resume)' } });
        progress({ status: 'skipped' });
        continue;
      }
      const ok = await runChunkWithRetries(req, plan, chunk, runId, history, { ...deps, log }, progress, result);
      if (!ok) {
        result.chunks.failed++;
        if (req.failFast) break;
      } else result.chunks.ok++;
    }
    if (deps.signal?.aborted) result.status = 'cancelled';
    if (result.status !== 'cancelled' && result.chunks.failed > 0) result.status = 'failed';
  } finally {
    result.seconds = (Date.now() - t0) / 1000;
    const final: RunRecord = { ...run, status: result.status, ended_at: new Date().toISOString(), rows_in: result.rowsIn, rows_out: result.rowsOut, rows_rejected: result.rowsRejected, error: result.chunks.failed ? `${result.chunks.failed} chunk(s) failed` : undefined };
    await history.record(final);
    if (final.status === 'failed') await notifyFailure(deps.config, final, log);
    await release();
  }
  return result;
}

async function runChunkWithRetries(
  req: BackfillRequest,
  plan: BackfillPlan,
  chunk: PlannedChunk,
  runId: string,
  history: RunHistory,
  deps: BackfillDeps,
  progress: (p: Omit<BackfillProgress, 'chunk' | 'index' | 'total'>) => void,
  result: BackfillResult,
): Promise<boolean> {
  const cfg = deps.config.backfill;
  const rec: RunRecord = { id: `${runId}/${chunk.id}`, kind: 'chunk', parent: runId, topology: plan.topology, engine: plan.engine, window: { start: chunk.start, end: chunk.end }, params: { key: chunkKey(chunk) }, status: 'running', started_at: new Date().toISOString() };
  progress({ status: 'started' });
  const memo: SparkChunkMemo = {};
  for (let attempt = 1; ; attempt++) {
    await history.record({ ...rec, attempts: attempt });
    // Spark: the attempt's YARN application id goes into the chunk's record as soon as it is known.
    let applicationId: string | undefined;
    let noted = Promise.resolve();
    const onApplication = (id: string): void => {
      applicationId = id;
      noted = noted.then(() => history.record({ ...rec, attempts: attempt, application_id: id }));
    };
    try {
      const log = deps.log.child({ chunk: chunk.id });
      const stats = plan.engine === 'spark'
        ? await runSparkChunk(req, chunk, { ...deps, log }, memo, onApplication)
        : await runWindow(req, chunk, { ...deps, log });
      await noted;
      result.rowsIn += stats.rowsIn;
      result.rowsOut += stats.rowsOut;
      result.rowsRejected += stats.rowsRejected;
      await history.record({ ...rec, attempts: attempt, status: 'ok', ended_at: new Date().toISOString(), rows_in: stats.rowsIn, rows_out: stats.rowsOut, rows_rejected: stats.rowsRejected, application_id: applicationId });
      progress({ status: 'ok', rows: stats.rowsIn });
      return true;
    } catch (err) {
      await noted;
      const message = (err as Error).message;
      applicationId ??= err instanceof SparkError ? err.applicationId : undefined;
      if (attempt >= cfg.retries || deps.signal?.aborted) {
        await history.record({ ...rec, attempts: attempt, status: deps.signal?.aborted ? 'cancelled' : 'failed', ended_at: new Date().toISOString(), error: message, application_id: applicationId });
        deps.log.error({ chunk: chunk.id, window: `${chunk.start}..${chunk.end}`, attempt, err }, 'backfill chunk failed');
        progress({ status: 'failed', error: message });
        return false;
      }
      await history.record({ ...rec, attempts: attempt, error: message, application_id: applicationId });
      deps.log.warn({ chunk: chunk.id, attempt, error: message, application_id: applicationId }, 'backfill chunk failed; retrying');
      progress({ status: 'retrying', error: message });
      await pause(cfg.retry_backoff_ms * 2 ** (attempt - 1), deps.signal); // Ctrl-C ends the wait; the loop then records the chunk cancelled
    }
  }
}

function chunkKey(c: DateWindow): string {
  return `${c.start}..${c.end}`;
}

/** Chunks completed by earlier runs of the same backfill (same topology and parameters). */
async function completedChunks(history: RunHistory, topology: string, params: Record<string, unknown>): Promise<Set<string>> {
  const same = JSON.stringify(params);
  const parents = new Set((await history.list({ topology, kind: 'backfill' })).filter((r) => JSON.stringify(r.params) === same).map((r) => r.id));
  const out = new Set<string>();
  for (const r of await history.list({ topology, kind: 'chunk' })) {
    if (r.parent && parents.has(r.parent) && r.status === 'ok') out.add(String(r.params?.key));
  }
  return out;
}
