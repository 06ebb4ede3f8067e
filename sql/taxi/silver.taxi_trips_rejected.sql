-- Model: silver.taxi_trips_rejected
--
-- Reads   input       — bronze.taxi_trips rows of one batch
--         taxi_zones  — gold.dim_taxi_zone
-- Writes  silver.taxi_trips_rejected — one row per trip that breaks a quality rule (quality_rules.sql; the
--         clean ones go to silver.taxi_trips): the Bronze columns as received, plus
--           reason VARCHAR   the first rule it breaks (quality_rules.sql lists them); the pipeline counts
--                            these per reason in strata_records_rejected_total
--           date DATE        partition: the pick-up's calendar date (NULL pick-ups: Hive's default partition)
--
-- Dialect-specific spots: none.

WITH
{{ include('quality_rules.sql') }}
SELECT
  reason,
  service,
  vendor_id,
  pickup_datetime,
  dropoff_datetime,
  passenger_count,
  trip_distance,
  ratecode_id,
  store_and_fwd_flag,
  pu_location_id,
  do_location_id,
  payment_type,
  fare_amount,
  extra,
  mta_tax,
  tip_amount,
  tolls_amount,
  improvement_surcharge,
  total_amount,
  congestion_surcharge,
  airport_fee,
  cbd_congestion_fee,
  trip_type,
  ehail_fee,
  CAST(pickup_datetime AS DATE) AS date,
  _source_file,
  _batch_index,
  _row_number,
  _batch_id,
  _ingested_at
FROM checked
WHERE reason IS NOT NULL
