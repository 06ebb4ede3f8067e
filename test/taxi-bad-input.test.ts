/**
 * Bad TLC files: each gives a clear error naming the file (and the column, where there is one),
 * raised before the file's first batch, so nothing of it lands — checked by fingerprinting every
 * table file of a warehouse that already holds good data, before and after. The bad files are
 * derived from the real samples in a temp folder (the samples themselves are never touched).
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataError } from '../src/core/errors.ts';
import { lit, openDuckDB } from '../src/duckdb/instance.ts';
import { openTlcFile } from '../src/sources/tlc/reader.ts';
import { count, tempWarehouse } from './support/pipeline-harness.ts';
import { runTaxi, SAMPLE_CSV, SAMPLE_PARQUET, warehouseFingerprint } from './support/taxi-harness.ts';

interface BadCase {
  name: string;
  file: string;
  code: string;
  /** Words the message must hold besides the file's path. */
  words: RegExp[];
  column?: string;
}

let dir: string;
const cases: BadCase[] = [];

async function withDb<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await openDuckDB();
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-taxi-bad-'));
  const csv = await readFile(SAMPLE_CSV, 'utf8');
  const parquet = await readFile(SAMPLE_PARQUET);
  const add = async (c: Omit<BadCase, 'file'>, content: string | Buffer): Promise<void> => {
    const file = join(dir, c.name);
    await writeFile(file, content);
    cases.push({ ...c, file });
  };
  // What a failed download saves: the host's 403 XML body under the month's name.
  await add({ name: 'yellow_tripdata_2024-02.parquet', code: 'TLC_FILE_FORMAT', words: [/not a Parquet file/, /AccessDenied|<\?xml/] },
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
  await add({ name: 'yellow_tripdata_2024-03.json', code: 'TLC_FILE_FORMAT', words: [/neither Parquet .* nor CSV/] }, '{"trips": []}');
  await add({ name: 'yellow_tripdata_2024-04.csv', code: 'TLC_FILE_NOT_CSV', words: [/binary/] }, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00]));
  await add({ name: 'yellow_tripdata_2024-05.parquet', code: 'TLC_FILE_EMPTY', words: [/empty/] }, '');
  await add({ name: 'yellow_tripdata_2025-01_cut.parquet', code: 'TLC_FILE_TRUNCATED', words: [/truncated Parquet/, /no PAR1 footer/] }, parquet.subarray(0, Math.floor(parquet.length * 0.6)));
  await add({ name: 'yellow_tripdata_2020-07_cut.csv', code: 'TLC_CSV_INVALID', words: [/line 163 has 3 fields where the header has 18/, /truncated/] }, csv.slice(0, 15_000));
  await add({ name: 'yellow_tripdata_2020-07_nopu.csv', code: 'TLC_COLUMN_MISSING', column: 'PULocationID', words: [/missing required column PULocationID/] },
    csv.replace(',PULocationID,', ',PickupZone,'));
  const lines = csv.split('\n');
  const cells = lines[17]!.split(',');
  cells[10] = 'twelve'; // fare_amount of data row 17
  lines[17] = cells.join(',');
  await add({ name: 'yellow_tripdata_2020-07_text_fare.csv', code: 'TLC_COLUMN_TYPE', column: 'fare_amount', words: [/column fare_amount: value "twelve" in row 17 \(line 18\) is not a number/] }, lines.join('\n'));
  const lines2 = csv.split('\n');
  lines2[5] = lines2[5]!.replace(/^(\d+),2020-07-01 [0-9:]+,/, '$1,yesterday noon,');
  await add({ name: 'yellow_tripdata_2020-07_text_time.csv', code: 'TLC_COLUMN_TYPE', column: 'tpep_pickup_datetime', words: [/column tpep_pickup_datetime: value "yesterday noon" in row 5 .* is not a timestamp/] }, lines2.join('\n'));
  // Parquet files with a column of the wrong type: BOOLEAN (never a count), and text that is not an id.
  await withDb(async (conn) => {
    const src = `read_parquet(${lit(SAMPLE_PARQUET)})`;
    const bool = join(dir, 'yellow_tripdata_2025-01_bool.parquet');
    await conn.run(`COPY (SELECT * REPLACE (passenger_count > 1 AS passenger_count) FROM ${src}) TO ${lit(bool)} (FORMAT parquet)`);
    cases.push({ name: 'bool', file: bool, code: 'TLC_COLUMN_TYPE', column: 'passenger_count', words: [/column passenger_count has type BOOLEAN, which cannot hold a whole number/] });
    const text = join(dir, 'yellow_tripdata_2025-01_text_id.parquet');
    await conn.run(`COPY (SELECT * REPLACE (CASE WHEN tpep_pickup_datetime > TIMESTAMP '2025-01-01 00:40' THEN 'JFK' ELSE CAST(PULocationID AS VARCHAR) END AS PULocationID) FROM ${src}) TO ${lit(text)} (FORMAT parquet)`);
    cases.push({ name: 'text id', file: text, code: 'TLC_COLUMN_TYPE', column: 'PULocationID', words: [/column PULocationID: value "JFK" in row 3 is not a whole number/] });
    const fractional = join(dir, 'yellow_tripdata_2025-01_half_passenger.parquet');
    await conn.run(`COPY (SELECT * REPLACE (CAST(passenger_count AS DOUBLE) + 0.5 AS passenger_count) FROM ${src}) TO ${lit(fractional)} (FORMAT parquet)`);
    cases.push({ name: 'fractional', file: fractional, code: 'TLC_COLUMN_TYPE', column: 'passenger_count', words: [/value "1.5" in row 1 is not a whole number \(5 such values\)/] });
    const nodrop = join(dir, 'yellow_tripdata_2025-01_nodrop.parquet');
    await conn.run(`COPY (SELECT * EXCLUDE (tpep_dropoff_datetime, total_amount) FROM ${src}) TO ${lit(nodrop)} (FORMAT parquet)`);
    cases.push({ name: 'no dropoff', file: nodrop, code: 'TLC_COLUMN_MISSING', column: 'tpep_dropoff_datetime', words: [/missing required columns tpep_dropoff_datetime, total_amount/] });
  });
});

