/** The benchmark's month generator (src/sources/tlc/generate.ts), on a small row count. */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { lit, openDuckDB } from '../src/duckdb/instance.ts';
import { generateTaxiMonth } from '../dev/tlc/generate.ts';
import { openTlcFile } from '../src/sources/tlc/reader.ts';

test('generates a TLC-shaped month: the 2025 schema, the days of the month, the distribution of the sample, deterministic', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-gen-'));
  const db = await openDuckDB();
  const conn = await db.connect();
  try {
    const a = join(dir, 'yellow_tripdata_2024-02.parquet');
    const b = join(dir, 'b.parquet');
    await generateTaxiMonth(conn, { month: '2024-02', rows: 20_000, out: a });
    await generateTaxiMonth(conn, { month: '2024-02', rows: 20_000, out: b });
    const one = async (sql: string): Promise<unknown> => (await conn.runAndReadAll(sql)).getRowsJS()[0]![0];
    const schema = (await conn.runAndReadAll(`SELECT name, type FROM parquet_schema(${lit(a)}) WHERE name IN ('VendorID', 'PULocationID', 'passenger_count', 'tpep_pickup_datetime', 'Airport_fee', 'cbd_congestion_fee')`)).getRowsJS();
    assert.deepEqual(Object.fromEntries(schema.map(([n, t]) => [n, t])), {
      VendorID: 'INT32', tpep_pickup_datetime: 'INT64', passenger_count: 'INT64', PULocationID: 'INT32', Airport_fee: 'DOUBLE', cbd_congestion_fee: 'DOUBLE',
    });
    assert.equal(Number(await one(`SELECT count(*) FROM ${lit(a)}`)), 20_000);
    // Every pick-up in February 2024 (29 days), except the sample's "previous month's last day" quirk.
    assert.equal(String(await one(`SELECT strftime(max(tpep_pickup_datetime), '%Y-%m-%d') FROM ${lit(a)}`)), '2024-02-29');
    assert.equal(Number(await one(`SELECT count(*) FROM ${lit(a)} WHERE tpep_pickup_datetime < '2024-01-31' OR tpep_pickup_datetime >= '2024-03-01'`)), 0);
    const early = Number(await one(`SELECT count(*) FROM ${lit(a)} WHERE tpep_pickup_datetime < '2024-02-01'`));
    assert.ok(early > 100 && early < 800, `about 5/266 of trips on the previous day: ${early}`);
    // Evening rush is busier than 4 am, as in NYC.
    assert.ok(Number(await one(`SELECT count(*) FILTER (WHERE hour(tpep_pickup_datetime) = 18) / count(*) FILTER (WHERE hour(tpep_pickup_datetime) = 4) FROM ${lit(a)}`)) > 4);
    // Same arguments, same trips.
    const digest = (f: string): Promise<unknown> => one(`SELECT md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR))) FROM ${lit(f)} t`);
    assert.equal(await digest(b), await digest(a));
    // The reader takes it as a yellow file.
    const f = await openTlcFile(conn, a, { stagingDir: dir });
    assert.equal(f.service, 'yellow');
    assert.equal(f.rows, 20_000);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
});
