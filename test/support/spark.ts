import { join } from 'node:path';
import { loadServiceConfig } from '../../src/config/service.ts';
import type { LoadedTopology } from '../../src/components/topology.ts';
import type { ServiceConfig } from '../../src/config/service-schema.ts';
import { openDuckDB } from '../../src/duckdb/instance.ts';
import type { SparkInput } from '../../src/backfill/spark/plan.ts';
import { runSparkStage, type SparkStageResult } from '../../src/backfill/spark/run.ts';
import { buildGraph } from '../../src/runtime/build.ts';
import type { Layer } from '../../src/core/layers.ts';
import { Pipeline, runToCompletion } from '../../src/runtime/pipeline.ts';
import { batchFileName } from '../../src/warehouse/partitions.ts';
import type { LocalWarehouse } from '../../src/warehouse/local/local.ts';
import { quietLog } from './pipeline-harness.ts';

/**
 * The real Spark and YARN the Spark tests run on. `npm test` (scripts/test.sh) installs and starts
 * them and exports these variables; the tests never skip — they fail saying how to get them.
 */
export function requireSpark(opts: { yarn: boolean }): { SPARK_HOME: string; HADOOP_CONF_DIR?: string } {
  const missing = ['SPARK_HOME', ...(opts.yarn ? ['HADOOP_CONF_DIR'] : [])].filter((k) => !process.env[k]);
  if (missing.length) {
    throw new Error(
      `${missing.join(' and ')} not set: the Spark tests need a real Spark${opts.yarn ? ' and YARN' : ''}. ` +
        'Run them through `npm test` (scripts/test.sh installs and starts both), or first: ' +
        'eval "$(scripts/spark/install.sh)"; eval "$(scripts/yarn/yarn.sh start)"',
    );
  }
  return { SPARK_HOME: process.env.SPARK_HOME!, HADOOP_CONF_DIR: process.env.HADOOP_CONF_DIR };
}

/** Small, fast-starting JVMs for chunk-sized test data (C1 JIT, serial GC): config, not code. */
export const FAST_JVM = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
export const TEST_SPARK_CONF = {
  'spark.driver.extraJavaOptions': FAST_JVM,
  'spark.executor.extraJavaOptions': FAST_JVM,
  'spark.yarn.am.extraJavaOptions': FAST_JVM,
};

export async function sparkConfig(spark: Partial<ServiceConfig['spark']>): Promise<ServiceConfig> {
  const config = await loadServiceConfig(undefined, {});
  config.spark = { ...config.spark, conf: { ...TEST_SPARK_CONF }, ...spark };
  return config;
}

/**
 * Bronze in-process for the topology's sources as given (`sources` replaces the built ones), then
 * Silver and Gold on Spark: the engine split of a Spark backfill chunk, for sources without a window.
 */
export async function bronzeThenSpark(
  topo: LoadedTopology,
  warehouse: LocalWarehouse,
  config: ServiceConfig,
  label: string,
): Promise<SparkStageResult> {
  const db = await openDuckDB();
  const inputs: Record<string, SparkInput> = {};
  try {
    const graph = buildGraph(topo, { config, log: quietLog, state: warehouse.state });
    const p = new Pipeline(topo, graph, { db, warehouse, log: quietLog }, {
      runLayers: new Set<Layer>(['bronze']),
      onOutput: (name, out, meta) => {
        const op = topo.spec.operators[name];
        if (op?.type !== 'bronze') return;
        const i = (inputs[name] ??= { table: op.table, partition_by: op.partition_by, files: [], partitions: [], rows: 0 });
        for (const v of out.partitions) {
          i.files.push(join(warehouse.tableDir(op.table), `${op.partition_by}=${v}`, batchFileName(meta.batchId)));
          if (v !== '__HIVE_DEFAULT_PARTITION__' && !i.partitions.includes(v)) i.partitions.push(v);
        }
        i.rows += out.rows;
      },
    });
    await runToCompletion(p);
    if (p.status.failedBatches) throw new Error(`bronze failed: ${p.status.lastError}`);
  } finally {
    db.closeSync();
  }
  return runSparkStage({ topology: topo, config, warehouse, log: quietLog, layers: new Set<Layer>(['silver', 'gold']), inputs, label, batchId: `spark-${label}` });
}
