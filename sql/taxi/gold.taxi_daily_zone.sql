-- Model: gold.taxi_daily_zone
--
-- Reads   input — silver.taxi_trips rows of whole days (the runtime passes the days a batch changed)
-- Writes  gold.taxi_daily_zone — one row per (date, pu_location_id):
--           date DATE                pick-up date (partition)
--           pu_location_id BIGINT, pu_zone VARCHAR, pu_borough VARCHAR
--           trips BIGINT
--           revenue DECIMAL(18,2)    sum of total_amount (exact: Silver's money is DECIMAL)
--           avg_distance DOUBLE      mean trip_distance, miles
--           avg_fare DOUBLE          mean fare_amount, dollars
--           tip_rate DOUBLE          sum(tip_amount) / sum(fare_amount). The TLC records card tips only, so
--                                    cash trips count with tip 0: a lower bound of the true rate.
--
-- Dialect-specific spots: none.

SELECT
  date,
  pu_location_id,
  MAX(pu_zone) AS pu_zone,
  MAX(pu_borough) AS pu_borough,
  COUNT(*) AS trips,
  CAST(SUM(total_amount) AS DECIMAL(18, 2)) AS revenue,
  AVG(trip_distance) AS avg_distance,
  CAST(AVG(fare_amount) AS DOUBLE) AS avg_fare,
  CAST(SUM(COALESCE(tip_amount, 0)) AS DOUBLE) / NULLIF(CAST(SUM(fare_amount) AS DOUBLE), 0) AS tip_rate
FROM input
GROUP BY date, pu_location_id
