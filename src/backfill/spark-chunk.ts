/**
 * One backfill chunk on the Spark engine: Bronze in-process (the source's window lands in Bronze as
 * it does for the in-process engine), then Silver and Gold of that chunk in one spark-submit — a fresh
 * JVM and YARN application per chunk, never a long-lived session.
 */
import { join } from 'node:path';
import { writesOf, type LoadedTopology } from '../components/topology.ts';
import { datesBetween } from '../core/dates.ts';
import { EngineError } from '../core/errors.ts';
import { layerOf, type Layer } from '../core/layers.ts';
import { fileList, openDuckDB } from '../duckdb/instance.ts';
import type { DateWindow } from '../sources/source.ts';
import { LocalWarehouse } from '../warehouse/local/local.ts';
import { batchFileName, HIVE_NULL, partitionDirName, partitionValues } from '../warehouse/partitions.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { SparkInput } from './spark/plan.ts';
import { runSparkStage, type SparkStageResult } from './spark/run.ts';
import type { BackfillDeps, BackfillRequest } from './types.ts';
import { runWindow } from './window.ts';

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
  const warehouse = localWarehouse(deps.warehouse);
  memo.bronze ??= await landBronze(req, chunk, { ...deps, warehouse });
  const bronze = memo.bronze;
  const layers = new Set<Layer>((['silver', 'gold'] as const).filter((l) => !req.skip.has(l)));
  const inputs = { ...bronze.inputs, ...(await replayInputs(req.topology, warehouse, layers, chunk, Object.keys(bronze.inputs))) };
  const label = chunk.id ?? `${chunk.start}..${chunk.end}`;
  const spark = await runSparkStage({
    topology: req.topology,
    config: deps.config,
    warehouse,
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

/** The Spark engine reads and writes the local layout's files. */
function localWarehouse(wh: Warehouse): LocalWarehouse {
  if (wh instanceof LocalWarehouse) return wh;
  throw new EngineError('SPARK_NEEDS_LOCAL_WAREHOUSE', `the Spark engine writes the local warehouse layout; this warehouse is ${wh.kind} (${wh.location})`, { warehouse: wh.location });
}

/**
 * Bronze of the chunk, in-process (the window runner with only Bronze's layer running). Returns the
 * files each batch wrote. With Bronze skipped, only the seeds are (re)loaded and Bronze's
 * partitions of the window are read back.
 */
async function landBronze(req: BackfillRequest, chunk: DateWindow, deps: BackfillDeps & { warehouse: LocalWarehouse }): Promise<NonNullable<SparkChunkMemo['bronze']>> {
  const wh = deps.warehouse;
  const inputs: Record<string, SparkInput> = {};
  const status = await runWindow(req, chunk, deps, {
    label: 'bronze',
    runLayers: new Set<Layer>(req.skip.has('bronze') ? [] : ['bronze']),
    onOutput: (name, out, meta) => {
      const op = req.topology.spec.operators[name];
      if (op?.type !== 'bronze' || !out.rows) return;
      const input = (inputs[name] ??= { table: op.table, partition_by: op.partition_by, files: [], partitions: [], rows: 0 });
      const file = batchFileName(meta.batchId);
      for (const v of out.partitions) {
        input.files.push(join(wh.tableDir(op.table), partitionDirName(op.partition_by, v), file));
        if (v !== HIVE_NULL && !input.partitions.includes(v)) input.partitions.push(v);
      }
      input.rows += out.rows;
    },
  });
  for (const i of Object.values(inputs)) {
    i.files.sort();
    i.partitions.sort();
  }
  return { inputs, rowsIn: status.rowsIn, rowsOut: status.rowsOut, rowsRejected: status.rowsRejected };
}

/**
 * Inputs the Spark job needs from nodes that do not run in this chunk (a skipped layer, or Bronze
 * when it is skipped): their table's partitions within the window, read back — what the in-process
 * pipeline's replay of a skipped operator gives.
 */
async function replayInputs(topo: LoadedTopology, wh: LocalWarehouse, layers: ReadonlySet<Layer>, w: DateWindow, have: string[]): Promise<Record<string, SparkInput>> {
  const out: Record<string, SparkInput> = {};
  const ops = topo.spec.operators;
  for (const [, op] of Object.entries(ops)) {
    if (op.type !== 'sql' || !layers.has(layerOf(op.materialize.table))) continue;
    for (const inName of op.inputs) {
      const up = writesOf(topo.spec, inName);
      if (!up || have.includes(inName) || inName in out) continue;
      const { table, partitionBy: column } = up;
      if (layers.has(layerOf(table))) continue; // run by the job itself
      const files = await wh.files(table, column ? { column, values: datesBetween(w.start, w.end) } : undefined);
      const partitions = column ? partitionValues(files, column) : [];
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