test('each bad file is refused by the reader with a DataError naming the file and column', async () => {
  await withDb(async (conn) => {
    for (const c of cases) {
      await assert.rejects(openTlcFile(conn, c.file, { stagingDir: join(dir, 'staged') }), (err: unknown) => {
        assert.ok(err instanceof DataError, `${c.name}: ${String(err)}`);
        assert.equal(err.code, c.code, `${c.name}: ${err.message}`);
        assert.ok(err.message.startsWith(`${c.file}: `), `${c.name}: the message starts with the file: ${err.message}`);
        for (const w of c.words) assert.match(err.message, w, c.name);
        if (c.column) assert.equal(err.context.column, c.column, c.name);
        return true;
      }, c.name);
    }
  });
});

test('through the pipeline: bad files land nothing, good files beside them land whole, the error lists every bad file', async () => {
  const wh = await tempWarehouse('strata-taxi-bad-');
  await runTaxi(wh, { files: [SAMPLE_CSV] });
  const before = await warehouseFingerprint(wh.root);
  assert.equal(before.length, 8);

  const good = join(dir, 'yellow_tripdata_2025-01_head.parquet');
  await copyFile(SAMPLE_PARQUET, good);
  const bad = cases.map((c) => c.file);
  const run = await runTaxi(wh, { files: [...bad.slice(0, 3), good, ...bad.slice(3)] });
  assert.equal(run.status.failedBatches, 0);
  const err = run.status.lastError ?? '';
  assert.match(err, new RegExp(`^${cases.length} TLC file\\(s\\) not loaded`));
  for (const c of cases) {
    assert.ok(err.includes(c.file), `the error names ${c.file}: ${err}`);
    if (c.column) assert.match(err, new RegExp(`${c.file.replace(/[.]/g, '\\.')}: [^\\n]*${c.column}`), `the error names ${c.column} for ${c.name}`);
  }
  // The good file landed whole; of the bad ones, nothing.
  const after = await warehouseFingerprint(wh.root);
  const added = after.filter((l) => !before.includes(l));
  assert.ok(added.every((l) => /date=2025-01-01/.test(l)), `only the good file's partitions changed: ${added.join(', ')}`);
  assert.deepEqual(after.filter((l) => !/date=2025-01-01/.test(l)), before, 'everything else is as it was');
  assert.equal(await count(wh, `SELECT count(*) FROM bronze.taxi_trips WHERE _source_file <> 'yellow_tripdata_2020-07_head.csv'`), 5);
  assert.equal(await count(wh, `SELECT count(*) FROM bronze.taxi_trips WHERE _source_file = 'yellow_tripdata_2025-01_head.parquet'`), 5);

  // A run of only bad files leaves the warehouse exactly as it was.
  const again = await warehouseFingerprint(wh.root);
  const onlyBad = await runTaxi(wh, { files: bad });
  assert.match(onlyBad.status.lastError ?? '', /not loaded/);
  assert.deepEqual(await warehouseFingerprint(wh.root), again);
});
