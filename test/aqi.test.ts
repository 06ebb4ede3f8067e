/**
 * gold.aqi_hourly — US EPA AQI and European AQI computed by the SQL model in real DuckDB.
 *
 * Sources the expected values come from (each test names the one it uses):
 *
 *  [TAD-2018] U.S. EPA, "Technical Assistance Document for the Reporting of Daily Air Quality – the Air Quality
 *             Index (AQI)", EPA 454/B-18-007, September 2018. §II "Calculating the AQI" (p. 13): steps
 *             a. truncate (O3 ppm to 3 decimals, PM2.5 and CO to 1 decimal, PM10/SO2/NO2 to integers),
 *             b. find the breakpoints, c. Equation 1  I = (I_hi − I_lo)/(BP_hi − BP_lo) × (C − BP_lo) + I_lo,
 *             d. round to the nearest integer; Table 5 "Breakpoints for the AQI" (p. 14); the worked example
 *             (8-hour O3 0.07853333 ppm, PM2.5 35.92431999 µg/m³, CO 8.47532711 ppm, p. 15 — the example's
 *             inputs were checked through independent implementations that cite it, the PDF text itself was not
 *             reachable from here).
 *  [TAD-2024] U.S. EPA, same title, EPA-454/B-24-002, May 2024. §IV "Calculating the AQI" (p. 13–15) and
 *             Table 6 "Breakpoints for the AQI" (p. 14): the PM2.5 rows revised with the 2024 PM NAAQS
 *             (final rule effective May 6, 2024): 0.0–9.0 → 0–50, 9.1–35.4 → 51–100, 35.5–55.4 → 101–150,
 *             55.5–125.4 → 151–200, 125.5–225.4 → 201–300, 225.5–325.4 → 301–500.
 *  [AirNow]   AirNow-Tech forum, "The AQI Equation (2024 – Valid Beginning May 6th, 2024)": averages are
 *             truncated (O3 0.001 ppm, PM2.5 0.1 µg/m³, PM10 1 µg/m³) and the AQI rounded to the nearest
 *             whole number; "Daily and Hourly AQI – PM2.5": 18 of 24 hours (75 %) are needed for a 24-hour
 *             average; "Daily and Hourly AQI – Ozone": 6 of 8 hours (75 %) for an 8-hour average.
 *  [OM-docs]  Open-Meteo, Air Quality API documentation (open-meteo.com/en/docs/air-quality-api), sections
 *             "European Air Quality Index" (bands in µg/m³: PM2.5 24h 0-10/10-20/20-25/25-50/50-75/75-800,
 *             PM10 24h 0-20/20-40/40-50/50-100/100-150/150-1200, NO2 1h 0-40/40-90/90-120/120-230/230-340/
 *             340-1000, O3 1h 0-50/50-100/100-130/130-240/240-380/380-800, SO2 1h 0-100/100-200/200-350/
 *             350-500/500-750/750-1250; index 0-20 good … 80-100 very poor, >100 extremely poor; "PM uses a
 *             24 hour rolling average, gases use hourly values") and "United States Air Quality Index" (PM 24h,
 *             O3 and CO 8h, other gases hourly). The thresholds are the EEA's European Air Quality Index.
 *  [OM-code]  open-meteo/open-meteo, AirQuality.swift, `EuropeanAirQuality` (index = interpolated band
 *             position × 20; `positionExtrapolated` continues the last band's slope above the top threshold).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { renderSql, type SqlVars } from '../src/duckdb/sql-template.ts';

const ROOT = new URL('../', import.meta.url);
const SEEDS = fileURLToPath(new URL('sql/seeds/', ROOT));
const UG = 'μg/m³';

/** Molecular weights (g/mol) and molar volume the models use. */
const MW = { ozone: 48.0, carbon_monoxide: 28.01, nitrogen_dioxide: 46.01, sulphur_dioxide: 64.07 } as const;
const ppbToUg = (ppb: number, mw: number): number => (ppb * mw) / 24.45;
const ppmToUg = (ppm: number, mw: number): number => ppbToUg(ppm * 1000, mw);

