-- Model: silver.air_quality_rejected
--
-- Reads   input  — one Bronze batch (same relation and columns as silver.air_quality_hourly).
-- Writes  silver.air_quality_rejected — one row per rejected reading:
--                  location_id VARCHAR, ts_utc TIMESTAMP, pollutant VARCHAR,
--                  raw_value VARCHAR (the value as received, CAST to text; 'nan'/'inf' spelled by the engine),
--                  raw_unit VARCHAR (the unit the API gave for that variable, NULL if none),
--                  reason VARCHAR ('not_a_number' | 'negative_value' | 'unknown_unit' | 'missing_key'),
--                  date DATE (partition: date of ts_utc in UTC), _source VARCHAR, _ingested_at TIMESTAMP,
--                  _batch_id VARCHAR
--         The classification (CTEs unit_texts … checked) is silver_classify.sql, included here and by
--         silver.air_quality_hourly: every non-NULL Bronze reading lands in exactly one of the two tables.
--
-- Dialect-specific spots (for the Spark translation): none here; the JSON extraction is in silver_classify.sql.

WITH
{{ include('silver_classify.sql') }},
rejected AS (
  SELECT location_id, ts_utc, pollutant, raw_value, raw_unit, reason, _source, _ingested_at, _batch_id
  FROM checked
  WHERE reason IS NOT NULL
)
SELECT
  location_id,
  ts_utc,
  pollutant,
  CAST(raw_value AS STRING) AS raw_value,
  raw_unit,
  reason,
  CAST(ts_utc AS DATE) AS date,
  _source,
  _ingested_at,
  _batch_id
FROM rejected
