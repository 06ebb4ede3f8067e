import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Float64, Int32, Int64, Table, TimestampMillisecond, Type, Utf8, vectorFromArray } from 'apache-arrow';
import { float64Vector, int32Vector, int64Vector, timestampMsVector, utf8Vector } from '../src/arrow/columns.ts';
import { arrowToDuckDB, duckDBToArrow } from '../src/duckdb/arrow.ts';
import { openDuckDB } from '../src/duckdb/instance.ts';

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

// Small batches load dictionary columns as strings, large ones as codes plus the dictionary: both.
for (const n of [4500, 20_000]) test(`fast column builders and the typed-array load give the same rows as the generic Arrow path (${n} rows)`, async () => {
  const db = await openDuckDB();
  const conn = await db.connect();
  // Runs of repeated strings (decoded once), unicode, empty strings, nulls in every column.
  // Strings a SQL literal could not carry (NUL, quotes) must cross as they are.
  const s = Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : i % 13 === 0 ? '' : i % 17 === 0 ? `Ho\u0000Chi 'Minh' ${i % 2}` : i % 3 === 0 ? 'μg/m³' : `loc-${Math.floor(i / 40)}`));
  const f = Array.from({ length: n }, (_, i) => (i % 6 === 0 ? null : i === 7 ? Number.NaN : i * 1.25 - 100));
  const i32 = Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : i - 2000));
  const i64 = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : BigInt(i) * 10_000_000_000n));
  const t = Array.from({ length: n }, (_, i) => (i % 8 === 0 ? null : Date.UTC(2023, 2, 26) + i * 61_000));
  const cols = (fast: boolean): Table => new Table({
    s: fast ? utf8Vector(s) : vectorFromArray(s, new Utf8()),
    f: fast ? float64Vector(f) : vectorFromArray(f, new Float64()),
    i32: fast ? int32Vector(i32) : vectorFromArray(i32, new Int32()),
    i64: fast ? int64Vector(i64) : vectorFromArray(i64, new Int64()),
    t: fast ? timestampMsVector(t) : vectorFromArray(t, new TimestampMillisecond()),
  });
  // Several record batches, one of them sliced (Data.offset ≠ 0): the loader must honour offsets.
  const whole = cols(true);
  const fast = new Table([...whole.slice(0, 1000).batches, ...whole.slice(1000, 3100).batches, ...whole.slice(3100).batches]);
  assert.ok(fast.batches.length >= 3);
  assert.equal(fast.schema.fields[0]!.type.typeId, Type.Dictionary, 'few distinct strings are dictionary-encoded');
  // A column with mostly distinct strings stays plain.
  assert.equal(utf8Vector(Array.from({ length: 100 }, (_, i) => `v${i}`)).type.typeId, Type.Utf8);
  await arrowToDuckDB(conn, 'fast', fast);
  await arrowToDuckDB(conn, 'slow', cols(false));
  const rows = async (t: string): Promise<unknown[][]> => (await conn.runAndReadAll(`SELECT * FROM ${t}`)).getRowsJS();
  const a = await rows('fast');
  assert.equal(a.length, n);
  assert.deepEqual(a, await rows('slow'));
  // Spot checks against the source values, independent of either path.
  assert.equal(a[11]![0], null);
  assert.equal(a[3]![0], 'μg/m³');
  assert.equal(a[34]![0], "Ho\u0000Chi 'Minh' 0");
  assert.ok(Number.isNaN(a[7]![1] as number));
  assert.equal(a[6]![1], null);
  assert.equal(a[5]![2], -1995);
  assert.equal(a[19]![3], 190_000_000_000n);
  assert.equal(a[8]![4], null);
  conn.closeSync();
});
