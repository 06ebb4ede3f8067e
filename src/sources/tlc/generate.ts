/**
 * Synthetic TLC month files for benchmarks: trips bootstrapped from the real sample trips
 * (samples/taxi/yellow_tripdata_2020-07_head.csv), written in the TLC's 2025 yellow schema.
 *
 * Each generated trip copies one sample trip (its zones, vendor, rate code, payment type, passenger
 * count and amounts, so distances, fares and tips keep their joint distribution) with ±20 % jitter on
 * distance, duration and fare/tip, and gets a pick-up time in the target month: a uniform day, an
 * hour drawn from a typical NYC weekday profile (the sample's head covers only a few hours around
 * midnight, so its hours are not usable), a uniform second. Sample trips picked up before the
 * sample's month keep that quirk (they land on the previous month's last day), so the quality rules
 * see realistic rejects at the sample's rates.
 *
 * Randomness comes from hash(row, stream), not random(): the output is the same for the same
 * arguments whatever the thread count.
 */
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { lit } from '../../engines/duckdb/instance.ts';

export const SAMPLE_TRIPS = fileURLToPath(new URL('../../../samples/taxi/yellow_tripdata_2020-07_head.csv', import.meta.url));
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
  const start = `DATE ${lit(`${o.month}-01`)}`;
  const total = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
  let acc = 0;
  const hours = HOUR_WEIGHTS.map((w, h) => {
    const lo = acc / total;
    acc += w;
    return `(${h}, ${lo}, ${acc / total})`;
  }).join(', ');
  // u(k): the k-th uniform number in [0, 1) of row i.
  const u = (k: number): string => `(CAST(hash(i, ${k}) % 1000003 AS DOUBLE) / 1000003)`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE _tpl AS
    SELECT row_number() OVER (ORDER BY tpep_pickup_datetime, tpep_dropoff_datetime, PULocationID, DOLocationID, total_amount, trip_distance) - 1 AS tid, *,
           date_diff('second', tpep_pickup_datetime, tpep_dropoff_datetime) AS dur_s,
           tpep_pickup_datetime < DATE '${SAMPLE_MONTH_START}' AS before_month
    FROM read_csv(${lit(o.sample ?? SAMPLE_TRIPS)}, header = true)`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE _hours AS SELECT * FROM (VALUES ${hours}) h(hour, lo, hi)`);
  await conn.run(`
    COPY (
      WITH n AS (SELECT count(*) AS n FROM _tpl),
      draws AS (
        SELECT i,
          CAST(hash(i, 0) % (SELECT n FROM n) AS BIGINT) AS tid,
          CAST(floor(${u(1)} * (date_diff('day', ${start}, ${start} + INTERVAL 1 MONTH))) AS INTEGER) AS day,
          ${u(2)} AS u_hour,
          CAST(floor(${u(3)} * 3600) AS INTEGER) AS second_of_hour,
          0.8 + 0.4 * ${u(4)} AS f_dist,
          0.8 + 0.4 * ${u(5)} AS f_dur
        FROM range(${o.rows}) r(i)
      ),
      trips AS (
        SELECT d.i, t.*, h.hour, d.f_dist, d.f_dur,
          CASE WHEN t.before_month THEN ${start} - INTERVAL 1 DAY ELSE ${start} + d.day * INTERVAL 1 DAY END
            + h.hour * INTERVAL 1 HOUR + d.second_of_hour * INTERVAL 1 SECOND AS pickup
        FROM draws d
        JOIN _tpl t USING (tid)
        JOIN _hours h ON d.u_hour >= h.lo AND d.u_hour < h.hi
      ),
      priced AS (
        SELECT *,
          round(fare_amount * f_dist, 2) AS fare,
          round(tip_amount * f_dist, 2) AS tip,
          CASE WHEN PULocationID IN (132, 138) AND fare_amount > 0 THEN 1.75 ELSE 0 END AS airport_fee,
          -- Manhattan congestion pricing from 2025-01-05; the congestion surcharge marks Manhattan trips.
          CASE WHEN congestion_surcharge > 0 AND pickup >= TIMESTAMP '2025-01-05' THEN 0.75 ELSE 0 END AS cbd_fee
        FROM trips
      )
      SELECT
        CAST(VendorID AS INTEGER) AS VendorID,
        CAST(pickup AS TIMESTAMP) AS tpep_pickup_datetime,
        CAST(pickup + CAST(round(dur_s * f_dur) AS BIGINT) * INTERVAL 1 SECOND AS TIMESTAMP) AS tpep_dropoff_datetime,
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
      ORDER BY tpep_pickup_datetime, i
    ) TO ${lit(o.out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
  await conn.run('DROP TABLE _tpl; DROP TABLE _hours');
}