type Row = Record<string, unknown>;
interface Reading { loc?: string; hour: number; pollutant: string; value: number; unit?: string }

async function withDb<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`CREATE TABLE us_aqi_breakpoints AS SELECT * FROM read_csv('${SEEDS}us_aqi_breakpoints.csv', header = true)`);
    await conn.run(`CREATE TABLE eu_aqi_bands AS SELECT * FROM read_csv('${SEEDS}eu_aqi_bands.csv', header = true)`);
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Silver rows as `input`; hour offsets from 2024-06-01 00:00 UTC. */
async function loadSilver(conn: DuckDBConnection, readings: Reading[]): Promise<void> {
  const tuples = readings.map(
    (r) => `('${r.loc ?? 'L1'}', ${r.hour}, '${r.pollutant}', CAST('${String(r.value)}' AS DOUBLE), '${r.unit ?? UG}')`,
  );
  await conn.run(`CREATE OR REPLACE TABLE input AS
    SELECT location_id, TIMESTAMP '2024-06-01 00:00:00' + INTERVAL (h) HOUR AS ts_utc, pollutant, value, unit
    FROM (VALUES ${tuples.join(',\n')}) AS t(location_id, h, pollutant, value, unit)`);
}

async function runHourly(conn: DuckDBConnection, vars: SqlVars = { us_aqi_pm25_table: '2024' }): Promise<Row[]> {
  const text = await readFile(new URL('sql/air_quality/gold.aqi_hourly.sql', ROOT), 'utf8');
  const sql = renderSql(text, vars, 'gold.aqi_hourly.sql');
  await conn.run(`CREATE OR REPLACE TABLE out AS ${sql}`);
  const reader = await conn.runAndReadAll(
    `SELECT *, CAST((epoch(ts_utc) - epoch(TIMESTAMP '2024-06-01 00:00:00')) / 3600 AS INTEGER) AS hour
     FROM out ORDER BY location_id, ts_utc`,
  );
  return reader.getRowObjectsJS() as Row[];
}

/** One row per hour for `hours`, same value. */
const series = (pollutant: string, value: number, hours: Iterable<number>, loc = 'L1'): Reading[] =>
  [...hours].map((hour) => ({ loc, hour, pollutant, value }));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const at = (rows: Row[], hour: number, loc = 'L1'): Row => {
  const row = rows.find((r) => r.hour === hour && r.location_id === loc);
  assert.ok(row, `no output row for ${loc} hour ${hour}`);
  return row;
};

/**
 * Sub-index of one pollutant for a constant concentration held long enough for its rolling mean
 * (24 h for PM, 8 h for O3/CO, the hour itself for NO2/SO2); returns the row of the last hour.
 */
async function subIndex(pollutant: string, ugm3: number, vars?: SqlVars): Promise<Row> {
  return withDb(async (conn) => {
    await loadSilver(conn, series(pollutant, ugm3, range(0, 23)));
    const rows = await runHourly(conn, vars);
    return at(rows, 23);
  });
}
async function usSub(pollutant: string, ugm3: number, vars?: SqlVars): Promise<number | null> {
  return (await subIndex(pollutant, ugm3, vars))[`us_aqi_${pollutant}`] as number | null;
}

