import cliProgress from 'cli-progress';
import { loadServiceConfig } from '../../config/service.ts';
import { loadTopology } from '../../config/topology.ts';
import { StrataError } from '../../core/errors.ts';
import { logger } from '../../observability/logger.ts';
import { checkWindow, formatPlan, type ChunkSize, type EngineChoice } from '../../backfill/plan.ts';
import { planBackfill, runBackfill } from '../../backfill/backfill.ts';
import type { BackfillProgress } from '../../backfill/types.ts';
import type { Layer } from '../../core/layers.ts';
import { openWarehouse } from '../../warehouse/index.ts';
import { resolveTopology } from './describe.ts';

export interface BackfillOptions {
  topology: string;
  startDate: string;
  endDate: string;
  chunk?: ChunkSize;
  engine: EngineChoice;
  skipBronze?: boolean;
  skipSilver?: boolean;
  skipGold?: boolean;
  resume?: boolean;
  failFast?: boolean;
  locations?: string;
  warehouse?: string;
  config?: string;
  plan?: boolean;
}

/** `strata backfill`: validate, plan, then run chunk by chunk with progress. Exit 1 if a chunk failed. */
export async function backfillCommand(o: BackfillOptions): Promise<void> {
  const config = await loadServiceConfig(o.config);
  if (o.warehouse) config.service.warehouse = o.warehouse;
  const window = checkWindow(o.startDate, o.endDate);
  const topology = await loadTopology(await resolveTopology(o.topology, o.config));
  const skip = new Set<Layer>([...(o.skipBronze ? ['bronze' as const] : []), ...(o.skipSilver ? ['silver' as const] : []), ...(o.skipGold ? ['gold' as const] : [])]);
  if (skip.size === 3) throw new StrataError('BACKFILL_NOTHING', 'all three layers are skipped: nothing to do');
  const warehouse = openWarehouse(config);
  const log = logger();
  const req = { topology, window, chunk: o.chunk ?? config.backfill.chunk, engine: o.engine, skip, resume: Boolean(o.resume), failFast: Boolean(o.failFast), locations: o.locations };
  const plan = await planBackfill(req, { config, log, warehouse });
  process.stdout.write(formatPlan(plan));
  if (o.plan) return;

  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const reporter = progressReporter(plan.chunks.length);
  const result = await runBackfill(req, plan, { config, warehouse, log, signal: abort.signal, onProgress: reporter.update });
  reporter.stop();
  process.stdout.write(
    `Backfill ${result.runId}: ${result.status} — ${result.chunks.ok} ok, ${result.chunks.failed} failed, ${result.chunks.skipped} skipped (resumed); ` +
      `${result.rowsIn.toLocaleString('en')} records in, ${result.rowsOut.toLocaleString('en')} rows written, ${result.rowsRejected.toLocaleString('en')} rejected; ${result.seconds.toFixed(1)} s\n`,
  );
  if (result.status === 'failed') process.exitCode = 1;
  if (result.status === 'cancelled') process.exitCode = 130;
}

/** A progress bar on a terminal; plain lines otherwise (CI logs, files). */
function progressReporter(total: number): { update: (p: BackfillProgress) => void; stop: () => void } {
  let rows = 0;
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'backfill |{bar}| {value}/{total} chunks | {rows} records | ETA {eta_formatted} | {chunk}', stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rows: 0, chunk: '' });
    return {
      update: (p) => {
        rows += p.rows ?? 0;
        const label = `${p.chunk.start}..${p.chunk.end} ${p.status}`;
        if (p.status === 'ok' || p.status === 'failed' || p.status === 'skipped') bar.increment(1, { rows: rows.toLocaleString('en'), chunk: label });
        else bar.update({ chunk: label });
      },
      stop: () => bar.stop(),
    };
  }
  return {
    update: (p) => {
      rows += p.rows ?? 0;
      if (p.status === 'started') return;
      process.stderr.write(`[${p.index + 1}/${p.total}] ${p.chunk.id} ${p.chunk.start}..${p.chunk.end} ${p.status}${p.rows !== undefined ? ` ${p.rows} records` : ''}${p.error ? `: ${p.error}` : ''}\n`);
    },
    stop: () => undefined,
  };
}
