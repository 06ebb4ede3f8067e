import { StrataError } from '../core/errors.ts';
import { openDuckDB } from '../duckdb/instance.ts';
import { buildGraph } from '../runtime/build.ts';
import { Pipeline, type PipelineOptions, type PipelineStatus } from '../runtime/pipeline.ts';
import { ReplayTrigger, WindowSource } from '../runtime/window-source.ts';
import type { DateWindow } from '../sources/source.ts';
import type { BackfillDeps, BackfillRequest } from './types.ts';

/**
 * One window of a topology (a backfill chunk), in its own DuckDB and graph, so memory is released
 * between chunks: the sources replay the window (or, with Bronze skipped, one trigger batch reads
 * back what the warehouse holds), and the operators run once per batch. The in-process engine runs
 * every layer here; the Spark engine runs Bronze here (`runLayers`) and the rest on Spark.
 */
export async function runWindow(
  req: BackfillRequest,
  chunk: DateWindow,
  deps: BackfillDeps,
  opts: Pick<PipelineOptions, 'runLayers' | 'onOutput'> & { label?: string } = {},
): Promise<PipelineStatus> {
  const wh = deps.warehouse;
  const db = await openDuckDB({ ...deps.config.duckdb, temp_directory: wh.state.duckdbTemp });
  const graph = buildGraph(req.topology, { config: deps.config, log: deps.log, metrics: deps.metrics, state: wh.state });
  try {
    for (const [name, source] of graph.sources) {
      graph.sources.set(name, req.skip.has('bronze') ? new ReplayTrigger(name, req.topology.spec.name, chunk) : new WindowSource(source, chunk, { locations: req.locations }));
    }
    const p = new Pipeline(req.topology, graph, { db, warehouse: wh, log: deps.log, metrics: deps.metrics }, { skipLayers: req.skip, window: chunk, retries: 1, ...opts });
    await p.start();
    await p.finished();
    await p.stop();
    if (p.status.lastError) throw new StrataError('CHUNK_FAILED', `${opts.label ? `${opts.label}: ` : ''}${p.status.lastError}`, { chunk });
    return p.status;
  } finally {
    db.closeSync();
  }
}
