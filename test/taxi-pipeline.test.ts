/**
 * The taxi topology end to end on the real TLC samples (../shared/data/taxi): the real `tlc` source
 * and reader, the SQL models of sql/taxi, the warehouse on disk.
 *
 * The expected rejects are computed here independently: the sample CSV is parsed in JavaScript and
 * the rules of sql/taxi/quality_rules.sql are applied to each row, so the test checks the SQL against
 * a second implementation, row by row (by lineage), as well as against hand-checked totals.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { count, tableSnapshot, tempWarehouse } from './support/pipeline-harness.ts';
import { parseCsv, runTaxi, SAMPLE_CSV, SAMPLE_PARQUET, TAXI_DATA, warehouseFingerprint } from './support/taxi-harness.ts';
import type { LocalWarehouse } from '../src/warehouse/local/local.ts';

const RULES_SQL = fileURLToPath(new URL('../sql/taxi/quality_rules.sql', import.meta.url));

/** The rules of quality_rules.sql, in order, re-implemented over a TLC CSV row (strings as in the file). */
const RULES: [reason: string, breaks: (r: Record<string, string>, fileMonth: string, zones: Set<number>) => boolean][] = [
  ['missing_timestamp', (r) => !r.tpep_pickup_datetime || !r.tpep_dropoff_datetime],
  ['pickup_outside_file_month', (r, m) => m !== '' && r.tpep_pickup_datetime!.slice(0, 7) !== m],
  ['dropoff_before_pickup', (r) => ms(r.tpep_dropoff_datetime!) < ms(r.tpep_pickup_datetime!)],
  ['duration_over_a_day', (r) => ms(r.tpep_dropoff_datetime!) - ms(r.tpep_pickup_datetime!) > 86_400_000],
  ['passenger_count_missing_or_zero', (r) => num(r.passenger_count) === null || num(r.passenger_count)! <= 0],
  ['trip_distance_not_positive', (r) => num(r.trip_distance) === null || num(r.trip_distance)! <= 0],
  ['trip_distance_absurd', (r) => num(r.trip_distance)! > 200],
  ['fare_not_positive', (r) => num(r.fare_amount) === null || num(r.fare_amount)! <= 0],
  ['total_not_positive', (r) => num(r.total_amount) === null || num(r.total_amount)! <= 0],
  ['amount_absurd', (r) => ['fare_amount', 'extra', 'mta_tax', 'tip_amount', 'tolls_amount', 'improvement_surcharge', 'congestion_surcharge', 'total_amount'].some((c) => Math.abs(num(r[c]) ?? 0) >= 10_000)],
  ['unknown_zone', (r, _m, z) => !z.has(num(r.PULocationID) ?? -1) || !z.has(num(r.DOLocationID) ?? -1)],
];

function ms(ts: string): number {
  return Date.parse(`${ts.replace(' ', 'T')}Z`);
}
function num(s: string | undefined): number | null {
  return s === undefined || s === '' ? null : Number(s);
}
function reasonOf(r: Record<string, string>, fileMonth: string, zones: Set<number>): string | undefined {
  return RULES.find(([, breaks]) => breaks(r, fileMonth, zones))?.[0];
}

let zones: Set<number>;
let csvRows: Record<string, string>[];
/** Expected reason per 1-based row number of the sample CSV (undefined = clean). */
let expected: (string | undefined)[];

before(async () => {
  zones = new Set(parseCsv(await readFile(join(TAXI_DATA, 'taxi_zone_lookup.csv'), 'utf8')).map((z) => Number(z.LocationID)));
  csvRows = parseCsv(await readFile(SAMPLE_CSV, 'utf8'));
  expected = csvRows.map((r) => reasonOf(r, '2020-07', zones));
});

function tally(reasons: (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of reasons) if (r) out[r] = (out[r] ?? 0) + 1;
  return out;
}