describe('US AQI — EPA TAD worked example', () => {
  // [TAD-2018] §II p. 13–15: 8-hour O3 0.07853333 ppm → truncated 0.078 → (150−101)/(0.085−0.071)×(0.078−0.071)+101
  // = 125.5 → 126; PM2.5 35.92431999 → 35.9 → (150−101)/(55.4−35.5)×(35.9−35.5)+101 = 101.98 → 102;
  // CO 8.47532711 ppm → 8.4 → (100−51)/(9.4−4.5)×(8.4−4.5)+51 = 90. The AQI is the highest: 126, ozone.
  // The 35.5–55.4 PM2.5 row is the same in the 2012 and 2024 tables [TAD-2024 Table 6], so both give 102.
  for (const table of ['2024', '2012']) {
    test(`O3 0.07853333 ppm, PM2.5 35.92431999 µg/m³, CO 8.47532711 ppm → 126 (ozone), PM2.5 table ${table}`, async () => {
      await withDb(async (conn) => {
        await loadSilver(conn, [
          ...series('ozone', ppmToUg(0.07853333, MW.ozone), range(0, 23)),
          ...series('pm2_5', 35.92431999, range(0, 23)),
          ...series('carbon_monoxide', ppmToUg(8.47532711, MW.carbon_monoxide), range(0, 23)),
        ]);
        const row = at(await runHourly(conn, { us_aqi_pm25_table: table }), 23);
        assert.equal(row.us_aqi_ozone, 126);
        assert.equal(row.us_aqi_pm2_5, 102);
        assert.equal(row.us_aqi_carbon_monoxide, 90);
        assert.equal(row.us_aqi, 126);
        assert.equal(row.us_aqi_dominant, 'ozone');
        assert.equal(row.us_aqi_pm25_table, table);
        assert.equal(row.us_aqi_nitrogen_dioxide, null);
      });
    });
  }
});

