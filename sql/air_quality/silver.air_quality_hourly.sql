-- Model: silver.air_quality_hourly
--
-- Reads   input  — one Bronze batch (bronze.open_meteo_air_quality rows, wide: one row per location-hour):
--                  location_id, location_name, latitude, longitude, timezone, ts_utc (TIMESTAMP, UTC, naive),
--                  pm10, pm2_5, carbon_monoxide, nitrogen_dioxide, sulphur_dioxide, ozone, dust, uv_index,
--                  us_aqi, european_aqi (DOUBLE, nullable), units (VARCHAR: JSON object variable → unit),
--                  extra, _source, _ingested_at, _batch_id
-- Writes  silver.air_quality_hourly — long form, VALID readings only, one row per
--                  (location_id, ts_utc, pollutant) of each Bronze row:
--                  location_id VARCHAR, ts_utc TIMESTAMP, pollutant VARCHAR, value DOUBLE, unit VARCHAR,
--                  date DATE (partition: date of ts_utc in UTC), _source VARCHAR, _ingested_at TIMESTAMP,
--                  _batch_id VARCHAR
--         Rejected readings go to silver.air_quality_rejected. Both models include one classification,
--         silver_classify.sql (CTEs unit_texts … checked); the rules below are what it implements.
--
-- Rules
--   * pollutants: pm10, pm2_5, carbon_monoxide, nitrogen_dioxide, sulphur_dioxide, ozone, dust, uv_index.
--     us_aqi / european_aqi from the API are not carried: gold computes AQI from concentrations.
--   * NULL value → no row. NaN/±Infinity → rejected 'not_a_number'. value < 0 → rejected 'negative_value'.
--     A unit we cannot interpret → rejected 'unknown_unit'. NULL location_id/ts_utc → rejected 'missing_key'.
--   * units: mass concentrations are stored in μg/m³ (U+03BC). Accepted spellings: μg/m³, µg/m³ (micro sign),
--     ug/m3, μg/m3, µg/m3, ug/m³; mg/m³ ×1000; ppm/ppb (gases only) → μg/m³ = ppb × MW / 24.45
--     (ppm × 1000), MW: CO 28.01, NO2 46.01, SO2 64.07, O3 48.00 g/mol. uv_index is dimensionless: unit 'index'.
--     A variable missing from `units` is taken in the unit Open-Meteo documents for it (μg/m³; '' for uv_index).
--   * Duplicates within a batch are all emitted; the runtime's keyed upsert keeps the latest _ingested_at.
--
-- Dialect-specific spots (for the Spark translation): none here; the JSON extraction is in silver_classify.sql.
-- Everything else is common SQL (CTEs, UNION ALL, CASE, CAST(… AS DOUBLE/DATE/STRING)).

WITH
{{ include('silver_classify.sql') }},
valid AS (
  SELECT
    location_id, ts_utc, pollutant,
    CASE unit_class
      WHEN 'μg/m³' THEN raw_value
      WHEN 'mg/m³' THEN raw_value * 1000
      WHEN 'ppb'   THEN raw_value * molecular_weight / 24.45
      WHEN 'ppm'   THEN raw_value * 1000 * molecular_weight / 24.45
      WHEN 'index' THEN raw_value
    END AS value,
    CASE WHEN unit_class = 'index' THEN 'index' ELSE 'μg/m³' END AS unit,
    _source, _ingested_at, _batch_id
  FROM checked
  WHERE reason IS NULL
)
SELECT
  location_id,
  ts_utc,
  pollutant,
  CAST(value AS DOUBLE) AS value,
  unit,
  CAST(ts_utc AS DATE) AS date,
  _source,
  _ingested_at,
  _batch_id
FROM valid
