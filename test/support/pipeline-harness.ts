import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import pino from 'pino';
import { loadServiceConfig } from '../../src/config/service.ts';
import { loadTopology } from '../../src/config/topology.ts';
import { openDuckDB } from '../../src/duckdb/instance.ts';
import { buildGraph } from '../../src/runtime/build.ts';
import { Pipeline, runToCompletion } from '../../src/runtime/pipeline.ts';
import { readConsistently } from '../../src/warehouse/local/consistent-read.ts';
import { LocalWarehouse } from '../../src/warehouse/local/local.ts';
import { ArraySource } from './array-source.ts';

export const quietLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function tempWarehouse(prefix = 'strata-wh-'): Promise<LocalWarehouse> {
  return new LocalWarehouse(await mkdtemp(join(tmpdir(), prefix)));
}

/** Runs the shipped topology over the given batches (instead of its poller) into `warehouse`. */
export async function runTopologyOver(topologyFile: string, warehouse: LocalWarehouse, batches: { id: string; table: Table }[]): Promise<ArraySource> {
  const topo = await loadTopology(topologyFile);
  const config = await loadServiceConfig(undefined, {});
  const db = await openDuckDB();
  const graph = buildGraph(topo, { config, log: quietLog, state: warehouse.state });
  const [srcName] = graph.sources.keys();
  const source = new ArraySource(srcName!, topo.spec.name, batches);
  graph.sources.set(srcName!, source);
  const p = new Pipeline(topo, graph, { db, warehouse, log: quietLog });
  await runToCompletion(p);
  if (p.status.failedBatches) throw new Error(`pipeline failed batches: ${p.status.lastError}`);
  db.closeSync();
  return source;
}

/**
 * All rows of a table (minus the listed columns), sorted, as JSON lines: easy to compare across runs.
 * Doubles are compared to 12 significant digits: a sum's last bit depends on the order DuckDB's
 * parallel window evaluation adds terms in, which is not part of the result's meaning.
 */
export async function tableSnapshot(warehouse: LocalWarehouse, table: string, exclude: string[] = []): Promise<string[]> {
  const db = await openDuckDB();
  const conn = await db.connect();
  try {
    // Tests read while pipelines write, as users do: through the same consistent read as `strata query`.
    const r = await readConsistently(warehouse, async () => {
      await warehouse.attach(conn);
      // Exclude only columns the table has: runs through different sources carry different lineage.
      const cols = new Set((await conn.runAndReadAll(`DESCRIBE ${table}`)).getRowsJS().map((r) => String(r[0])));
      const present = exclude.filter((c) => cols.has(c));
      const ex = present.length ? ` EXCLUDE (${present.join(', ')})` : '';
      return conn.runAndReadAll(`SELECT *${ex} FROM ${table}`);
    });
    const rows = r.getRowObjectsJson().map((o) => JSON.stringify(o, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v)));
    return rows.sort();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

export async function count(warehouse: LocalWarehouse, sql: string): Promise<number> {
  const db = await openDuckDB();
  const conn = await db.connect();
  try {
    return await readConsistently(warehouse, async () => {
      await warehouse.attach(conn);
      return Number((await conn.runAndReadAll(sql)).getRowsJS()[0]![0]);
    });
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
