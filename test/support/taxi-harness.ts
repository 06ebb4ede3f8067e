import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadServiceConfig } from '../../src/config/service.ts';
import { loadTopology } from '../../src/config/topology.ts';
import type { SourceSpec } from '../../src/components/topology.ts';

type TlcSourceSpec = Extract<SourceSpec, { type: 'tlc' }>;
import { openDuckDB } from '../../src/duckdb/instance.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { buildGraph } from '../../src/runtime/build.ts';
import { Pipeline, runToCompletion, type PipelineStatus } from '../../src/runtime/pipeline.ts';
import type { LocalWarehouse } from '../../src/warehouse/local/local.ts';
import { quietLog } from './pipeline-harness.ts';

export const TAXI_TOPOLOGY = fileURLToPath(new URL('../../topologies/taxi.yaml', import.meta.url));
/** The real TLC samples (read-only, shared by every checkout). */
export const TAXI_DATA = fileURLToPath(new URL('../../../shared/data/taxi/', import.meta.url));
export const SAMPLE_CSV = join(TAXI_DATA, 'yellow_tripdata_2020-07_head.csv');
export const SAMPLE_PARQUET = join(TAXI_DATA, 'yellow_tripdata_2025-01_head.parquet');

export interface TaxiRun {
  status: PipelineStatus;
  metrics: Metrics;
}

/**
 * Runs the shipped taxi topology, its `tlc` source reading `source` (absolute paths, or months)
 * instead of the samples, into `warehouse`; the real source, reader, SQL and sinks.
 */
export async function runTaxi(warehouse: LocalWarehouse, source: Partial<TlcSourceSpec>, env: NodeJS.ProcessEnv = {}): Promise<TaxiRun> {
  const topo = await loadTopology(TAXI_TOPOLOGY);
  const spec = topo.spec.sources.trips as TlcSourceSpec;
  topo.spec.sources.trips = { ...spec, files: undefined, ...source };
  const config = await loadServiceConfig(undefined, env);
  const metrics = new Metrics();
  const db = await openDuckDB();
  try {
    const graph = buildGraph(topo, { config, log: quietLog, metrics, state: warehouse.state });
    const p = new Pipeline(topo, graph, { db, warehouse, log: quietLog, metrics });
    await runToCompletion(p);
    return { status: p.status, metrics };
  } finally {
    db.closeSync();
  }
}

/** Every table file under the warehouse (not _state) with its size and content hash: equal fingerprints = nothing written. */
export async function warehouseFingerprint(root: string): Promise<string[]> {
  const { createHash } = await import('node:crypto');
  const { readdir, readFile } = await import('node:fs/promises');
  const { relative } = await import('node:path');
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(`${relative(root, p)} ${createHash('sha256').update(await readFile(p)).digest('hex').slice(0, 16)}`);
    }
  };
  for (const layer of ['bronze', 'silver', 'gold']) await walk(join(root, layer));
  return out.sort();
}

/** Minimal CSV reading for the TLC files (no quoted commas in trip files; quotes stripped): rows as objects. */
export function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0]!.split(',').map((h) => h.replace(/^"(.*)"$/, '$1'));
  return lines.slice(1).map((l) => {
    const cells = l.split(',').map((c) => c.replace(/^"(.*)"$/, '$1'));
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}
