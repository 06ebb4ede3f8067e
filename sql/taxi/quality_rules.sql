-- Quality rules of the taxi pipeline — the one place they are defined.
--
-- Included (an `include` template right after WITH) by silver.taxi_trips.sql, which keeps
-- the trips with no reason, and by silver.taxi_trips_rejected.sql, which keeps the others with their
-- reason. Both read the same Bronze batch through the same CASE, so every Bronze row lands in exactly
-- one of the two tables: bronze = silver + rejected.
--
-- Reads   input        — bronze.taxi_trips rows of one batch (canonical TLC columns + lineage)
--         taxi_zones   — gold.dim_taxi_zone (LocationID, Borough, Zone, service_zone), the TLC zone lookup
-- Defines the CTEs
--         zone         — the zone lookup, one row per LocationID
--         file_months  — each distinct _source_file of the batch and its file_month
--         located      — input + file_month + pu_zone, pu_borough, do_zone, do_borough (NULL = unknown id)
--         checked      — located + reason (NULL when the trip breaks no rule)
--
-- The rules, in order: a trip breaking several gets the FIRST reason that applies. Each predicate is
-- written so that a NULL input counts as breaking the rule, never as passing it.
--
--   reason                     rule (the trip is rejected when …)
--   missing_timestamp          pick-up or drop-off time is NULL
--   pickup_outside_file_month  the pick-up is not in the month the file is for: the YYYY-MM after
--                              `_tripdata_` in the file name (yellow_tripdata_2020-07.csv → 2020-07),
--                              compared with the pick-up's calendar month as recorded (NYC local time,
--                              no time zone). A file name without `_tripdata_YYYY-MM` disables the rule.
--   dropoff_before_pickup      drop-off earlier than pick-up
--   duration_over_a_day        drop-off more than 24 hours after pick-up
--   passenger_count_missing_or_zero   passenger_count NULL, 0 or negative (the seed's cleaning step
--                                     dropped passenger_count 0 and NULL)
--   trip_distance_not_positive trip_distance NULL, 0 or negative
--   trip_distance_absurd       trip_distance over 200 miles (the TLC data has odometer glitches in the
--                              thousands of miles; no NYC taxi trip is that long)
--   fare_not_positive          fare_amount NULL, 0 or negative (refunds and voids are negative)
--   total_not_positive         total_amount NULL, 0 or negative
--   amount_absurd              any amount (fare, extra, mta_tax, tip, tolls, surcharges, fees, total) of
--                              $10,000 or more in absolute value — data-entry garbage; it would also
--                              overflow Silver's DECIMAL(18,2) money columns
--   unknown_zone               pick-up or drop-off LocationID NULL or not in the zone lookup. Ids 264
--                              and 265 ARE in the lookup (Borough "Unknown", Zone "NV"/"NA"): the TLC's
--                              own "unknown location" codes are kept, as borough 'Unknown'.
--
-- Every rule is counted per batch in strata_records_rejected_total{operator="silver_rejected",reason=…}.
--
-- Dialect-specific spots (for the Spark translation):
--   none: regexp_extract(s, pattern, 1) (empty string when there is no match), SUBSTR, CAST(… AS STRING),
--   INTERVAL '1' DAY and timestamp + interval read the same in DuckDB and Spark SQL 3.

zone AS (
  SELECT LocationID, MAX(Borough) AS Borough, MAX(Zone) AS Zone
  FROM taxi_zones
  GROUP BY LocationID
),
file_months AS (
  -- The month in the file name, matched once per file, not once per trip: the quarantine model,
  -- which keeps few rows, ran ~40 % faster on 500,000 trips.
  SELECT _source_file, regexp_extract(_source_file, '_tripdata_([0-9]{4}-[0-9]{2})', 1) AS file_month
  FROM (SELECT DISTINCT _source_file FROM input) AS files
),
located AS (
  SELECT
    b.*,
    fm.file_month,
    pz.LocationID AS pu_zone_id,
    pz.Zone AS pu_zone,
    pz.Borough AS pu_borough,
    dz.LocationID AS do_zone_id,
    dz.Zone AS do_zone,
    dz.Borough AS do_borough
  FROM input AS b
  LEFT JOIN file_months AS fm ON fm._source_file = b._source_file
  LEFT JOIN zone AS pz ON pz.LocationID = b.pu_location_id
  LEFT JOIN zone AS dz ON dz.LocationID = b.do_location_id
),
checked AS (
  SELECT
    l.*,
    CASE
      WHEN l.pickup_datetime IS NULL OR l.dropoff_datetime IS NULL
        THEN 'missing_timestamp'
      WHEN l.file_month <> '' AND SUBSTR(CAST(l.pickup_datetime AS STRING), 1, 7) <> l.file_month
        THEN 'pickup_outside_file_month'
      WHEN l.dropoff_datetime < l.pickup_datetime
        THEN 'dropoff_before_pickup'
      WHEN l.dropoff_datetime > l.pickup_datetime + INTERVAL '1' DAY
        THEN 'duration_over_a_day'
      WHEN l.passenger_count IS NULL OR l.passenger_count <= 0
        THEN 'passenger_count_missing_or_zero'
      WHEN l.trip_distance IS NULL OR l.trip_distance <= 0
        THEN 'trip_distance_not_positive'
      WHEN l.trip_distance > 200
        THEN 'trip_distance_absurd'
      WHEN l.fare_amount IS NULL OR l.fare_amount <= 0
        THEN 'fare_not_positive'
      WHEN l.total_amount IS NULL OR l.total_amount <= 0
        THEN 'total_not_positive'
      WHEN ABS(l.fare_amount) >= 10000 OR ABS(l.extra) >= 10000 OR ABS(l.mta_tax) >= 10000
        OR ABS(l.tip_amount) >= 10000 OR ABS(l.tolls_amount) >= 10000 OR ABS(l.improvement_surcharge) >= 10000
        OR ABS(l.congestion_surcharge) >= 10000 OR ABS(l.airport_fee) >= 10000 OR ABS(l.cbd_congestion_fee) >= 10000
        OR ABS(l.ehail_fee) >= 10000 OR ABS(l.total_amount) >= 10000
        THEN 'amount_absurd'
      WHEN l.pu_zone_id IS NULL OR l.do_zone_id IS NULL
        THEN 'unknown_zone'
    END AS reason
  FROM located AS l
)