describe('US AQI — breakpoint tables', () => {
  // [TAD-2024] Table 6 (p. 14), PM2.5 24-hour, µg/m³; truncation to 0.1 µg/m³ [TAD-2018 §II step a, AirNow].
  const pm25_2024: Array<[number, number]> = [
    [0, 0], [5, 28], [9.0, 50], [9.05, 50], [9.1, 51], [35.4, 100], [35.5, 101], [55.4, 150], [55.5, 151],
    [125.4, 200], [125.5, 201], [225.4, 300], [225.5, 301], [325.4, 500], [400, 500], [1000, 500],
  ];
  for (const [c, expected] of pm25_2024) {
    test(`PM2.5 ${c} µg/m³ → ${expected} (2024 table)`, async () => {
      assert.equal(await usSub('pm2_5', c), expected);
    });
  }

  // [TAD-2018] Table 5 (p. 14), the PM2.5 rows before the 2024 revision ("2012" table).
  const pm25_2012: Array<[number, number]> = [
    [12.0, 50], [12.1, 51], [35.4, 100], [150.4, 200], [150.5, 201], [250.4, 300], [250.5, 301], [350.4, 400],
    [350.5, 401], [500.4, 500], [600, 500],
  ];
  for (const [c, expected] of pm25_2012) {
    test(`PM2.5 ${c} µg/m³ → ${expected} (2012 table)`, async () => {
      assert.equal(await usSub('pm2_5', c, { us_aqi_pm25_table: '2012' }), expected);
    });
  }

  test('the 2012 and 2024 PM2.5 tables give different AQI for 10.0 µg/m³ (42 vs 53)', async () => {
    // 2012: 50/12.0 × 10.0 = 41.7 → 42 (Good). 2024: (100−51)/(35.4−9.1) × (10.0−9.1) + 51 = 52.7 → 53 (Moderate).
    assert.equal(await usSub('pm2_5', 10.0, { us_aqi_pm25_table: '2012' }), 42);
    assert.equal(await usSub('pm2_5', 10.0, { us_aqi_pm25_table: '2024' }), 53);
  });

  // [TAD-2018] Table 5 (p. 14) rows for the other pollutants, concentrations given in the table's unit and fed
  // to the model in µg/m³ (ppb × MW / 24.45), so each case also checks the µg/m³ → ppm/ppb conversion.
  const cases: Array<[string, string, number, number]> = [
    // pollutant, label, µg/m³, expected
    ['pm10', '54 µg/m³', 54, 50],
    ['pm10', '55 µg/m³', 55, 51],
    ['pm10', '54.9 µg/m³ (truncated to 54)', 54.9, 50],
    ['pm10', '604 µg/m³', 604, 500],
    ['pm10', '700 µg/m³ (above the table: 500)', 700, 500],
    ['ozone', '0.054 ppm', ppmToUg(0.054, MW.ozone), 50],
    ['ozone', '0.055 ppm', ppmToUg(0.055, MW.ozone), 51],
    ['ozone', '0.0709 ppm (truncated to 0.070)', ppmToUg(0.0709, MW.ozone), 100],
    ['ozone', '0.200 ppm', ppmToUg(0.2, MW.ozone), 300],
    ['ozone', '0.300 ppm (8-hour table stops at 0.200: capped 300)', ppmToUg(0.3, MW.ozone), 300],
    ['carbon_monoxide', '4.4 ppm', ppmToUg(4.4, MW.carbon_monoxide), 50],
    ['carbon_monoxide', '4.5 ppm', ppmToUg(4.5, MW.carbon_monoxide), 51],
    ['carbon_monoxide', '50.4 ppm', ppmToUg(50.4, MW.carbon_monoxide), 500],
    ['carbon_monoxide', '60 ppm (above the table: 500)', ppmToUg(60, MW.carbon_monoxide), 500],
    ['nitrogen_dioxide', '53 ppb', ppbToUg(53, MW.nitrogen_dioxide), 50],
    ['nitrogen_dioxide', '54 ppb', ppbToUg(54, MW.nitrogen_dioxide), 51],
    ['nitrogen_dioxide', '100 ppb', ppbToUg(100, MW.nitrogen_dioxide), 100],
    ['nitrogen_dioxide', '101 ppb', ppbToUg(101, MW.nitrogen_dioxide), 101],
    ['nitrogen_dioxide', '53.7 ppb (truncated to 53)', ppbToUg(53.7, MW.nitrogen_dioxide), 50],
    ['nitrogen_dioxide', '2049 ppb', ppbToUg(2049, MW.nitrogen_dioxide), 500],
    ['sulphur_dioxide', '35 ppb', ppbToUg(35, MW.sulphur_dioxide), 50],
    ['sulphur_dioxide', '36 ppb', ppbToUg(36, MW.sulphur_dioxide), 51],
    ['sulphur_dioxide', '304 ppb', ppbToUg(304, MW.sulphur_dioxide), 200],
    ['sulphur_dioxide', '400 ppb (1-hour SO2 stops at 304: capped 200)', ppbToUg(400, MW.sulphur_dioxide), 200],
  ];
  for (const [pollutant, label, ugm3, expected] of cases) {
    test(`${pollutant} ${label} → ${expected}`, async () => {
      assert.equal(await usSub(pollutant, ugm3), expected);
    });
  }

  test('an unknown PM2.5 table version leaves the PM2.5 sub-index NULL (others unaffected)', async () => {
    await withDb(async (conn) => {
      await loadSilver(conn, [...series('pm2_5', 20, range(0, 23)), ...series('nitrogen_dioxide', 50, range(0, 23))]);
      const row = at(await runHourly(conn, { us_aqi_pm25_table: '1999' }), 23);
      assert.equal(row.us_aqi_pm2_5, null);
      assert.equal(typeof row.us_aqi_nitrogen_dioxide, 'number');
      assert.equal(row.us_aqi, row.us_aqi_nitrogen_dioxide);
    });
  });
});

