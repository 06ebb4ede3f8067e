/**
 * Silver and Gold of one window on Spark: plan → submit → commit.
 *
 * 1. The job spec (plan.ts) and its inputs are written under `<warehouse>/_staging/<job>/`; CSV
 *    relations are converted to Parquet there with DuckDB's own CSV reading (same types as in-process).
 * 2. spark-submit runs job.py (a fresh JVM, a new YARN application). The job writes every output file
 *    under the same staging directory, in the warehouse layout, and lists them in result.json.
 * 3. Only after the application succeeded, Strata checks the list and renames each file into place
 *    (one atomic rename per partition file, as the in-process writer does). A killed or failed
 *    application therefore leaves every table as it was; its staging directory is removed.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadedTopology } from '../../components/topology.ts';
import type { ServiceConfig } from '../../config/service-schema.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Layer } from '../../core/layers.ts';
import type { LocalWarehouse } from '../../warehouse/local/local.ts';
import { openDuckDB, lit } from '../../duckdb/instance.ts';
import { seedCsvSql } from '../../duckdb/csv.ts';
import { planSparkJob, type SparkInput, type SparkJobSpec } from './plan.ts';
import { SparkError, sparkSubmit } from '../../spark/submit.ts';

/** The PySpark job (kept in the repo next to this file). */
export const SPARK_JOB = fileURLToPath(new URL('./job.py', import.meta.url));

