-- Model: silver.taxi_trips
--
-- Reads   input       — bronze.taxi_trips rows of one batch
--         taxi_zones  — gold.dim_taxi_zone
-- Writes  silver.taxi_trips — one row per trip that breaks no quality rule (quality_rules.sql), typed and
--         with its zones; the others go to silver.taxi_trips_rejected (same rules, same batch):
--           trip_key VARCHAR       md5 of service | file name | row number: the trip's identity is its place
--                                  in the published file (TLC trips have no natural key; identical rows
--                                  happen). Deterministic, so a re-sent batch or a re-run upserts the same keys.
--           service VARCHAR        'yellow' | 'green'
--           vendor_id, ratecode_id, payment_type, trip_type BIGINT
--           pickup_datetime, dropoff_datetime TIMESTAMP   NYC local time as recorded (no time zone)
--           trip_duration_s BIGINT
--           passenger_count BIGINT, trip_distance DOUBLE (miles)
--           store_and_fwd BOOLEAN  from store_and_fwd_flag Y/N (NULL otherwise)
--           pu_location_id, do_location_id BIGINT; pu_zone, pu_borough, do_zone, do_borough VARCHAR
--           fare_amount, extra, mta_tax, tip_amount, tolls_amount, improvement_surcharge, congestion_surcharge,
--             airport_fee, cbd_congestion_fee, ehail_fee, total_amount DECIMAL(18,2)   dollars; NULL when the
--             file has no such column
--           date DATE              partition: the pick-up's calendar date
--           _source_file, _batch_index, _row_number, _batch_id, _ingested_at   lineage from Bronze
--
-- Dialect-specific spots (for the Spark translation):
--   1. seconds between two timestamps   [trip_duration_s]
--      DuckDB: epoch(b) - epoch(a)       Spark: unix_timestamp(b) - unix_timestamp(a)

WITH
{{ include('quality_rules.sql') }}
SELECT
  md5(CONCAT(service, '|', _source_file, '|', CAST(_row_number AS STRING))) AS trip_key,
  service,
  vendor_id,
  pickup_datetime,
  dropoff_datetime,
  -- dialect: seconds between timestamps (Spark: unix_timestamp(dropoff_datetime) - unix_timestamp(pickup_datetime))
  CAST(epoch(dropoff_datetime) - epoch(pickup_datetime) AS BIGINT) AS trip_duration_s,
  passenger_count,
  trip_distance,
  ratecode_id,
  CASE store_and_fwd_flag WHEN 'Y' THEN TRUE WHEN 'N' THEN FALSE END AS store_and_fwd,
  pu_location_id,
  pu_zone,
  pu_borough,
  do_location_id,
  do_zone,
  do_borough,
  payment_type,
  CAST(fare_amount AS DECIMAL(18, 2)) AS fare_amount,
  CAST(extra AS DECIMAL(18, 2)) AS extra,
  CAST(mta_tax AS DECIMAL(18, 2)) AS mta_tax,
  CAST(tip_amount AS DECIMAL(18, 2)) AS tip_amount,
  CAST(tolls_amount AS DECIMAL(18, 2)) AS tolls_amount,
  CAST(improvement_surcharge AS DECIMAL(18, 2)) AS improvement_surcharge,
  CAST(congestion_surcharge AS DECIMAL(18, 2)) AS congestion_surcharge,
  CAST(airport_fee AS DECIMAL(18, 2)) AS airport_fee,
  CAST(cbd_congestion_fee AS DECIMAL(18, 2)) AS cbd_congestion_fee,
  CAST(ehail_fee AS DECIMAL(18, 2)) AS ehail_fee,
  CAST(total_amount AS DECIMAL(18, 2)) AS total_amount,
  trip_type,
  CAST(pickup_datetime AS DATE) AS date,
  _source_file,
  _batch_index,
  _row_number,
  _batch_id,
  _ingested_at
FROM checked
WHERE reason IS NULL