describe('rolling means — windows by hour index, 75 % completeness [AirNow, OM-docs]', () => {
  test('a 24-hour mean needs 18 hours: 18 → valid, 17 → NULL PM2.5 mean and sub-index', async () => {
    await withDb(async (conn) => {
      // L18 has PM2.5 at hours 6..23 (18 of the 24 hours ending at 23); L17 at hours 7..23 (17).
      await loadSilver(conn, [...series('pm2_5', 20, range(6, 23), 'L18'), ...series('pm2_5', 20, range(7, 23), 'L17')]);
      const rows = await runHourly(conn);
      const ok = at(rows, 23, 'L18');
      assert.equal(ok.pm2_5_24h, 20);
      assert.equal(ok.us_aqi_pm2_5, 71); // (100−51)/(35.4−9.1) × (20.0−9.1) + 51 = 71.3 → 71
      const short = at(rows, 23, 'L17');
      assert.equal(short.pm2_5, 20);
      assert.equal(short.pm2_5_24h, null);
      assert.equal(short.us_aqi_pm2_5, null);
      assert.equal(short.european_aqi_pm2_5, null);
      // No sub-index at all for that hour: us_aqi is NULL.
      assert.equal(short.us_aqi, null);
      assert.equal(short.us_aqi_dominant, null);
    });
  });

  test('us_aqi is NULL only when no sub-index is available', async () => {
    await withDb(async (conn) => {
      // PM2.5 too short for a 24-hour mean, but an hourly NO2 value → us_aqi from NO2.
      await loadSilver(conn, [...series('pm2_5', 20, range(20, 23)), ...series('nitrogen_dioxide', ppbToUg(40, MW.nitrogen_dioxide), [23])]);
      const row = at(await runHourly(conn), 23);
      assert.equal(row.us_aqi_pm2_5, null);
      assert.equal(row.us_aqi_nitrogen_dioxide, 38); // 50/53 × 40 = 37.7 → 38
      assert.equal(row.us_aqi, 38);
      assert.equal(row.us_aqi_dominant, 'nitrogen_dioxide');
    });
  });

  test('gaps do not stretch the window (RANGE over the hour index, not a row count)', async () => {
    await withDb(async (conn) => {
      // Hours 0..9 at 100, nothing at 10..19, hours 20..29 at 10.
      // At hour 29 the 24-hour window is hours 6..29: 4 + 10 = 14 hours < 18 → NULL.
      // (The last 24 *rows* would be 20 rows, ≥ 18 — the wrong answer a ROWS frame would give.)
      await loadSilver(conn, [...series('pm2_5', 100, range(0, 9)), ...series('pm2_5', 10, range(20, 29))]);
      const rows = await runHourly(conn);
      assert.equal(at(rows, 29).pm2_5_24h, null);
      assert.equal(at(rows, 29).us_aqi_pm2_5, null);
    });
    await withDb(async (conn) => {
      // Hours 0..23 at 100, gap 24..29, hours 30..47 at 10. At hour 47 the window is hours 24..47:
      // 18 present hours, all 10 → mean exactly 10 (a 24-row frame would mix in six hours of 100).
      await loadSilver(conn, [...series('pm2_5', 100, range(0, 23)), ...series('pm2_5', 10, range(30, 47))]);
      const row = at(await runHourly(conn), 47);
      assert.equal(row.pm2_5_24h, 10);
      assert.equal(row.us_aqi_pm2_5, 53);
    });
  });

  test('the 24-hour window is the hour and the 23 before it', async () => {
    await withDb(async (conn) => {
      // 100 at hours 0..5, 10 at hours 6..29: at hour 29 only hours 6..29 count → 10.
      await loadSilver(conn, [...series('pm2_5', 100, range(0, 5)), ...series('pm2_5', 10, range(6, 29))]);
      const rows = await runHourly(conn);
      assert.equal(at(rows, 29).pm2_5_24h, 10);
      // at hour 28 hour 5 (100) is still inside: (100 + 23 × 10) / 24 = 13.75
      assert.equal(at(rows, 28).pm2_5_24h, 13.75);
    });
  });

  test('an 8-hour mean needs 6 of 8 hours (O3 and CO)', async () => {
    await withDb(async (conn) => {
      const o3 = ppmToUg(0.05, MW.ozone);
      const co = ppmToUg(2, MW.carbon_monoxide);
      await loadSilver(conn, [
        ...series('ozone', o3, range(2, 7), 'L6'), ...series('carbon_monoxide', co, range(2, 7), 'L6'),
        ...series('ozone', o3, range(3, 7), 'L5'), ...series('carbon_monoxide', co, range(3, 7), 'L5'),
      ]);
      const rows = await runHourly(conn);
      const six = at(rows, 7, 'L6');
      assert.ok(Math.abs((six.ozone_8h as number) - o3) < 1e-9);
      assert.equal(six.us_aqi_ozone, 46); // 50/0.054 × 0.050 = 46.3 → 46
      assert.equal(six.us_aqi_carbon_monoxide, 23); // 50/4.4 × 2.0 = 22.7 → 23
      const five = at(rows, 7, 'L5');
      assert.equal(five.ozone_8h, null);
      assert.equal(five.carbon_monoxide_8h, null);
      assert.equal(five.us_aqi_ozone, null);
      assert.equal(five.us_aqi_carbon_monoxide, null);
      // O3 is hourly for the European index [OM-docs]: still there.
      assert.equal(typeof five.european_aqi_ozone, 'number');
    });
  });

  test('NO2 and SO2 use the hourly value', async () => {
    await withDb(async (conn) => {
      await loadSilver(conn, [
        { hour: 0, pollutant: 'nitrogen_dioxide', value: ppbToUg(500, MW.nitrogen_dioxide) },
        { hour: 0, pollutant: 'sulphur_dioxide', value: ppbToUg(100, MW.sulphur_dioxide) },
      ]);
      const row = at(await runHourly(conn), 0);
      assert.equal(row.us_aqi_nitrogen_dioxide, 175); // 151 + 49/288 × (500 − 361) = 174.6 → 175
      assert.equal(row.us_aqi_sulphur_dioxide, 112); // 101 + 49/109 × (100 − 76) = 111.8 → 112
      assert.equal(row.us_aqi, 175);
    });
  });

  test('locations are windowed separately', async () => {
    await withDb(async (conn) => {
      await loadSilver(conn, [...series('pm2_5', 10, range(0, 23), 'A'), ...series('pm2_5', 50, range(0, 23), 'B')]);
      const rows = await runHourly(conn);
      assert.equal(at(rows, 23, 'A').pm2_5_24h, 10);
      assert.equal(at(rows, 23, 'B').pm2_5_24h, 50);
    });
  });

  test('rows whose unit is not µg/m³ are ignored (silver normalises units)', async () => {
    await withDb(async (conn) => {
      await loadSilver(conn, [{ hour: 0, pollutant: 'nitrogen_dioxide', value: 100, unit: 'ppb' }, { hour: 0, pollutant: 'sulphur_dioxide', value: 10 }]);
      const row = at(await runHourly(conn), 0);
      assert.equal(row.nitrogen_dioxide, null);
      assert.equal(row.us_aqi_nitrogen_dioxide, null);
      assert.equal(typeof row.us_aqi_sulphur_dioxide, 'number');
    });
  });
});

