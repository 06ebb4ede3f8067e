-- Classification of Open-Meteo readings — the one place it is defined.
--
-- Included (an `include` template right after WITH, followed by a comma) by
-- silver.air_quality_hourly.sql, which keeps the readings with no reason and converts them, and by
-- silver.air_quality_rejected.sql, which keeps the others with their reason. Both read the same Bronze
-- batch through the same CASE, so every non-NULL Bronze reading lands in exactly one of the two tables.
--
-- Reads   input  — one Bronze batch (bronze.open_meteo_air_quality columns; see silver.air_quality_hourly.sql)
-- Defines the CTEs
--         unpivoted   — wide → long: location_id, ts_utc, pollutant, raw_value, units, lineage; NULL values dropped
--         unit_lookup — (units, pollutant) → raw_unit, the JSON parsed once per distinct units text
--         with_unit   — unpivoted + raw_unit
--         normalised  — + unit_key (lower-cased, trimmed, defaulted) and molecular_weight (gases)
--         classified  — + unit_class ('μg/m³' | 'mg/m³' | 'ppm' | 'ppb' | 'index', NULL = unknown)
--         checked     — + reason (NULL when valid): missing_key | not_a_number | negative_value | unknown_unit
--
-- Dialect-specific spots (for the Spark translation):
--   1. json_valid(units) / json_extract_string(units, path)  → get_json_object(units, path)   [CTE unit_lookup]

unpivoted AS (
  -- Wide Bronze → long. A NULL concentration is "not measured": no row at all.
  -- us_aqi / european_aqi are not pollutants (we compute AQI in gold) and stay in Bronze only.
            SELECT location_id, ts_utc, 'pm10'             AS pollutant, pm10             AS raw_value, units, _source, _ingested_at, _batch_id FROM input WHERE pm10 IS NOT NULL
  UNION ALL SELECT location_id, ts_utc, 'pm2_5'            AS pollutant, pm2_5            AS raw_value, units, _source, _ingested_at, _batch_id FROM input WHERE pm2_5 IS NOT NULL
  UNION ALL SELECT location_id, ts_utc, 'carbon_monoxide'  AS pollutant, carbon_monoxide  AS raw_value, units, _source, _ingested_at, _batch_id FROM input WHERE carbon_monoxide IS NOT NULL
  UNION ALL SELECT location_id, ts_utc, 'nitrogen_dioxide' AS pollutant, nitrogen_dioxide AS raw_value, units, _source, _ingested_at, _batch_id FROM input WHERE nitrogen_dioxide IS NOT NULL
  UNION ALL SELECT location_id, ts_utc, 'sulphur_dioxide'  AS pollutant, sulphur_dioxide  AS raw_value, units, _source, _ingested_at, _batch_id FROM input WHERE sulphur_dioxide IS NOT NULL
  UNION ALL SELECT location_id, ts_utc, 'ozone'            AS pollutant, ozone            AS raw_value, units, _source, _ingested_at, _batch_id FROM input WHERE ozone IS NOT NULL
  UNION ALL SELECT location_id, ts_utc, 'dust'             AS pollutant, dust             AS raw_value, units, _source, _ingested_at, _batch_id FROM input WHERE dust IS NOT NULL
  UNION ALL SELECT location_id, ts_utc, 'uv_index'         AS pollutant, uv_index         AS raw_value, units, _source, _ingested_at, _batch_id FROM input WHERE uv_index IS NOT NULL
),
unit_lookup AS (
  -- A batch carries a handful of distinct `units` texts (one per API response), so the JSON is parsed
  -- once per (units, pollutant) here rather than once per row. Malformed or missing `units` gives
  -- NULL, never an error.
  SELECT
    u.units, p.pollutant,
    -- dialect: JSON extraction (DuckDB json_valid + json_extract_string; Spark: get_json_object(units, '$.' || pollutant)).
    CASE WHEN json_valid(u.units) THEN json_extract_string(u.units, '$.' || p.pollutant) END AS raw_unit
  FROM (SELECT DISTINCT units FROM input WHERE units IS NOT NULL) u
  CROSS JOIN (SELECT DISTINCT pollutant FROM unpivoted) p
),
with_unit AS (
  SELECT
    v.location_id, v.ts_utc, v.pollutant, v.raw_value, v._source, v._ingested_at, v._batch_id, l.raw_unit
  FROM unpivoted v
  LEFT JOIN unit_lookup l ON l.units = v.units AND l.pollutant = v.pollutant
),
normalised AS (
  SELECT
    location_id, ts_utc, pollutant, raw_value, raw_unit, _source, _ingested_at, _batch_id,
    -- No unit given for the variable: assume the unit Open-Meteo documents for it.
    LOWER(TRIM(COALESCE(raw_unit, CASE WHEN pollutant = 'uv_index' THEN '' ELSE 'μg/m³' END))) AS unit_key,
    -- Molecular weights (g/mol) for ppm/ppb → μg/m³ at 25 °C, 1 atm (molar volume 24.45 L/mol).
    CASE pollutant
      WHEN 'carbon_monoxide'  THEN CAST(28.01 AS DOUBLE)
      WHEN 'nitrogen_dioxide' THEN CAST(46.01 AS DOUBLE)
      WHEN 'sulphur_dioxide'  THEN CAST(64.07 AS DOUBLE)
      WHEN 'ozone'            THEN CAST(48.00 AS DOUBLE)
    END AS molecular_weight
  FROM with_unit
),
classified AS (
  SELECT
    location_id, ts_utc, pollutant, raw_value, raw_unit, _source, _ingested_at, _batch_id,
    CASE
      WHEN pollutant = 'uv_index' AND unit_key IN ('', 'index') THEN 'index'
      WHEN pollutant = 'uv_index' THEN NULL
      -- μg/m³ spelled with the Greek mu (U+03BC) or the micro sign (U+00B5), or ASCII 'ug'
      WHEN unit_key IN ('μg/m³', 'µg/m³', 'ug/m³', 'μg/m3', 'µg/m3', 'ug/m3') THEN 'μg/m³'
      WHEN unit_key IN ('mg/m³', 'mg/m3') THEN 'mg/m³'
      WHEN unit_key IN ('ppm', 'ppb') AND molecular_weight IS NOT NULL THEN unit_key
      ELSE NULL
    END AS unit_class,
    molecular_weight
  FROM normalised
),
checked AS (
  SELECT
    location_id, ts_utc, pollutant, raw_value, raw_unit, _source, _ingested_at, _batch_id,
    unit_class, molecular_weight,
    CASE
      WHEN location_id IS NULL OR ts_utc IS NULL THEN 'missing_key'
      -- NaN = NaN is TRUE in both DuckDB and Spark, so plain equality detects NaN portably.
      WHEN raw_value = CAST('NaN' AS DOUBLE)
        OR raw_value = CAST('Infinity' AS DOUBLE)
        OR raw_value = CAST('-Infinity' AS DOUBLE) THEN 'not_a_number'
      WHEN raw_value < 0 THEN 'negative_value'
      WHEN unit_class IS NULL THEN 'unknown_unit'
      ELSE NULL
    END AS reason
  FROM classified
)
