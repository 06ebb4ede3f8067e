-- Model: gold.taxi_hourly_demand
--
-- Reads   input — silver.taxi_trips rows of whole days (the runtime passes the days a batch changed)
-- Writes  gold.taxi_hourly_demand — one row per (date, hour, pu_borough) with at least one trip:
--           date DATE           pick-up date (partition)
--           hour INTEGER        pick-up hour, 0–23, NYC local time as recorded
--           pu_borough VARCHAR  borough of the pick-up zone ('Unknown' for the TLC's ids 264/265)
--           trips BIGINT
--           revenue DECIMAL(18,2)  sum of total_amount
--
-- Dialect-specific spots: none (EXTRACT(HOUR FROM ts) is standard).

SELECT
  date,
  CAST(EXTRACT(HOUR FROM pickup_datetime) AS INTEGER) AS hour,
  pu_borough,
  COUNT(*) AS trips,
  CAST(SUM(total_amount) AS DECIMAL(18, 2)) AS revenue
FROM input
GROUP BY date, CAST(EXTRACT(HOUR FROM pickup_datetime) AS INTEGER), pu_borough