describe('dominant pollutant', () => {
  test('the highest sub-index wins', async () => {
    await withDb(async (conn) => {
      await loadSilver(conn, [
        ...series('pm2_5', 20, range(0, 23)), // 71
        { hour: 23, pollutant: 'nitrogen_dioxide', value: ppbToUg(500, MW.nitrogen_dioxide) }, // 175
      ]);
      const row = at(await runHourly(conn), 23);
      assert.equal(row.us_aqi_pm2_5, 71); // (100−51)/(35.4−9.1) × (20.0−9.1) + 51 = 71.3 → 71
      assert.equal(row.us_aqi, 175);
      assert.equal(row.us_aqi_dominant, 'nitrogen_dioxide');
    });
  });

  test('ties go to the fixed order pm2_5, pm10, ozone, nitrogen_dioxide, sulphur_dioxide, carbon_monoxide', async () => {
    await withDb(async (conn) => {
      // Every sub-index exactly 100: PM2.5 35.4, PM10 154, O3 0.070 ppm, NO2 100 ppb, SO2 75 ppb, CO 9.4 ppm.
      const all: Reading[] = [
        ...series('pm2_5', 35.4, range(0, 23), 'ALL'),
        ...series('pm10', 154, range(0, 23), 'ALL'),
        ...series('ozone', ppmToUg(0.07, MW.ozone), range(0, 23), 'ALL'),
        ...series('nitrogen_dioxide', ppbToUg(100, MW.nitrogen_dioxide), range(0, 23), 'ALL'),
        ...series('sulphur_dioxide', ppbToUg(75, MW.sulphur_dioxide), range(0, 23), 'ALL'),
        ...series('carbon_monoxide', ppmToUg(9.4, MW.carbon_monoxide), range(0, 23), 'ALL'),
      ];
      // Same without PM: ozone first; without PM and O3: NO2; only SO2 and CO: SO2.
      const noPm = all.filter((r) => !r.pollutant.startsWith('pm')).map((r) => ({ ...r, loc: 'NOPM' }));
      const gases = noPm.filter((r) => r.pollutant !== 'ozone').map((r) => ({ ...r, loc: 'GAS' }));
      const last = gases.filter((r) => r.pollutant !== 'nitrogen_dioxide').map((r) => ({ ...r, loc: 'SO2CO' }));
      await loadSilver(conn, [...all, ...noPm, ...gases, ...last]);
      const rows = await runHourly(conn);
      const full = at(rows, 23, 'ALL');
      for (const p of ['pm2_5', 'pm10', 'ozone', 'nitrogen_dioxide', 'sulphur_dioxide', 'carbon_monoxide']) {
        assert.equal(full[`us_aqi_${p}`], 100, p);
      }
      assert.equal(full.us_aqi_dominant, 'pm2_5');
      assert.equal(at(rows, 23, 'NOPM').us_aqi_dominant, 'ozone');
      assert.equal(at(rows, 23, 'GAS').us_aqi_dominant, 'nitrogen_dioxide');
      assert.equal(at(rows, 23, 'SO2CO').us_aqi_dominant, 'sulphur_dioxide');
    });
  });
});

