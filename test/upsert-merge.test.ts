// The keyed upsert of the sql operator: incoming rows merge with stored partitions, the greatest
// order_by wins. Two paths give the same result — an anti join when no incoming row is older than a
// stored one, a ranking of the union otherwise — so both are checked against the rule itself.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDuckDB } from '../src/duckdb/instance.ts';
import { SqlOperator } from '../src/operators/sql/sql.ts';
import { quietLog, tempWarehouse } from './support/pipeline-harness.ts';

async function setup(): Promise<{ upsert: (rows: [string, string, number, number][]) => Promise<void>; stored: () => Promise<unknown[][]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-upsert-'));
  await writeFile(join(dir, 'model.sql'), 'SELECT k, CAST(d AS DATE) AS date, v, CAST(t AS BIGINT) AS t FROM input');
  const op = new SqlOperator('m', { inputs: ['src'], sql: 'model.sql', materialize: { mode: 'upsert', table: 'silver.m', partition_by: 'date', key: ['k'], order_by: ['t'], affects_days: [0, 0], reads_days: [0, 0] } }, { baseDir: dir, vars: {} });
  const wh = await tempWarehouse();
  const db = await openDuckDB();
  const conn = await db.connect();
  let n = 0;
  return {
    upsert: async (rows) => {
      const values = rows.map(([k, d, v, t]) => `('${k}', '${d}', ${v}, ${t})`).join(', ');
      await conn.run(`CREATE OR REPLACE TEMP TABLE src AS SELECT * FROM (VALUES ${values}) AS s(k, d, v, t)`);
      await op.process({ conn, warehouse: wh, meta: { topology: 't', batchId: `b${n++}`, source: 'src', createdAt: 0 }, log: quietLog }, { relation: 'src', rows: rows.length, partitions: [] });
    },
    stored: async () => (await conn.runAndReadAll(`SELECT k, v, t FROM read_parquet('${wh.root}/silver/m/*/*.parquet') ORDER BY k`)).getRowsJS(),
  };
}

test('upsert: newer incoming rows replace stored ones by key, others are kept (anti-join path)', async () => {
  const s = await setup();
  await s.upsert([['a', '2024-01-01', 1, 10], ['b', '2024-01-01', 2, 10], ['c', '2024-01-02', 3, 10]]);
  await s.upsert([['a', '2024-01-01', 11, 20], ['c', '2024-01-02', 33, 10], ['d', '2024-01-01', 4, 20]]); // c: a tie, d: new key
  assert.deepEqual(await s.stored(), [['a', 11, 20n], ['b', 2, 10n], ['c', 33, 10n], ['d', 4, 20n]]);
});

test('upsert: an incoming row older than the stored one loses; newer ones in the same batch still win (ranking path)', async () => {
  const s = await setup();
  await s.upsert([['a', '2024-01-01', 1, 10], ['b', '2024-01-01', 2, 30]]);
  await s.upsert([['a', '2024-01-01', 11, 20], ['b', '2024-01-01', 22, 20], ['e', '2024-01-01', 5, 5]]);
  assert.deepEqual(await s.stored(), [['a', 11, 20n], ['b', 2, 30n], ['e', 5, 5n]]);
});

test('upsert: duplicates of a key inside one batch keep only the greatest order_by', async () => {
  const s = await setup();
  await s.upsert([['a', '2024-01-01', 1, 10], ['a', '2024-01-01', 2, 30], ['b', '2024-01-02', 4, 1], ['a', '2024-01-01', 3, 20]]);
  assert.deepEqual(await s.stored(), [['a', 2, 30n], ['b', 4, 1n]]);
  // Into stored partitions too (the anti-join path sees the batch already deduplicated).
  await s.upsert([['b', '2024-01-02', 5, 7], ['b', '2024-01-02', 6, 9], ['c', '2024-01-01', 7, 1]]);
  assert.deepEqual(await s.stored(), [['a', 2, 30n], ['b', 6, 9n], ['c', 7, 1n]]);
});

test('a write spanning more partitions than DuckDB keeps open (100) still gives one file per partition, every row in it', async () => {
  const wh = await tempWarehouse();
  const db = await openDuckDB();
  const conn = await db.connect();
  // 130 days interleaved, 650k rows: DuckDB's partitioned COPY writes some days in several pieces.
  await conn.run("CREATE TEMP TABLE t AS SELECT (DATE '2024-01-01' + (i % 130)::INT) AS date, i AS v, 'x' || i AS s FROM range(650000) r(i)");
  const written = await wh.write(conn, 't', 'gold.m', { partitionBy: 'date', fileName: 'data.parquet' });
  assert.equal(written.length, 130);
  const files = await wh.files('gold.m');
  assert.equal(files.length, 130);
  assert.ok(files.every((f) => f.endsWith('/data.parquet')));
  const r = await conn.runAndReadAll(`SELECT count(*), count(DISTINCT v), sum(CAST(date = DATE '2024-01-01' + (v % 130)::INT AS INT)) FROM read_parquet('${wh.root}/gold/m/*/*.parquet', hive_partitioning = true)`);
  assert.deepEqual(r.getRowsJS()[0], [650000n, 650000n, 650000n]);
  conn.closeSync();
  db.closeSync();
});
