-- Classification of Open-Meteo readings — the one place it is defined.
--
-- Included (an `include` template right after WITH, followed by a comma) by
-- silver.air_quality_hourly.sql, which keeps the readings with no reason and converts them, and by
-- silver.air_quality_rejected.sql, which keeps the others with their reason. Both read the same Bronze
-- batch through the same CASE, so every non-NULL Bronze reading lands in exactly one of the two tables.
--
-- Reads   input  — one Bronze batch (bronze.open_meteo_air_quality columns; see silver.air_quality_hourly.sql)
-- Defines the CTEs
--         unit_texts  — the batch's distinct `units` texts (a handful: one per API response), numbered
--         pollutants  — the eight variables and the molecular weights of the gases
--         unit_lookup — (units text, pollutant) → raw_unit, unit_key, molecular_weight
--         unit_class  — + unit_class ('μg/m³' | 'mg/m³' | 'ppm' | 'ppb' | 'index', NULL = unknown)
--         keyed       — input + the number of its units text (the long text is matched once per wide row)
--         classified  — wide → long: location_id, ts_utc, pollutant, raw_value, lineage, raw_unit, unit_class,
--                       molecular_weight; NULL values dropped
--         checked     — + reason (NULL when valid): missing_key | not_a_number | negative_value | unknown_unit
--
-- Everything about units is decided per (units text, pollutant) — a few dozen rows — and joined to
-- the readings by a small integer: per reading there is no JSON, string or IN-list work.
--
-- Dialect-specific spots (for the Spark translation):
--   1. json_valid(units) / json_extract_string(units, path)  → get_json_object(units, path)   [CTE unit_lookup]

unit_texts AS (
  -- A missing `units` is matched as '' (not valid JSON, so every variable takes its default unit).
  SELECT units_key, row_number() OVER (ORDER BY units_key) AS units_id
  FROM (SELECT DISTINCT COALESCE(units, '') AS units_key FROM input) t
),
pollutants AS (
  -- us_aqi / european_aqi are not pollutants (we compute AQI in gold) and stay in Bronze only.
  -- Molecular weights (g/mol) for ppm/ppb → μg/m³ at 25 °C, 1 atm (molar volume 24.45 L/mol).
            SELECT 'pm10'             AS pollutant, CAST(NULL AS DOUBLE)  AS molecular_weight
  UNION ALL SELECT 'pm2_5'            AS pollutant, CAST(NULL AS DOUBLE)  AS molecular_weight
  UNION ALL SELECT 'carbon_monoxide'  AS pollutant, CAST(28.01 AS DOUBLE) AS molecular_weight
  UNION ALL SELECT 'nitrogen_dioxide' AS pollutant, CAST(46.01 AS DOUBLE) AS molecular_weight
  UNION ALL SELECT 'sulphur_dioxide'  AS pollutant, CAST(64.07 AS DOUBLE) AS molecular_weight
  UNION ALL SELECT 'ozone'            AS pollutant, CAST(48.00 AS DOUBLE) AS molecular_weight
  UNION ALL SELECT 'dust'             AS pollutant, CAST(NULL AS DOUBLE)  AS molecular_weight
  UNION ALL SELECT 'uv_index'         AS pollutant, CAST(NULL AS DOUBLE)  AS molecular_weight
),
unit_lookup AS (
  -- Malformed or missing `units` gives NULL, never an error.
  SELECT
    units_id, pollutant, molecular_weight, raw_unit,
    -- No unit given for the variable: assume the unit Open-Meteo documents for it.
    LOWER(TRIM(COALESCE(raw_unit, CASE WHEN pollutant = 'uv_index' THEN '' ELSE 'μg/m³' END))) AS unit_key
  FROM (
    SELECT
      t.units_id, p.pollutant, p.molecular_weight,
      -- dialect: JSON extraction (DuckDB json_valid + json_extract_string; Spark: get_json_object(units, '$.' || pollutant)).
      CASE WHEN json_valid(t.units_key) THEN json_extract_string(t.units_key, '$.' || p.pollutant) END AS raw_unit
    FROM unit_texts t
    CROSS JOIN pollutants p
  ) u
),
unit_class AS (
  SELECT
    units_id, pollutant, raw_unit, molecular_weight,
    CASE
      WHEN pollutant = 'uv_index' AND unit_key IN ('', 'index') THEN 'index'
      WHEN pollutant = 'uv_index' THEN NULL
      -- μg/m³ spelled with the Greek mu (U+03BC) or the micro sign (U+00B5), or ASCII 'ug'
      WHEN unit_key IN ('μg/m³', 'µg/m³', 'ug/m³', 'μg/m3', 'µg/m3', 'ug/m3') THEN 'μg/m³'
      WHEN unit_key IN ('mg/m³', 'mg/m3') THEN 'mg/m³'
      WHEN unit_key IN ('ppm', 'ppb') AND molecular_weight IS NOT NULL THEN unit_key
      ELSE NULL
    END AS unit_class
  FROM unit_lookup
),
keyed AS (
  SELECT
    i.location_id, i.ts_utc, i.pm10, i.pm2_5, i.carbon_monoxide, i.nitrogen_dioxide, i.sulphur_dioxide, i.ozone,
    i.dust, i.uv_index, i._source, i._ingested_at, i._batch_id, t.units_id
  FROM input i
  JOIN unit_texts t ON t.units_key = COALESCE(i.units, '')
),
classified AS (
  -- Wide Bronze → long, classified, in one join: each wide row meets the eight (units text, pollutant)
  -- rows of its units text and takes that pollutant's value (eight UNION ALL scans and a join
  -- after them took 1.3–2× as long). A NULL concentration is "not measured": no row at all.
  SELECT
    location_id, ts_utc, pollutant, raw_value, raw_unit, _source, _ingested_at, _batch_id,
    unit_class, molecular_weight
  FROM (
    SELECT
      k.location_id, k.ts_utc, c.pollutant,
      CASE c.pollutant
        WHEN 'pm10'             THEN k.pm10
        WHEN 'pm2_5'            THEN k.pm2_5
        WHEN 'carbon_monoxide'  THEN k.carbon_monoxide
        WHEN 'nitrogen_dioxide' THEN k.nitrogen_dioxide
        WHEN 'sulphur_dioxide'  THEN k.sulphur_dioxide
        WHEN 'ozone'            THEN k.ozone
        WHEN 'dust'             THEN k.dust
        WHEN 'uv_index'         THEN k.uv_index
      END AS raw_value,
      c.raw_unit, k._source, k._ingested_at, k._batch_id, c.unit_class, c.molecular_weight
    FROM keyed AS k
    JOIN unit_class AS c ON c.units_id = k.units_id
  ) AS long_form
  WHERE raw_value IS NOT NULL
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
