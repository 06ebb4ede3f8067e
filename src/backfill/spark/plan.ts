/**
 * The Spark job spec: what src/backfill/spark/job.py executes.
 *
 * From a loaded topology and the layers to run, the operators downstream of Bronze in execution
 * order, each with its model SQL (rendered exactly as the in-process SqlOperator renders it, then
 * translated to Spark SQL), its materialize spec and its relations. The Python job is a generic
 * executor of this plan: every transformation is in the shared SQL, every decision about what to
 * run is made here.
 */
import { resolve } from 'node:path';
import type { LoadedTopology } from '../../components/topology.ts';
import type { MaterializeSpec, SqlOperatorSpec } from '../../operators/sql/spec.ts';
import { StrataError } from '../../core/errors.ts';
import { renderModel } from '../../operators/sql/model.ts';
import { writesOf } from '../../components/topology.ts';
import { layerOf, type Layer } from '../../core/layers.ts';
import { translateModel, type SparkCte } from '../../spark/translate.ts';

/** Rows of a node the job does not run (Bronze, or a skipped layer): explicit warehouse files. */
export interface SparkInput {
  table: string;
  partition_by?: string;
  /** Absolute paths of the files, inside the warehouse. */
  files: string[];
  /** The partitions these rows are in (recompute's "changed" partitions). */
  partitions: string[];
  rows: number;
}

export type SparkRelation = { parquet: string } | { table: string };

export interface SparkOperatorPlan {
  name: string;
  /** The node whose rows are this operator's `input`. */
  input: string;
  sql: string;
  /** The model split at its top-level WITH: the job runs these as temp views (cached when read twice or more), then `body`. */
  ctes: SparkCte[];
  body: string;
  source_file: string;
  table: string;
  mode: MaterializeSpec['mode'];
  partition_by?: string;
  key?: string[];
  order_by?: string[];
  affects_days: [number, number];
  reads_days: [number, number];
  upstream_table?: string;
  upstream_partition?: string;
  relations: Record<string, SparkRelation>;
}

export interface SparkJobSpec {
  version: 1;
  job_id: string;
  app_name: string;
  topology: string;
  warehouse: string;
  /** The job's own directory under the warehouse's _staging: outputs in out/, result.json. */
  staging: string;
  result_file: string;
  /** Names append files when a row carries no _batch_id. */
  batch_id: string;
  window?: { start: string; end: string };
  inputs: Record<string, SparkInput>;
  operators: SparkOperatorPlan[];
}

/** A CSV relation the job needs as Parquet (converted by Strata with DuckDB's CSV reading). */
export interface CsvRelation {
  csv: string;
  parquet: string;
}

export interface PlanOptions {
  /** Layers the job runs (Silver and/or Gold). */
  layers: ReadonlySet<Layer>;
  inputs: Record<string, SparkInput>;
  warehouse: string;
  staging: string;
  jobId: string;
  appName: string;
  batchId: string;
  window?: { start: string; end: string };
}

/** The job spec, and the CSV relations to convert into `<staging>/relations/` before submitting. */
export function planSparkJob(topo: LoadedTopology, o: PlanOptions): { spec: SparkJobSpec; csv: CsvRelation[] } {
  const ops = topo.spec.operators;
  const operators: SparkOperatorPlan[] = [];
  const csv: CsvRelation[] = [];
  const fail = (code: string, msg: string, ctx: Record<string, unknown>): never => {
    throw new StrataError(code, `topology ${topo.spec.name}: ${msg}`, ctx);
  };
  for (const name of topo.order) {
    const op = ops[name];
    // Spark runs SQL models; Bronze (and any other type) stays in-process.
    if (!op || op.type !== 'sql' || !o.layers.has(layerOf(op.materialize.table))) continue;
    const available = (n: string): boolean => n in o.inputs || operators.some((p) => p.name === n);
    const ins = op.inputs.filter(available);
    if (ins.length !== 1 || op.inputs.length !== 1) {
      fail('SPARK_PLAN_UNSUPPORTED', `operator ${name} needs exactly one input that the Spark job has (inputs: ${op.inputs.join(', ')})`, { operator: name });
    }
    const input = ins[0]!;
    const up = writesOf(topo.spec, op.inputs[0]!);
    const rendered = renderModel(op.sql, topo.baseDir, topo.spec.vars ?? {});
    const m = op.materialize;
    const model = translateModel(rendered.sql, { source: rendered.file });
    operators.push({
      name,
      input,
      sql: model.sql,
      ctes: model.ctes,
      body: model.body,
      source_file: rendered.file,
      table: m.table,
      mode: m.mode,
      partition_by: m.partition_by,
      key: m.key,
      order_by: m.order_by,
      affects_days: m.affects_days,
      reads_days: m.reads_days,
      upstream_table: up?.table,
      upstream_partition: m.upstream_partition ?? up?.partitionBy ?? m.partition_by,
      relations: relations(op, topo.baseDir, o.staging, name, csv),
    });
    if (m.mode === 'recompute' && !operators[operators.length - 1]!.upstream_table) {
      fail('SPARK_PLAN_UNSUPPORTED', `operator ${name}: recompute needs an upstream table`, { operator: name });
    }
  }
  return {
    spec: {
      version: 1,
      job_id: o.jobId,
      app_name: o.appName,
      topology: topo.spec.name,
      warehouse: resolve(o.warehouse),
      staging: resolve(o.staging),
      result_file: resolve(o.staging, 'result.json'),
      batch_id: o.batchId,
      window: o.window,
      inputs: o.inputs,
      operators,
    },
    csv,
  };
}

function relations(op: SqlOperatorSpec, baseDir: string, staging: string, name: string, csv: CsvRelation[]): Record<string, SparkRelation> {
  const out: Record<string, SparkRelation> = {};
  for (const [alias, rel] of Object.entries(op.relations ?? {})) {
    if (rel.endsWith('.csv')) {
      const parquet = resolve(staging, 'relations', `${name}.${alias}.parquet`);
      csv.push({ csv: resolve(baseDir, rel), parquet });
      out[alias] = { parquet };
    } else out[alias] = { table: rel };
  }
  return out;
}
