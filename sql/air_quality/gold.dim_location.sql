-- Model: gold.dim_location
--
-- Reads   input  — Bronze rows (bronze.open_meteo_air_quality: location_id, location_name, latitude, longitude,
--                  timezone, ts_utc, _ingested_at, …) of a batch or of any range.
-- Writes  gold.dim_location — one row per location_id:
--                  location_id VARCHAR, name VARCHAR, latitude DOUBLE, longitude DOUBLE, timezone VARCHAR (IANA),
--                  updated_at TIMESTAMP (the _ingested_at of the Bronze row the attributes come from)
--
-- Rule: when a location appears several times, its attributes come from the row with the latest _ingested_at
-- (ties: latest ts_utc, then the smallest attribute values, so the choice is deterministic in any engine).
-- Rows without a location_id are ignored. Merging with the already stored dimension (keep the newer
-- updated_at) is the runtime's keyed upsert.
--
-- Dialect-specific spots: none.

WITH
ranked AS (
  SELECT
    location_id,
    location_name,
    latitude,
    longitude,
    timezone,
    _ingested_at,
    ROW_NUMBER() OVER (
      PARTITION BY location_id
      ORDER BY _ingested_at DESC NULLS LAST, ts_utc DESC NULLS LAST,
               location_name ASC NULLS LAST, latitude ASC NULLS LAST, longitude ASC NULLS LAST,
               timezone ASC NULLS LAST
    ) AS rn
  FROM input
  WHERE location_id IS NOT NULL
)
SELECT
  location_id,
  location_name AS name,
  CAST(latitude AS DOUBLE) AS latitude,
  CAST(longitude AS DOUBLE) AS longitude,
  timezone,
  _ingested_at AS updated_at
FROM ranked
WHERE rn = 1