describe('European AQI — Open-Meteo / EEA bands [OM-docs, OM-code]', () => {
  const close = (actual: unknown, expected: number, label: string): void => {
    assert.equal(typeof actual, 'number', label);
    assert.ok(Math.abs((actual as number) - expected) < 1e-9, `${label}: ${String(actual)} ≠ ${expected}`);
  };
  // Band edges map to 20, 40, 60, 80, 100; inside a band the index is linear in the concentration.
  const cases: Array<[string, number, number]> = [
    ['pm2_5', 0, 0], ['pm2_5', 5, 10], ['pm2_5', 10, 20], ['pm2_5', 15, 30], ['pm2_5', 22.5, 50], ['pm2_5', 25, 60],
    ['pm2_5', 37.5, 70], ['pm2_5', 50, 80], ['pm2_5', 75, 100],
    ['pm2_5', 100, 120], // above 75: the 50–75 band's slope continues (20 per 25 µg/m³) [OM-code]
    ['pm10', 20, 20], ['pm10', 45, 50], ['pm10', 150, 100], ['pm10', 200, 120],
    ['nitrogen_dioxide', 40, 20], ['nitrogen_dioxide', 65, 30], ['nitrogen_dioxide', 340, 100], ['nitrogen_dioxide', 450, 120],
    ['ozone', 50, 20], ['ozone', 115, 50], ['ozone', 380, 100],
    ['sulphur_dioxide', 100, 20], ['sulphur_dioxide', 275, 50], ['sulphur_dioxide', 750, 100],
  ];
  for (const [pollutant, c, expected] of cases) {
    test(`${pollutant} ${c} µg/m³ → ${expected}`, async () => {
      const row = await subIndex(pollutant, c);
      close(row[`european_aqi_${pollutant}`], expected, `european_aqi_${pollutant}`);
    });
  }

  test('european_aqi is the max of the sub-indices, with its dominant pollutant; CO is not part of it', async () => {
    await withDb(async (conn) => {
      await loadSilver(conn, [
        ...series('pm2_5', 15, range(0, 23)), // 30
        ...series('pm10', 45, range(0, 23)), // 50
        { hour: 23, pollutant: 'nitrogen_dioxide', value: 65 }, // 30
        { hour: 23, pollutant: 'ozone', value: 115 }, // 50 — ties PM10: PM10 first in the fixed order
        { hour: 23, pollutant: 'carbon_monoxide', value: 100000 },
      ]);
      const row = at(await runHourly(conn), 23);
      close(row.european_aqi, 50, 'european_aqi');
      assert.equal(row.european_aqi_dominant, 'pm10');
      assert.equal(row.european_aqi_sulphur_dioxide, null);
      assert.equal(Object.hasOwn(row, 'european_aqi_carbon_monoxide'), false);
    });
  });

  test('PM uses the 24-hour mean: 17 hours of PM2.5 give no PM2.5 index', async () => {
    await withDb(async (conn) => {
      await loadSilver(conn, series('pm2_5', 30, range(7, 23)));
      const row = at(await runHourly(conn), 23);
      assert.equal(row.european_aqi_pm2_5, null);
      assert.equal(row.european_aqi, null);
    });
  });
});