export interface SparkStageRequest {
  topology: LoadedTopology;
  config: ServiceConfig;
  /** The Spark engine reads and writes the local layout's files. */
  warehouse: LocalWarehouse;
  log: Logger;
  /** The layers Spark runs (Silver and/or Gold). */
  layers: ReadonlySet<Layer>;
  /** Rows of the nodes the job does not run (Bronze's files of the window, skipped layers). */
  inputs: Record<string, SparkInput>;
  /** Names the application, the staging directory and the YARN tag (e.g. the chunk id). */
  label: string;
  /** Names append files of rows without a _batch_id. */
  batchId: string;
  window?: { start: string; end: string };
  signal?: AbortSignal;
  onApplication?: (id: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface SparkOperatorReport {
  operator: string;
  table: string;
  mode: string;
  rows: number;
  partitions: string[];
  rejected: boolean;
  seconds: number;
}

export interface SparkStageResult {
  applicationId?: string;
  operators: SparkOperatorReport[];
  /** Files renamed into the warehouse. */
  files: number;
  rowsOut: number;
  rowsRejected: number;
  seconds: number;
}

interface JobResult {
  status: 'ok' | 'failed';
  application_id?: string;
  code?: string;
  operator?: string;
  error?: string;
  operators: SparkOperatorReport[];
  files: { table: string; path: string; staged: string; bytes: number }[];
}

export async function runSparkStage(req: SparkStageRequest): Promise<SparkStageResult> {
  const t0 = Date.now();
  const wh = req.warehouse;
  const jobId = `spark-${req.label}-${randomUUID().slice(0, 8)}`.replace(/[^A-Za-z0-9._-]+/g, '_').toLowerCase();
  const staging = join(wh.stagingDir, jobId);
  const log = req.log.child({ engine: 'spark', job: jobId });
  const { spec, csv } = planSparkJob(req.topology, {
    layers: req.layers,
    inputs: req.inputs,
    warehouse: wh.root,
    staging,
    jobId,
    appName: `strata:${req.topology.spec.name}:${req.label}`,
    batchId: req.batchId,
    window: req.window,
  });
  const inputRows = Object.values(req.inputs).reduce((n, i) => n + i.rows, 0);
  const empty: SparkStageResult = { operators: [], files: 0, rowsOut: 0, rowsRejected: 0, seconds: 0 };
  if (!spec.operators.length || inputRows === 0) {
    log.info({ operators: spec.operators.length, input_rows: inputRows }, 'nothing for Spark to do');
    return empty;
  }
  await mkdir(staging, { recursive: true });
  try {
    await convertRelations(csv);
    const specFile = join(staging, 'spec.json');
    await writeFile(specFile, JSON.stringify(spec, null, 1));
    let applicationId: string | undefined;
    const onApplication = (id: string): void => {
      applicationId = id;
      req.onApplication?.(id);
    };
    let submitError: unknown;
    try {
      const r = await sparkSubmit({
        settings: req.config.spark,
        script: SPARK_JOB,
        args: [specFile],
        appName: spec.app_name,
        tag: jobId,
        log,
        signal: req.signal,
        onApplication,
        env: req.env,
      });
      applicationId ??= r.applicationId;
    } catch (err) {
      submitError = err;
    }
    const result = await readResult(spec);
    if (result?.application_id && !applicationId) onApplication(result.application_id);
    if (submitError) {
      // The job's own reason is the best one when it got that far.
      if (submitError instanceof SparkError && result?.status === 'failed' && result.error && !submitError.message.includes(result.error)) {
        throw new SparkError(submitError.code, `${submitError.message} (job: ${result.error})`, { ...submitError.context, application_id: applicationId });
      }
      if (submitError instanceof SparkError && applicationId && !submitError.applicationId) {
        throw new SparkError(submitError.code, submitError.message, { ...submitError.context, application_id: applicationId });
      }
      throw submitError;
    }
    if (!result) {
      throw new SparkError('SPARK_NO_RESULT', `Spark application ${applicationId ?? '?'} exited 0 but wrote no result (${spec.result_file}): the job did not run to its end`, { application_id: applicationId });
    }
    if (result.status !== 'ok') {
      throw new SparkError('SPARK_JOB_FAILED', `Spark job failed${result.operator ? ` in ${result.operator}` : ''}: ${result.error ?? result.code}`, { application_id: applicationId });
    }
    if (!result.files.length) {
      throw new SparkError('SPARK_WROTE_NOTHING', `Spark application ${applicationId ?? '?'} succeeded but wrote no file for ${inputRows} input rows (operators: ${result.operators.map((o) => `${o.operator}=${o.rows}`).join(', ') || 'none ran'}); nothing was committed`, { application_id: applicationId });
    }
    const files = await commit(wh.root, result.files, log);
    let rowsOut = 0;
    let rowsRejected = 0;
    for (const o of result.operators) {
      if (o.rejected) rowsRejected += o.rows;
      else rowsOut += o.rows;
    }
    const seconds = (Date.now() - t0) / 1000;
    log.info({ application_id: applicationId, files, rows_out: rowsOut, rows_rejected: rowsRejected, seconds }, 'spark stage committed');
    return { applicationId, operators: result.operators, files, rowsOut, rowsRejected, seconds };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function convertRelations(csv: { csv: string; parquet: string }[]): Promise<void> {
  if (!csv.length) return;
  const db = await openDuckDB({ memory_limit: '512MB', threads: 1 });
  const conn = await db.connect();
  try {
    for (const r of csv) {
      await mkdir(dirname(r.parquet), { recursive: true });
      await conn.run(`COPY (SELECT * FROM ${seedCsvSql(r.csv)}) TO ${lit(r.parquet)} (FORMAT parquet)`);
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

async function readResult(spec: SparkJobSpec): Promise<JobResult | undefined> {
  if (!existsSync(spec.result_file)) return undefined;
  try {
    return JSON.parse(await readFile(spec.result_file, 'utf8')) as JobResult;
  } catch {
    return undefined;
  }
}

/** Checks every staged file, then renames each into place. Returns the number of files. */
async function commit(root: string, files: JobResult['files'], log: Logger): Promise<number> {
  const moves: { from: string; to: string }[] = [];
  for (const f of files) {
    const m = /^(bronze|silver|gold)\.([a-z][a-z0-9_]*)$/.exec(f.table);
    if (!m || f.path.split('/').some((s) => s === '..' || s === '') || !f.path.endsWith('.parquet')) {
      throw new SparkError('SPARK_BAD_RESULT', `the job listed an invalid output ${f.table} ${f.path}; nothing was committed`, { file: f });
    }
    const size = (await stat(f.staged).catch(() => undefined))?.size;
    if (!size || size !== f.bytes) {
      throw new SparkError('SPARK_BAD_RESULT', `staged file ${f.staged} is missing or incomplete (${size ?? 'absent'} bytes, expected ${f.bytes}); nothing was committed`, { file: f });
    }
    moves.push({ from: f.staged, to: join(root, m[1]!, m[2]!, f.path) });
  }
  for (const mv of moves) {
    await mkdir(dirname(mv.to), { recursive: true });
    await rename(mv.from, mv.to);
  }
  log.debug({ files: moves.length }, 'spark outputs renamed into the warehouse');
  return moves.length;
}
