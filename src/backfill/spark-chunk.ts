/**
 * One backfill chunk on the Spark engine: Bronze in-process (the source's window lands in Bronze as
 * it does for the in-process engine), then Silver and Gold of that chunk in one spark-submit — a fresh
 * JVM and YARN application per chunk, never a long-lived session.
 */
import { join, resolve } from 'node:path';
import type { LoadedTopology } from '../config/types.ts';
import { fileList, openDuckDB } from '../duckdb/instance.ts';
import { layerOf, type SparkInput } from './spark/plan.ts';
import { runSparkStage, type SparkStageResult } from './spark/run.ts';
import { StrataError } from '../core/errors.ts';
import { datesBetween } from '../core/dates.ts';
import { fileSafe } from '../operators/operator.ts';
import type { DateWindow } from '../sources/source.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { BackfillDeps, BackfillRequest } from './backfill.ts';
import { buildGraph } from '../runtime/build.ts';
import { Pipeline, type Layer } from '../runtime/pipeline.ts';
import { ReplayTrigger, WindowSource } from '../runtime/window-source.ts';

const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

/** What survives between attempts of one chunk: Bronze, once landed, is not fetched again. */
export interface SparkChunkMemo {
  bronze?: { inputs: Record<string, SparkInput>; rowsIn: number; rowsOut: number; rowsRejected: number };
}

export interface SparkChunkStats {
  rowsIn: number;
  rowsOut: number;
  rowsRejected: number;
  applicationId?: string;
  spark?: SparkStageResult;
}

export async function runSparkChunk(
  req: BackfillRequest,
  chunk: DateWindow & { id?: string },
  deps: BackfillDeps,
  memo: SparkChunkMemo,
  onApplication?: (id: string) => void,
): Promise<SparkChunkStats> {
  memo.bronze ??= await landBronze(req, chunk, deps);
  const bronze = memo.bronze;
  const layers = new Set<Layer>((['silver', 'gold'] as const).filter((l) => !req.skip.has(l)));
  const inputs = { ...bronze.inputs, ...(await replayInputs(req.topology, deps.warehouse, layers, chunk, Object.keys(bronze.inputs))) };
  const label = chunk.id ?? `${chunk.start}..${chunk.end}`;
  const spark = await runSparkStage({
    topology: req.topology,
    config: deps.config,
    warehouse: deps.warehouse,
    log: deps.log,
    layers,
    inputs,
    label,
    batchId: `spark-${chunk.start}..${chunk.end}`,
    window: chunk,
    signal: deps.signal,
    onApplication,
  });
  return {
    rowsIn: bronze.rowsIn,
    rowsOut: bronze.rowsOut + spark.rowsOut,
    rowsRejected: bronze.rowsRejected + spark.rowsRejected,
    applicationId: spark.applicationId,
    spark,
  };
}

/**
 * Bronze of the chunk, in-process and in its own DuckDB: the window's batches through the Bronze
 * operators only (no Silver/Gold here, no replay). Returns the files each batch wrote. With Bronze
 * skipped, only the seeds are (re)loaded and Bronze's partitions of the window are read back.
 */
async function landBronze(req: BackfillRequest, chunk: DateWindow, deps: BackfillDeps): Promise<NonNullable<SparkChunkMemo['bronze']>> {
  const wh = deps.warehouse;
  const db = await openDuckDB({ ...deps.config.duckdb, temp_directory: resolve(wh.stateDir, 'duckdb_tmp') });
  const graph = buildGraph(req.topology, { config: deps.config, log: deps.log, metrics: deps.metrics, cacheDir: resolve(wh.stateDir, 'cache') });
  const skip = req.skip.has('bronze');
  const inputs: Record<string, SparkInput> = {};
  try {
    for (const [name, source] of graph.sources) {
      graph.sources.set(name, skip ? new ReplayTrigger(name, req.topology.spec.name, chunk) : new WindowSource(source, chunk, { locations: req.locations }));
    }
    const p = new Pipeline(req.topology, graph, { db, warehouse: wh, log: deps.log, metrics: deps.metrics }, {
      runLayers: new Set<Layer>(skip ? [] : ['bronze']),
      window: chunk,
      retries: 1,
      onOutput: (name, out, meta) => {
        const op = req.topology.spec.operators[name];
        if (op?.type !== 'bronze' || !out.rows) return;
        const input = (inputs[name] ??= { table: op.table, partition_by: op.partition_by, files: [], partitions: [], rows: 0 });
        const file = `part-${fileSafe(meta.batchId)}.parquet`;
        for (const v of out.partitions) {
          input.files.push(join(wh.tableDir(op.table), `${op.partition_by}=${encodePartition(v)}`, file));
          if (v !== HIVE_NULL && !input.partitions.includes(v)) input.partitions.push(v);
        }
        input.rows += out.rows;
      },
    });
    await p.start();
    await p.finished();
    await p.stop();
    if (p.status.lastError) throw new StrataError('CHUNK_FAILED', `bronze: ${p.status.lastError}`, { chunk });
    for (const i of Object.values(inputs)) {
      i.files.sort();
      i.partitions.sort();
    }
    return { inputs, rowsIn: p.status.rowsIn, rowsOut: p.status.rowsOut, rowsRejected: p.status.rowsRejected };
  } finally {
    db.closeSync();
  }
}

/** DuckDB writes partition values URL-encoded in directory names (dates need none). */
function encodePartition(v: string): string {
  return v === HIVE_NULL ? v : encodeURIComponent(v);
}

/**
 * Inputs the Spark job needs from nodes that do not run in this chunk (a skipped layer, or Bronze
 * when it is skipped): their table's partitions within the window, read back — what the in-process
 * pipeline's replay of a skipped operator gives.
 */
async function replayInputs(topo: LoadedTopology, wh: Warehouse, layers: ReadonlySet<Layer>, w: DateWindow, have: string[]): Promise<Record<string, SparkInput>> {
  const out: Record<string, SparkInput> = {};
  const ops = topo.spec.operators;
  for (const [, op] of Object.entries(ops)) {
    if (op.type !== 'sql' || !layers.has(layerOf(op.materialize.table))) continue;
    for (const inName of op.inputs) {
      const up = ops[inName];
      if (!up || have.includes(inName) || inName in out) continue;
      const table = up.type === 'bronze' ? up.table : up.materialize.table;
      if (layers.has(layerOf(table))) continue; // run by the job itself
      const column = up.type === 'bronze' ? up.partition_by : up.materialize.partition_by;
      const files = await wh.files(table, column ? { column, values: datesBetween(w.start, w.end) } : undefined);
      const partitions = column ? [...new Set(files.map((f) => /\/[^/=]+=([^/]+)\/[^/]+$/.exec(f)?.[1]).filter((v): v is string => Boolean(v) && v !== HIVE_NULL))].sort() : [];
      out[inName] = { table, partition_by: column, files, partitions, rows: await countRows(files) };
    }
  }
  return out;
}

async function countRows(files: string[]): Promise<number> {
  if (!files.length) return 0;
  const db = await openDuckDB({ memory_limit: '256MB', threads: 1 });
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(`SELECT sum(num_rows) FROM parquet_file_metadata(${fileList(files)})`);
    return Number(r.getRowsJS()[0]![0] ?? 0);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