describe('output contract', () => {
  test('columns, types and the UTC date partition', async () => {
    await withDb(async (conn) => {
      await loadSilver(conn, series('pm2_5', 12, range(0, 23)));
      const text = await readFile(new URL('sql/air_quality/gold.aqi_hourly.sql', ROOT), 'utf8');
      await conn.run(`CREATE TABLE out AS ${renderSql(text, { us_aqi_pm25_table: '2024' })}`);
      const cols = (await conn.runAndReadAll('DESCRIBE out')).getRowObjectsJS() as Row[];
      const types = Object.fromEntries(cols.map((c) => [c.column_name, c.column_type]));
      assert.deepEqual(Object.keys(types), [
        'location_id', 'ts_utc', 'date',
        'pm2_5', 'pm10', 'ozone', 'carbon_monoxide', 'nitrogen_dioxide', 'sulphur_dioxide',
        'pm2_5_24h', 'pm10_24h', 'ozone_8h', 'carbon_monoxide_8h',
        'us_aqi', 'us_aqi_dominant', 'us_aqi_pm2_5', 'us_aqi_pm10', 'us_aqi_ozone', 'us_aqi_carbon_monoxide',
        'us_aqi_nitrogen_dioxide', 'us_aqi_sulphur_dioxide',
        'european_aqi', 'european_aqi_dominant', 'european_aqi_pm2_5', 'european_aqi_pm10',
        'european_aqi_nitrogen_dioxide', 'european_aqi_ozone', 'european_aqi_sulphur_dioxide',
        'us_aqi_pm25_table',
      ]);
      assert.equal(types.ts_utc, 'TIMESTAMP');
      assert.equal(types.date, 'DATE');
      assert.equal(types.us_aqi, 'INTEGER');
      assert.equal(types.us_aqi_pm2_5, 'INTEGER');
      assert.equal(types.european_aqi, 'DOUBLE');
      assert.equal(types.pm2_5_24h, 'DOUBLE');
      const n = (await conn.runAndReadAll('SELECT count(*) AS n, count(DISTINCT ts_utc) AS d FROM out')).getRowObjectsJS()[0] as Row;
      assert.equal(Number(n.n), 24);
      assert.equal(Number(n.d), 24);
    });
  });

  test('the model uses no DuckDB-only syntax the Spark translation would trip on', async () => {
    const text = await readFile(new URL('sql/air_quality/gold.aqi_hourly.sql', ROOT), 'utf8');
    const code = text.split('\n').map((l) => l.replace(/--.*$/, '')).join('\n');
    for (const bad of [/::/, /\bQUALIFY\b/i, /\bEXCLUDE\b/i, /\bUNPIVOT\b/i, /\bPIVOT\b/i, /\bINTERVAL\b/i, /\blist_/i, /\bstruct_/i]) {
      assert.doesNotMatch(code, bad);
    }
  });
});
