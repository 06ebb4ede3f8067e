-- Model: gold.aqi_hourly
--
-- Reads   input               — silver.air_quality_hourly rows (location_id, ts_utc, pollutant, value, unit) for a
--                               range of hours that starts at least 23 hours before the first target hour
--                               (the rolling windows need them).
--         us_aqi_breakpoints  — seed sql/seeds/us_aqi_breakpoints.csv (pollutant, table_version, c_lo, c_hi, i_lo, i_hi)
--         eu_aqi_bands        — seed sql/seeds/eu_aqi_bands.csv (pollutant, band, band_name, c_lo, c_hi, i_lo, i_hi)
-- Vars    us_aqi_pm25_table   — which PM2.5 breakpoint table to use: '2024' (default) or '2012'.
-- Writes  gold.aqi_hourly — one row per (location_id, ts_utc) that has at least one of the six AQI pollutants:
--           location_id VARCHAR, ts_utc TIMESTAMP, date DATE (partition: date of ts_utc in UTC),
--           pm2_5, pm10, ozone, carbon_monoxide, nitrogen_dioxide, sulphur_dioxide DOUBLE   hourly, μg/m³
--           pm2_5_24h, pm10_24h DOUBLE          24-hour rolling means, μg/m³ (NULL if < 18 of 24 hours)
--           ozone_8h, carbon_monoxide_8h DOUBLE  8-hour rolling means, μg/m³ (NULL if < 6 of 8 hours)
--           us_aqi INTEGER, us_aqi_dominant VARCHAR,
--           us_aqi_pm2_5, us_aqi_pm10, us_aqi_ozone, us_aqi_carbon_monoxide, us_aqi_nitrogen_dioxide,
--             us_aqi_sulphur_dioxide INTEGER
--           european_aqi DOUBLE, european_aqi_dominant VARCHAR,
--           european_aqi_pm2_5, european_aqi_pm10, european_aqi_nitrogen_dioxide, european_aqi_ozone,
--             european_aqi_sulphur_dioxide DOUBLE
--           us_aqi_pm25_table VARCHAR (the PM2.5 table the row was computed with)
--         Every input hour gets a row, the lead-in hours too (their rolling means are usually incomplete,
--         hence NULL): the runtime keeps only the target hours.
--
-- Averaging (as Open-Meteo documents for its own indices, Air Quality API docs, "United States Air Quality
-- Index" / "European Air Quality Index" sections):
--   US AQI:  PM2.5 and PM10 24-hour mean; O3 and CO 8-hour mean; NO2 and SO2 hourly values.
--   EU AQI:  PM2.5 and PM10 24-hour mean; NO2, O3 and SO2 hourly values.
--   A rolling mean at hour t covers hours t-23..t (24 h) or t-7..t (8 h), selected by an integer hour index
--   (RANGE frame), so missing hours shorten the data, never stretch the window. It is valid only with at least
--   75 % of the window present — 18 of 24 hours, 6 of 8 hours (the EPA's completeness rule for 24-hour PM and
--   8-hour O3/CO averages) — otherwise the mean and its sub-index are NULL.
--   (Open-Meteo's own code averages hours t-24..t-1 with no completeness rule; we follow the EPA convention
--   of a window ending at the reported hour.)
--
-- US AQI (EPA, Technical Assistance Document for the Reporting of Daily Air Quality – the AQI,
-- EPA 454/B-18-007 (2018) §II and Table 5; EPA-454/B-24-002 (2024) §IV and Table 6 for the 2024 PM2.5 rows):
--   1. concentrations in the table's units, via ppb = μg/m³ × 24.45 / MW (MW: O3 48.00, CO 28.01, NO2 46.01,
--      SO2 64.07 g/mol) and truncated: O3 ppm to 3 decimals, CO ppm to 1 decimal, NO2/SO2 ppb and PM10 μg/m³
--      to integers, PM2.5 μg/m³ to 1 decimal. We keep the truncated value as an integer count of its last
--      digit (e.g. PM2.5 in tenths) so breakpoint matching and the equation are exact integer arithmetic.
--   2. I = round((I_hi − I_lo) / (C_hi − C_lo) × (C − C_lo) + I_lo), to the nearest integer (x.5 rounds up).
--   3. Above a table's top row the sub-index is capped at that row's I_hi: 500 for PM2.5, PM10, CO, NO2;
--      300 for O3 (the 8-hour table stops at 0.200 ppm — the EPA computes AQI ≥ 301 from 1-hour O3 only, which
--      we do not use, so 300 is a lower bound there); 200 for SO2 (1-hour SO2 does not define AQI > 200 —
--      the EPA switches to 24-hour SO2 — and reports 200 for 1-hour values ≥ 305 ppb).
--   4. us_aqi = max of the available sub-indices; NULL only if none is available.
-- European AQI (Open-Meteo's implementation of the EEA index; Air Quality API docs, "European Air Quality
-- Index" table): continuous 0–20 good … 80–100 very poor, > 100 extremely poor. Within a band,
-- I = I_lo + (C − C_lo) × (I_hi − I_lo) / (C_hi − C_lo) on μg/m³; above the last closed band the index keeps
-- growing with the slope of the last closed band (Open-Meteo's positionExtrapolated), uncapped.
--   european_aqi = max of the available sub-indices.
-- Dominant pollutant: the one with the highest sub-index; ties go to the first in the fixed order
--   pm2_5, pm10, ozone, nitrogen_dioxide, sulphur_dioxide, carbon_monoxide.
--
-- Dialect-specific spots (for the Spark translation):
--   1. epoch(ts_utc) — seconds since 1970 of a naive UTC timestamp   [CTE hourly, hour_idx]
--      Spark: unix_timestamp(ts_utc) with spark.sql.session.timeZone=UTC.
--   Everything else is common SQL: CTEs, CASE, LEFT JOINs on ranges, GREATEST, window functions with numeric
--   RANGE frames, LEAD/LAG, CAST(… AS DOUBLE/INTEGER/BIGINT/STRING/DATE).

WITH
readings AS (
  SELECT location_id, ts_utc, pollutant, value
  FROM input
  WHERE pollutant IN ('pm2_5', 'pm10', 'ozone', 'carbon_monoxide', 'nitrogen_dioxide', 'sulphur_dioxide')
    AND unit = 'μg/m³'
    AND value IS NOT NULL
),
hourly AS (
  SELECT
    location_id,
    ts_utc,
    -- dialect: hour index of a naive UTC timestamp (Spark: unix_timestamp(ts_utc))
    CAST(FLOOR(epoch(ts_utc) / 3600) AS BIGINT) AS hour_idx,
    AVG(CASE WHEN pollutant = 'pm2_5'            THEN value END) AS pm2_5,
    AVG(CASE WHEN pollutant = 'pm10'             THEN value END) AS pm10,
    AVG(CASE WHEN pollutant = 'ozone'            THEN value END) AS ozone,
    AVG(CASE WHEN pollutant = 'carbon_monoxide'  THEN value END) AS carbon_monoxide,
    AVG(CASE WHEN pollutant = 'nitrogen_dioxide' THEN value END) AS nitrogen_dioxide,
    AVG(CASE WHEN pollutant = 'sulphur_dioxide'  THEN value END) AS sulphur_dioxide
  FROM readings
  GROUP BY location_id, ts_utc
),
rolling AS (
  SELECT
    location_id, ts_utc, hour_idx,
    pm2_5, pm10, ozone, carbon_monoxide, nitrogen_dioxide, sulphur_dioxide,
    AVG(pm2_5)             OVER (PARTITION BY location_id ORDER BY hour_idx RANGE BETWEEN 23 PRECEDING AND CURRENT ROW) AS pm2_5_24h_all,
    COUNT(pm2_5)           OVER (PARTITION BY location_id ORDER BY hour_idx RANGE BETWEEN 23 PRECEDING AND CURRENT ROW) AS pm2_5_24h_n,
    AVG(pm10)              OVER (PARTITION BY location_id ORDER BY hour_idx RANGE BETWEEN 23 PRECEDING AND CURRENT ROW) AS pm10_24h_all,
    COUNT(pm10)            OVER (PARTITION BY location_id ORDER BY hour_idx RANGE BETWEEN 23 PRECEDING AND CURRENT ROW) AS pm10_24h_n,
    AVG(ozone)             OVER (PARTITION BY location_id ORDER BY hour_idx RANGE BETWEEN 7 PRECEDING AND CURRENT ROW)  AS ozone_8h_all,
    COUNT(ozone)           OVER (PARTITION BY location_id ORDER BY hour_idx RANGE BETWEEN 7 PRECEDING AND CURRENT ROW)  AS ozone_8h_n,
    AVG(carbon_monoxide)   OVER (PARTITION BY location_id ORDER BY hour_idx RANGE BETWEEN 7 PRECEDING AND CURRENT ROW)  AS carbon_monoxide_8h_all,
    COUNT(carbon_monoxide) OVER (PARTITION BY location_id ORDER BY hour_idx RANGE BETWEEN 7 PRECEDING AND CURRENT ROW)  AS carbon_monoxide_8h_n
  FROM hourly
),
means AS (
  SELECT
    location_id, ts_utc,
    pm2_5, pm10, ozone, carbon_monoxide, nitrogen_dioxide, sulphur_dioxide,
    -- 75 % completeness: 18 of 24 hours, 6 of 8 hours
    CASE WHEN pm2_5_24h_n >= 18          THEN pm2_5_24h_all END          AS pm2_5_24h,
    CASE WHEN pm10_24h_n >= 18           THEN pm10_24h_all END           AS pm10_24h,
    CASE WHEN ozone_8h_n >= 6            THEN ozone_8h_all END           AS ozone_8h,
    CASE WHEN carbon_monoxide_8h_n >= 6  THEN carbon_monoxide_8h_all END AS carbon_monoxide_8h
  FROM rolling
),

-- ---------------------------------------------------------------- US EPA AQI
-- Sub-indexes are computed on the wide row, one breakpoint lookup per pollutant: no unpivot to one row
-- per pollutant and no re-pivot (a group-by and a join back), which cost ~0.2 s per month of 100
-- locations.
us_conc AS (
  -- Truncated concentration in the breakpoint table's unit, as an integer count of its last digit
  -- (the +1e-9 keeps binary noise such as 28.999999999 from truncating a whole unit away).
  SELECT
    m.*,
    CAST(FLOOR(m.pm2_5_24h * 10 + 1e-9) AS BIGINT)                              AS pm2_5_u,
    CAST(FLOOR(m.pm10_24h + 1e-9) AS BIGINT)                                    AS pm10_u,
    -- ppm truncated to 3 decimals = whole ppb
    CAST(FLOOR(m.ozone_8h * 24.45 / 48.00 + 1e-9) AS BIGINT)                    AS ozone_u,
    -- ppm truncated to 1 decimal = whole tenths of ppm
    CAST(FLOOR(m.carbon_monoxide_8h * 24.45 / 28.01 / 1000 * 10 + 1e-9) AS BIGINT) AS carbon_monoxide_u,
    CAST(FLOOR(m.nitrogen_dioxide * 24.45 / 46.01 + 1e-9) AS BIGINT)             AS nitrogen_dioxide_u,
    CAST(FLOOR(m.sulphur_dioxide * 24.45 / 64.07 + 1e-9) AS BIGINT)              AS sulphur_dioxide_u
  FROM means AS m
),
us_bp_scaled AS (
  -- Breakpoints in the same integer units: PM2.5 tenths of μg/m³, PM10 μg/m³, O3 0.001 ppm, CO 0.1 ppm,
  -- NO2/SO2 ppb.
  SELECT
    pollutant,
    CAST(ROUND(CAST(c_lo AS DOUBLE) * scale) AS BIGINT) AS c_lo_u,
    CAST(ROUND(CAST(c_hi AS DOUBLE) * scale) AS BIGINT) AS c_hi_u,
    CAST(i_lo AS BIGINT) AS i_lo,
    CAST(i_hi AS BIGINT) AS i_hi
  FROM (
    SELECT
      pollutant, c_lo, c_hi, i_lo, i_hi,
      CASE pollutant WHEN 'pm2_5' THEN 10 WHEN 'ozone' THEN 1000 WHEN 'carbon_monoxide' THEN 10 ELSE 1 END AS scale
    FROM us_aqi_breakpoints
    WHERE pollutant <> 'pm2_5'
       OR CAST(table_version AS STRING) = CAST({{ var('us_aqi_pm25_table') }} AS STRING)
  ) AS bp
),
us_bp AS (
  SELECT
    pollutant, c_lo_u, c_hi_u, i_lo, i_hi,
    LEAD(c_lo_u) OVER (PARTITION BY pollutant ORDER BY c_lo_u) AS next_lo_u
  FROM us_bp_scaled
),
us_sub AS (
  -- I = round((I_hi - I_lo) / (C_hi - C_lo) * (C - C_lo) + I_lo); above the top row of the table: capped at I_hi.
  SELECT
    c.*,
    CAST(CASE WHEN c.pm2_5_u > p25.c_hi_u THEN p25.i_hi
              ELSE ROUND(CAST(p25.i_hi - p25.i_lo AS DOUBLE) * (c.pm2_5_u - p25.c_lo_u) / (p25.c_hi_u - p25.c_lo_u) + p25.i_lo) END AS INTEGER) AS us_aqi_pm2_5,
    CAST(CASE WHEN c.pm10_u > p10.c_hi_u THEN p10.i_hi
              ELSE ROUND(CAST(p10.i_hi - p10.i_lo AS DOUBLE) * (c.pm10_u - p10.c_lo_u) / (p10.c_hi_u - p10.c_lo_u) + p10.i_lo) END AS INTEGER) AS us_aqi_pm10,
    CAST(CASE WHEN c.ozone_u > o3.c_hi_u THEN o3.i_hi
              ELSE ROUND(CAST(o3.i_hi - o3.i_lo AS DOUBLE) * (c.ozone_u - o3.c_lo_u) / (o3.c_hi_u - o3.c_lo_u) + o3.i_lo) END AS INTEGER) AS us_aqi_ozone,
    CAST(CASE WHEN c.carbon_monoxide_u > co.c_hi_u THEN co.i_hi
              ELSE ROUND(CAST(co.i_hi - co.i_lo AS DOUBLE) * (c.carbon_monoxide_u - co.c_lo_u) / (co.c_hi_u - co.c_lo_u) + co.i_lo) END AS INTEGER) AS us_aqi_carbon_monoxide,
    CAST(CASE WHEN c.nitrogen_dioxide_u > no2.c_hi_u THEN no2.i_hi
              ELSE ROUND(CAST(no2.i_hi - no2.i_lo AS DOUBLE) * (c.nitrogen_dioxide_u - no2.c_lo_u) / (no2.c_hi_u - no2.c_lo_u) + no2.i_lo) END AS INTEGER) AS us_aqi_nitrogen_dioxide,
    CAST(CASE WHEN c.sulphur_dioxide_u > so2.c_hi_u THEN so2.i_hi
              ELSE ROUND(CAST(so2.i_hi - so2.i_lo AS DOUBLE) * (c.sulphur_dioxide_u - so2.c_lo_u) / (so2.c_hi_u - so2.c_lo_u) + so2.i_lo) END AS INTEGER) AS us_aqi_sulphur_dioxide
  FROM us_conc AS c
  -- the row whose range holds the concentration: from its C_lo up to the next row's C_lo
  LEFT JOIN us_bp AS p25 ON p25.pollutant = 'pm2_5'            AND c.pm2_5_u >= p25.c_lo_u            AND (p25.next_lo_u IS NULL OR c.pm2_5_u < p25.next_lo_u)
  LEFT JOIN us_bp AS p10 ON p10.pollutant = 'pm10'             AND c.pm10_u >= p10.c_lo_u             AND (p10.next_lo_u IS NULL OR c.pm10_u < p10.next_lo_u)
  LEFT JOIN us_bp AS o3  ON o3.pollutant = 'ozone'             AND c.ozone_u >= o3.c_lo_u             AND (o3.next_lo_u IS NULL OR c.ozone_u < o3.next_lo_u)
  LEFT JOIN us_bp AS co  ON co.pollutant = 'carbon_monoxide'   AND c.carbon_monoxide_u >= co.c_lo_u   AND (co.next_lo_u IS NULL OR c.carbon_monoxide_u < co.next_lo_u)
  LEFT JOIN us_bp AS no2 ON no2.pollutant = 'nitrogen_dioxide' AND c.nitrogen_dioxide_u >= no2.c_lo_u AND (no2.next_lo_u IS NULL OR c.nitrogen_dioxide_u < no2.next_lo_u)
  LEFT JOIN us_bp AS so2 ON so2.pollutant = 'sulphur_dioxide'  AND c.sulphur_dioxide_u >= so2.c_lo_u  AND (so2.next_lo_u IS NULL OR c.sulphur_dioxide_u < so2.next_lo_u)
),

-- ---------------------------------------------------------------- European AQI (Open-Meteo / EEA bands)
eu_band_slope AS (
  SELECT
    pollutant,
    CAST(c_lo AS DOUBLE) AS c_lo,
    CAST(c_hi AS DOUBLE) AS c_hi,
    CAST(i_lo AS DOUBLE) AS i_lo,
    -- index points per μg/m³; NULL for the open-ended top band
    CAST(i_hi - i_lo AS DOUBLE) / CAST(c_hi - c_lo AS DOUBLE) AS slope
  FROM eu_aqi_bands
),
eu_bp AS (
  SELECT
    pollutant, c_lo, c_hi, i_lo,
    -- the open-ended top band continues with the slope of the band below it
    COALESCE(slope, LAG(slope) OVER (PARTITION BY pollutant ORDER BY c_lo)) AS slope
  FROM eu_band_slope
),
eu_sub AS (
  -- I = I_lo + (C - C_lo) * slope within the band that holds C.
  SELECT
    u.*,
    p25.i_lo + (u.pm2_5_24h - p25.c_lo) * p25.slope        AS european_aqi_pm2_5,
    p10.i_lo + (u.pm10_24h - p10.c_lo) * p10.slope         AS european_aqi_pm10,
    no2.i_lo + (u.nitrogen_dioxide - no2.c_lo) * no2.slope AS european_aqi_nitrogen_dioxide,
    o3.i_lo + (u.ozone - o3.c_lo) * o3.slope               AS european_aqi_ozone,
    so2.i_lo + (u.sulphur_dioxide - so2.c_lo) * so2.slope  AS european_aqi_sulphur_dioxide
  FROM us_sub AS u
  LEFT JOIN eu_bp AS p25 ON p25.pollutant = 'pm2_5'            AND u.pm2_5_24h >= p25.c_lo        AND (p25.c_hi IS NULL OR u.pm2_5_24h < p25.c_hi)
  LEFT JOIN eu_bp AS p10 ON p10.pollutant = 'pm10'             AND u.pm10_24h >= p10.c_lo         AND (p10.c_hi IS NULL OR u.pm10_24h < p10.c_hi)
  LEFT JOIN eu_bp AS no2 ON no2.pollutant = 'nitrogen_dioxide' AND u.nitrogen_dioxide >= no2.c_lo AND (no2.c_hi IS NULL OR u.nitrogen_dioxide < no2.c_hi)
  LEFT JOIN eu_bp AS o3  ON o3.pollutant = 'ozone'             AND u.ozone >= o3.c_lo             AND (o3.c_hi IS NULL OR u.ozone < o3.c_hi)
  LEFT JOIN eu_bp AS so2 ON so2.pollutant = 'sulphur_dioxide'  AND u.sulphur_dioxide >= so2.c_lo  AND (so2.c_hi IS NULL OR u.sulphur_dioxide < so2.c_hi)
),
aqi AS (
  -- The index is the highest sub-index; GREATEST skips NULLs (in DuckDB and Spark alike), NULL if all are.
  SELECT
    s.*,
    GREATEST(us_aqi_pm2_5, us_aqi_pm10, us_aqi_ozone, us_aqi_carbon_monoxide, us_aqi_nitrogen_dioxide, us_aqi_sulphur_dioxide) AS us_aqi,
    GREATEST(european_aqi_pm2_5, european_aqi_pm10, european_aqi_nitrogen_dioxide, european_aqi_ozone, european_aqi_sulphur_dioxide) AS european_aqi
  FROM eu_sub AS s
)

-- Dominant: the first pollutant, in the fixed order, whose sub-index is the maximum.
SELECT
  location_id,
  ts_utc,
  CAST(ts_utc AS DATE) AS date,
  pm2_5,
  pm10,
  ozone,
  carbon_monoxide,
  nitrogen_dioxide,
  sulphur_dioxide,
  pm2_5_24h,
  pm10_24h,
  ozone_8h,
  carbon_monoxide_8h,
  us_aqi,
  CASE
    WHEN us_aqi IS NULL                    THEN NULL
    WHEN us_aqi_pm2_5 = us_aqi            THEN 'pm2_5'
    WHEN us_aqi_pm10 = us_aqi             THEN 'pm10'
    WHEN us_aqi_ozone = us_aqi            THEN 'ozone'
    WHEN us_aqi_nitrogen_dioxide = us_aqi THEN 'nitrogen_dioxide'
    WHEN us_aqi_sulphur_dioxide = us_aqi  THEN 'sulphur_dioxide'
    ELSE 'carbon_monoxide'
  END AS us_aqi_dominant,
  us_aqi_pm2_5,
  us_aqi_pm10,
  us_aqi_ozone,
  us_aqi_carbon_monoxide,
  us_aqi_nitrogen_dioxide,
  us_aqi_sulphur_dioxide,
  european_aqi,
  CASE
    WHEN european_aqi IS NULL                          THEN NULL
    WHEN european_aqi_pm2_5 = european_aqi            THEN 'pm2_5'
    WHEN european_aqi_pm10 = european_aqi             THEN 'pm10'
    WHEN european_aqi_ozone = european_aqi            THEN 'ozone'
    WHEN european_aqi_nitrogen_dioxide = european_aqi THEN 'nitrogen_dioxide'
    ELSE 'sulphur_dioxide'
  END AS european_aqi_dominant,
  european_aqi_pm2_5,
  european_aqi_pm10,
  european_aqi_nitrogen_dioxide,
  european_aqi_ozone,
  european_aqi_sulphur_dioxide,
  CAST({{ var('us_aqi_pm25_table') }} AS STRING) AS us_aqi_pm25_table
FROM aqi
