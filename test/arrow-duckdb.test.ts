import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Float64, TimestampMillisecond, Utf8, Table, vectorFromArray, Int32 } from 'apache-arrow';
import { arrowToDuckDB, duckDBToArrow } from '../src/engines/duckdb/arrow.ts';
import { openDuckDB } from '../src/engines/duckdb/instance.ts';

test('Arrow batch → DuckDB temp table → Arrow keeps values, nulls and types', async () => {
  const db = await openDuckDB();
  const conn = await db.connect();
  const n = 5000; // crosses two data-chunk boundaries (2048 rows each)
  const ids = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `loc-${i}`));
  const vals = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i * 0.5));
  const ts = Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000);
  const ints = Array.from({ length: n }, (_, i) => i);
  const table = new Table({
    id: vectorFromArray(ids, new Utf8()),
    v: vectorFromArray(vals, new Float64()),
    ts: vectorFromArray(ts, new TimestampMillisecond()),
    k: vectorFromArray(ints, new Int32()),
  });
  await arrowToDuckDB(conn, 'batch', table);
  const agg = (await conn.runAndReadAll(
    `SELECT count(*), count(id), sum(v), min(ts)::VARCHAR, max(ts)::VARCHAR, sum(k) FROM batch`,
  )).getRowsJS()[0]!;
  const expectedSum = vals.reduce<number>((a, b) => a + (b ?? 0), 0);
  assert.deepEqual(agg, [BigInt(n), BigInt(n - Math.ceil(n / 7)), expectedSum, '2024-01-01 00:00:00', '2024-07-27 07:00:00', BigInt((n * (n - 1)) / 2)]);

  const back = duckDBToArrow(await conn.runAndReadAll('SELECT * FROM batch ORDER BY k'));
  assert.equal(back.numRows, n);
  assert.equal(back.getChild('id')!.get(0), null);
  assert.equal(back.getChild('id')!.get(1), 'loc-1');
  assert.equal(back.getChild('v')!.get(5), null);
  assert.equal(back.getChild('v')!.get(4999), 2499.5);
  assert.equal(back.getChild('ts')!.get(3), ts[3]);
  conn.closeSync();
});
