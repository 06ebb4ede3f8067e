/**
 * Synthetic TLC month files for benchmarks: trips bootstrapped from the real sample trips
 * (samples/taxi/yellow_tripdata_2020-07_head.csv), written in the TLC's 2025 yellow schema.
 *
 * Each generated trip copies one sample trip (its zones, vendor, rate code, payment type, passenger
 * count and amounts, so distances, fares and tips keep their joint distribution) with ±20 % jitter on
 * distance, duration and fare/tip, and a pick-up time in the target month: days equally busy, hours
 * following a typical NYC weekday profile (the sample's head covers only a few hours around
 * midnight, so its hours are not usable). Sample trips picked up before the sample's month keep that
 * quirk (they land on the previous month's last day), so the quality rules see realistic rejects at
 * the sample's rates (about 7 %).
 *
 * Randomness comes from hash(row, stream), not random(): the same arguments give the same trips
 * whatever the thread count. About 7 s for 3 million trips on 2 cores.
 */
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { lit } from '../../src/duckdb/instance.ts';

export const SAMPLE_TRIPS = fileURLToPath(new URL('../../samples/taxi/yellow_tripdata_2020-07_head.csv', import.meta.url));
/** The month of SAMPLE_TRIPS (trips picked up before it are the "previous month" quirk). */
const SAMPLE_MONTH_START = '2020-07-01';

/** Relative pick-up volume by hour of day (0..23), a typical NYC yellow-cab weekday. */
const HOUR_WEIGHTS = [3.9, 2.6, 1.8, 1.3, 1.0, 1.1, 2.3, 3.9, 4.8, 4.9, 4.8, 5.0, 5.3, 5.3, 5.6, 5.5, 5.2, 6.0, 6.6, 6.2, 5.5, 5.4, 5.2, 4.5];

export interface GenerateOptions {
  /** `YYYY-MM`. */
  month: string;
  rows: number;
  /** Parquet file to write. */
  out: string;
  /** Template trips (a TLC yellow CSV); default the repository's sample. */
  sample?: string;
}

/** Writes the file; resolves when it is complete. */
export async function generateTaxiMonth(conn: DuckDBConnection, o: GenerateOptions): Promise<void> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(o.month)) throw new RangeError(`month must be YYYY-MM, got "${o.month}"`);
  if (!Number.isInteger(o.rows) || o.rows < 1) throw new RangeError(`rows must be a positive integer, got ${o.rows}`);
  const startUs = Date.parse(`${o.month}-01T00:00:00Z`) * 1000;
  // Pick-up times rise with the row number, as in the TLC's files, so no sort is needed (sorting 3 M
  // wide rows was most of the run time): row i sits at fraction (i + ½)/rows of the month; its day
  // is the whole part, and the day fraction q maps through the inverse CDF of HOUR_WEIGHTS to a
  // second of the day.
  const total = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
  let acc = 0;
  const secondOfDay = `CASE ${HOUR_WEIGHTS.map((w, h) => {
    const lo = acc / total;
    acc += w;
    return `WHEN q < ${acc / total} THEN ${h * 3600} + floor((q - ${lo}) / ${w / total} * 3600)`;
  }).join(' ')} ELSE 86399 END`;
  // u(k): the k-th uniform number in [0, 1) of row i.
  const u = (k: number): string => `(CAST(hash(i, ${k}) % 1000003 AS DOUBLE) / 1000003)`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE _tpl AS
    SELECT row_number() OVER (ORDER BY tpep_pickup_datetime, tpep_dropoff_datetime, PULocationID, DOLocationID, total_amount, trip_distance) - 1 AS tid, *,
           date_diff('second', tpep_pickup_datetime, tpep_dropoff_datetime) AS dur_s,
           tpep_pickup_datetime < DATE '${SAMPLE_MONTH_START}' AS before_month
    FROM read_csv(${lit(o.sample ?? SAMPLE_TRIPS)}, header = true)`);
  // Inlined as a constant: a scalar subquery in the row expression is evaluated far more slowly.
  const templates = Number((await conn.runAndReadAll('SELECT count(*) FROM _tpl')).getRowsJS()[0]![0]);
  await conn.run(`
    COPY (
      WITH draws AS (
        SELECT i,
          CAST(hash(i, 0) % ${templates} AS BIGINT) AS tid,
          CAST(floor(dayf) AS INTEGER) AS day,
          dayf - floor(dayf) AS q,
          0.8 + 0.4 * ${u(4)} AS f_dist,
          0.8 + 0.4 * ${u(5)} AS f_dur
        FROM (SELECT i, (i + 0.5) * ${daysIn(o.month)} / ${o.rows} AS dayf FROM range(${o.rows}) r(i))
      ),
      trips AS (
        SELECT d.i, t.*, d.f_dist, d.f_dur,
          -- microseconds since the epoch: integer maths, much faster than interval arithmetic
          ${startUs} + (CASE WHEN t.before_month THEN -1 ELSE d.day END * 86400
            + CAST(${secondOfDay} AS BIGINT)) * CAST(1000000 AS BIGINT) AS pickup_us
        FROM draws d
        JOIN _tpl t USING (tid)
      ),
      priced AS (
        SELECT *,
          round(fare_amount * f_dist, 2) AS fare,
          round(tip_amount * f_dist, 2) AS tip,
          CASE WHEN PULocationID IN (132, 138) AND fare_amount > 0 THEN 1.75 ELSE 0 END AS airport_fee,
          -- Manhattan congestion pricing from 2025-01-05; the congestion surcharge marks Manhattan trips.
          CASE WHEN congestion_surcharge > 0 AND pickup_us >= ${Date.UTC(2025, 0, 5) * 1000} THEN 0.75 ELSE 0 END AS cbd_fee
        FROM trips
      )
      SELECT
        CAST(VendorID AS INTEGER) AS VendorID,
        make_timestamp(pickup_us) AS tpep_pickup_datetime,
        make_timestamp(pickup_us + CAST(round(dur_s * f_dur) AS BIGINT) * 1000000) AS tpep_dropoff_datetime,
        CAST(passenger_count AS BIGINT) AS passenger_count,
        round(trip_distance * f_dist, 2) AS trip_distance,
        CAST(RatecodeID AS BIGINT) AS RatecodeID,
        CAST(store_and_fwd_flag AS VARCHAR) AS store_and_fwd_flag,
        CAST(PULocationID AS INTEGER) AS PULocationID,
        CAST(DOLocationID AS INTEGER) AS DOLocationID,
        CAST(payment_type AS BIGINT) AS payment_type,
        fare AS fare_amount,
        CAST(extra AS DOUBLE) AS extra,
        CAST(mta_tax AS DOUBLE) AS mta_tax,
        tip AS tip_amount,
        CAST(tolls_amount AS DOUBLE) AS tolls_amount,
        CAST(improvement_surcharge AS DOUBLE) AS improvement_surcharge,
        round(fare + extra + mta_tax + tip + tolls_amount + improvement_surcharge + congestion_surcharge + airport_fee + cbd_fee, 2) AS total_amount,
        CAST(congestion_surcharge AS DOUBLE) AS congestion_surcharge,
        CAST(airport_fee AS DOUBLE) AS Airport_fee,
        CAST(cbd_fee AS DOUBLE) AS cbd_congestion_fee
      FROM priced
    ) TO ${lit(o.out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
  await conn.run('DROP TABLE _tpl');
}

function daysIn(month: string): number {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}