async function rows(wh: LocalWarehouse, sql: string): Promise<Record<string, unknown>[]> {
  const { openDuckDB } = await import('../src/duckdb/instance.ts');
  const db = await openDuckDB();
  const conn = await db.connect();
  try {
    await wh.attach(conn);
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('taxi pipeline on the real samples', () => {
  let wh: LocalWarehouse;
  let run: Awaited<ReturnType<typeof runTaxi>>;

  before(async () => {
    wh = await tempWarehouse('strata-taxi-');
    run = await runTaxi(wh, { files: [SAMPLE_CSV, SAMPLE_PARQUET], batch_rows: 100 });
    assert.equal(run.status.failedBatches, 0, run.status.lastError);
    assert.equal(run.status.lastError, undefined);
  });

  test('the JS rules agree with the hand-checked counts of the 2020-07 sample', () => {
    assert.equal(csvRows.length, 266);
    assert.deepEqual(tally(expected), {
      pickup_outside_file_month: 5, // picked up on 2020-06-30 (one of them a 23.5-hour trip)
      passenger_count_missing_or_zero: 1,
      trip_distance_not_positive: 11,
      fare_not_positive: 1, // the refund row: every amount negative
    });
  });

  test('every rule of quality_rules.sql is re-implemented here, in the same order', async () => {
    const sql = await readFile(RULES_SQL, 'utf8');
    const inSql = [...sql.matchAll(/THEN '([a-z_]+)'/g)].map((m) => m[1]);
    assert.deepEqual(inSql, RULES.map(([r]) => r));
  });

  test('exact counts per rule: the rejected table, and the metrics, per reason', async () => {
    const got = await rows(wh, 'SELECT reason, count(*) AS n FROM silver.taxi_trips_rejected GROUP BY reason ORDER BY reason');
    assert.deepEqual(Object.fromEntries(got.map((r) => [r.reason, Number(r.n)])), tally(expected));
    const metric = await run.metrics.recordsRejected.get();
    const byReason = Object.fromEntries(metric.values.filter((v) => v.labels.topology === 'taxi' && v.labels.operator === 'silver_rejected').map((v) => [v.labels.reason, v.value]));
    assert.deepEqual(byReason, tally(expected));
  });

  test('each rejected row is the row the JS rules reject, with the same reason (matched by lineage)', async () => {
    const got = await rows(wh, `SELECT _row_number, reason FROM silver.taxi_trips_rejected WHERE _source_file = 'yellow_tripdata_2020-07_head.csv' ORDER BY 1`);
    const want = expected.flatMap((r, i) => (r ? [{ _row_number: String(i + 1), reason: r }] : []));
    assert.deepEqual(got.map((r) => ({ _row_number: String(r._row_number), reason: r.reason })), want);
    // …and the rejected row holds the original fields of that CSV line.
    const refund = await rows(wh, `SELECT _row_number, fare_amount, total_amount, pickup_datetime FROM silver.taxi_trips_rejected WHERE reason = 'fare_not_positive'`);
    const line = csvRows[Number(refund[0]!._row_number) - 1]!;
    assert.equal(Number(refund[0]!.fare_amount), Number(line.fare_amount));
    assert.equal(Number(refund[0]!.total_amount), Number(line.total_amount));
    assert.equal(String(refund[0]!.pickup_datetime), line.tpep_pickup_datetime);
  });

  test('bronze = silver + rejected, per file; trip keys are unique', async () => {
    const per = await rows(wh, `
      SELECT b._source_file AS f, b.n AS bronze, COALESCE(s.n, 0) AS silver, COALESCE(r.n, 0) AS rejected
      FROM (SELECT _source_file, count(*) n FROM bronze.taxi_trips GROUP BY 1) b
      LEFT JOIN (SELECT _source_file, count(*) n FROM silver.taxi_trips GROUP BY 1) s USING (_source_file)
      LEFT JOIN (SELECT _source_file, count(*) n FROM silver.taxi_trips_rejected GROUP BY 1) r USING (_source_file)
      ORDER BY 1`);
    assert.deepEqual(per.map((r) => [r.f, Number(r.bronze), Number(r.silver), Number(r.rejected)]), [
      ['yellow_tripdata_2020-07_head.csv', 266, 248, 18],
      ['yellow_tripdata_2025-01_head.parquet', 5, 5, 0],
    ]);
    assert.equal(await count(wh, 'SELECT count(*) - count(DISTINCT trip_key) FROM silver.taxi_trips'), 0);
    // No row lands twice: the lineage of silver and rejected together is bronze's, exactly.
    assert.equal(await count(wh, `SELECT count(*) FROM (
      SELECT _source_file, _row_number FROM bronze.taxi_trips
      EXCEPT ALL (SELECT _source_file, _row_number FROM silver.taxi_trips UNION ALL SELECT _source_file, _row_number FROM silver.taxi_trips_rejected))`), 0);
  });

  test('gold sums equal silver sums per day (trips and revenue), in both gold tables', async () => {
    const cmp = await rows(wh, `
      WITH s AS (SELECT date, count(*) AS trips, sum(total_amount) AS revenue FROM silver.taxi_trips GROUP BY date),
           d AS (SELECT date, sum(trips) AS trips, sum(revenue) AS revenue FROM gold.taxi_daily_zone GROUP BY date),
           h AS (SELECT date, sum(trips) AS trips, sum(revenue) AS revenue FROM gold.taxi_hourly_demand GROUP BY date)
      SELECT CAST(s.date AS VARCHAR) AS date, s.trips AS s_trips, d.trips AS d_trips, h.trips AS h_trips,
             CAST(s.revenue AS VARCHAR) AS s_rev, CAST(d.revenue AS VARCHAR) AS d_rev, CAST(h.revenue AS VARCHAR) AS h_rev
      FROM s FULL JOIN d USING (date) FULL JOIN h USING (date) ORDER BY 1`);
    assert.deepEqual(cmp.map((r) => r.date), ['2020-07-01', '2025-01-01']);
    for (const r of cmp) {
      assert.equal(r.d_trips, r.s_trips, `daily_zone trips on ${r.date}`);
      assert.equal(r.h_trips, r.s_trips, `hourly_demand trips on ${r.date}`);
      assert.equal(r.d_rev, r.s_rev, `daily_zone revenue on ${r.date}`);
      assert.equal(r.h_rev, r.s_rev, `hourly_demand revenue on ${r.date}`);
    }
    assert.equal(Number(cmp[0]!.s_trips), 248);
    // Revenue of the clean 2020-07-01 trips, summed in JS from the CSV.
    const js = csvRows.reduce((a, r, i) => (expected[i] ? a : a + Math.round(Number(r.total_amount) * 100)), 0);
    assert.equal(cmp[0]!.s_rev, (js / 100).toFixed(2));
    // The keys are unique.
    assert.equal(await count(wh, 'SELECT count(*) FROM (SELECT date, pu_location_id FROM gold.taxi_daily_zone GROUP BY ALL HAVING count(*) > 1)'), 0);
    assert.equal(await count(wh, 'SELECT count(*) FROM (SELECT date, hour, pu_borough FROM gold.taxi_hourly_demand GROUP BY ALL HAVING count(*) > 1)'), 0);
  });

  test('silver is typed and has its zones; the zone dimension keeps Unknown, NV, NA and N/A as strings', async () => {
    const t = await rows(wh, `SELECT pu_zone, pu_borough, do_zone, typeof(total_amount) AS money, typeof(pickup_datetime) AS ts, store_and_fwd FROM silver.taxi_trips WHERE _source_file LIKE '%2025-01%' AND _row_number = 1`);
    assert.deepEqual(t[0], { pu_zone: 'Sutton Place/Turtle Bay North', pu_borough: 'Manhattan', do_zone: 'Upper East Side South', money: 'DECIMAL(18,2)', ts: 'TIMESTAMP', store_and_fwd: false });
    const unknown = await rows(wh, 'SELECT LocationID, Borough, Zone, service_zone FROM gold.dim_taxi_zone WHERE LocationID >= 264 ORDER BY 1');
    assert.deepEqual(unknown.map((r) => [Number(r.LocationID), r.Borough, r.Zone, r.service_zone]), [
      [264, 'Unknown', 'NV', 'N/A'],
      [265, 'Unknown', 'NA', 'N/A'],
    ]);
    assert.equal(await count(wh, 'SELECT count(*) FROM gold.dim_taxi_zone'), 265);
    assert.equal(await count(wh, 'SELECT count(*) FROM gold.dim_taxi_zone WHERE Borough IS NULL OR Zone IS NULL OR service_zone IS NULL'), 0);
    // Trips to/from the TLC's "unknown" ids are kept, under borough 'Unknown' — not rejected, not NULL.
    assert.ok(await count(wh, `SELECT count(*) FROM silver.taxi_trips WHERE do_borough = 'Unknown' AND do_zone IN ('NV', 'NA')`) >= 3);
    assert.ok(await count(wh, `SELECT count(*) FROM gold.taxi_hourly_demand WHERE pu_borough = 'Unknown'`) >= 1);
  });

  test('re-running the same files changes nothing (bronze, silver, rejected, gold)', async () => {
    const tables = ['bronze.taxi_trips', 'silver.taxi_trips', 'silver.taxi_trips_rejected', 'gold.taxi_daily_zone', 'gold.taxi_hourly_demand', 'gold.dim_taxi_zone'];
    const snap = async (): Promise<Record<string, string[]>> => {
      const out: Record<string, string[]> = {};
      for (const t of tables) out[t] = await tableSnapshot(wh, t, t.startsWith('gold') ? [] : ['_ingested_at']);
      return out;
    };
    const files = async (): Promise<string[]> => (await warehouseFingerprint(wh.root)).map((l) => l.split(' ')[0]!);
    const before = await snap();
    const filesBefore = await files();
    const again = await runTaxi(wh, { files: [SAMPLE_CSV, SAMPLE_PARQUET], batch_rows: 100 });
    assert.equal(again.status.lastError, undefined);
    assert.deepEqual(await snap(), before);
    assert.deepEqual(await files(), filesBefore, 'the same files: re-sent batches replaced their own');
  });
});

test('batching does not change the result: 40-row batches give the tables one batch gives', async () => {
  const lineage = ['_ingested_at', '_batch_id', '_batch_index'];
  const snap = async (wh: LocalWarehouse): Promise<string[]> => [
    ...(await tableSnapshot(wh, 'bronze.taxi_trips', [...lineage, '_position'])),
    ...(await tableSnapshot(wh, 'silver.taxi_trips', lineage)),
    ...(await tableSnapshot(wh, 'silver.taxi_trips_rejected', lineage)),
    ...(await tableSnapshot(wh, 'gold.taxi_daily_zone')),
    ...(await tableSnapshot(wh, 'gold.taxi_hourly_demand')),
  ];
  const one = await tempWarehouse('strata-taxi-');
  const r1 = await runTaxi(one, { files: [SAMPLE_CSV], batch_rows: 1000 });
  const small = await tempWarehouse('strata-taxi-');
  const r2 = await runTaxi(small, { files: [SAMPLE_CSV], batch_rows: 40 });
  assert.equal(r1.status.batches, 1);
  assert.equal(r2.status.batches, Math.ceil(266 / 40));
  assert.deepEqual(await snap(small), await snap(one));
});

test('incremental: a new file rebuilds only the gold partitions it touches', async () => {
  const wh = await tempWarehouse('strata-taxi-');
  await runTaxi(wh, { files: [SAMPLE_CSV] });
  const goldFile = join(wh.root, 'gold/taxi_daily_zone/date=2020-07-01/data.parquet');
  const before = await stat(goldFile);
  const printBefore = (await warehouseFingerprint(wh.root)).filter((l) => l.includes('date=2020-'));
  await new Promise((r) => setTimeout(r, 20));
  await runTaxi(wh, { files: [SAMPLE_PARQUET] });
  const after = await stat(goldFile);
  assert.equal(after.mtimeMs, before.mtimeMs, 'the 2020-07-01 gold partition was not rewritten');
  assert.equal(after.ino, before.ino);
  assert.deepEqual((await warehouseFingerprint(wh.root)).filter((l) => l.includes('date=2020-')), printBefore, 'nothing of 2020 changed');
  assert.equal(await count(wh, `SELECT sum(trips) FROM gold.taxi_daily_zone WHERE date = DATE '2025-01-01'`), 5);
});

test('every rule fires, and only its own: one derived trip per rule (CSV, the same trips as green Parquet, and under a name without a month)', async () => {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'strata-taxi-rules-'));
  const base = csvRows[0]!; // a clean trip: 2020-07-01 00:25:32 → 00:33:39, 238 → 75, fare 8, total 9.3
  assert.equal(reasonOf(base, '2020-07', zones), undefined);
  const cases: [string | undefined, Record<string, string>][] = [
    [undefined, {}],
    ['missing_timestamp', { tpep_dropoff_datetime: '' }],
    ['missing_timestamp', { tpep_pickup_datetime: '' }], // lands in Hive's default partition (no pick-up date)
    ['pickup_outside_file_month', { tpep_pickup_datetime: '2020-08-01 00:00:00', tpep_dropoff_datetime: '2020-08-01 00:10:00' }],
    ['dropoff_before_pickup', { tpep_dropoff_datetime: '2020-07-01 00:20:00' }],
    ['duration_over_a_day', { tpep_dropoff_datetime: '2020-07-02 00:25:33' }],
    ['passenger_count_missing_or_zero', { passenger_count: '' }],
    ['trip_distance_not_positive', { trip_distance: '-1.5' }],
    ['trip_distance_absurd', { trip_distance: '201' }],
    ['fare_not_positive', { fare_amount: '0' }],
    ['total_not_positive', { total_amount: '-9.3' }],
    ['amount_absurd', { tolls_amount: '12000' }],
    ['unknown_zone', { PULocationID: '266' }],
    ['unknown_zone', { DOLocationID: '' }],
    [undefined, { tpep_dropoff_datetime: '2020-07-02 00:25:32' }], // exactly 24 hours is allowed
    [undefined, { DOLocationID: '264' }], // the TLC's own "unknown" zone is a known id
  ];
  const header = Object.keys(base);
  const lines = cases.map(([, over]) => header.map((h) => over[h] ?? base[h]).join(','));
  const csv = join(dir, 'yellow_tripdata_2020-07_rules.csv');
  await writeFile(csv, [header.join(','), ...lines].join('\r\n'));
  for (const [i, [reason, over]] of cases.entries()) assert.equal(reasonOf({ ...base, ...over }, '2020-07', zones), reason, `JS rules, case ${i}`);

  // The same trips as a green Parquet file (lpep_* names, trip_type and ehail_fee present).
  const { openDuckDB, lit } = await import('../src/duckdb/instance.ts');
  const db = await openDuckDB();
  const conn = await db.connect();
  const green = join(dir, 'green_tripdata_2020-07_rules.parquet');
  await conn.run(`COPY (SELECT * EXCLUDE (tpep_pickup_datetime, tpep_dropoff_datetime), tpep_pickup_datetime AS lpep_pickup_datetime,
    tpep_dropoff_datetime AS lpep_dropoff_datetime, 1 AS trip_type, CAST(NULL AS DOUBLE) AS ehail_fee
    FROM read_csv(${lit(csv)}, header = true, nullstr = '', types = {'tpep_pickup_datetime': 'TIMESTAMP', 'tpep_dropoff_datetime': 'TIMESTAMP', 'passenger_count': 'INTEGER', 'DOLocationID': 'INTEGER'})) TO ${lit(green)} (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();

  // The same CSV under a name without `_tripdata_YYYY-MM`: the month rule has nothing to compare with.
  const unnamed = join(dir, 'trips_export.csv');
  await writeFile(unnamed, [header.join(','), ...lines].join('\r\n'));

  const wh = await tempWarehouse('strata-taxi-');
  const r = await runTaxi(wh, { files: [csv, green, unnamed], batch_rows: 4 });
  assert.equal(r.status.lastError, undefined);
  for (const service of ['yellow', 'green']) {
    const got = await rows(wh, `SELECT _row_number, reason FROM silver.taxi_trips_rejected WHERE service = '${service}' AND _source_file <> 'trips_export.csv' ORDER BY _row_number`);
    const want = cases.flatMap(([reason], i) => (reason ? [{ row: i + 1, reason }] : []));
    assert.deepEqual(got.map((g) => ({ row: Number(g._row_number), reason: g.reason })), want, service);
    assert.equal(await count(wh, `SELECT count(*) FROM silver.taxi_trips WHERE service = '${service}' AND _source_file <> 'trips_export.csv'`), 3);
  }
  const unnamedRejects = await rows(wh, `SELECT reason FROM silver.taxi_trips_rejected WHERE _source_file = 'trips_export.csv'`);
  assert.equal(unnamedRejects.length, cases.filter(([reason]) => reason).length - 1);
  assert.ok(!unnamedRejects.some((x) => x.reason === 'pickup_outside_file_month'));
  assert.equal(await count(wh, `SELECT count(*) FROM silver.taxi_trips WHERE _source_file = 'trips_export.csv' AND pickup_datetime = TIMESTAMP '2020-08-01 00:00:00'`), 1);
  assert.equal(await count(wh, `SELECT count(*) FROM silver.taxi_trips WHERE service = 'green' AND trip_type = 1`), 3);
  assert.equal(await count(wh, 'SELECT count(*) FROM bronze.taxi_trips'), 3 * cases.length);
  assert.equal(await count(wh, `SELECT count(*) FROM silver.taxi_trips_rejected WHERE date IS NULL AND pickup_datetime IS NULL`), 3);
});
