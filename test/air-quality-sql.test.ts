/**
 * The air-quality SQL models (sql/air_quality/*.sql) run through real DuckDB, plus the template helper.
 * AQI arithmetic itself is covered in test/aqi.test.ts; here: Silver cleaning and unit conversion,
 * gold.dim_location, gold.aqi_daily by local date across DST, and Bronze → Silver → Gold end to end.
 *
 * Unit conversion: µg/m³ = ppb × MW / 24.45 (25 °C, 1 atm; 24.45 L/mol molar volume), MW in g/mol:
 * CO 28.01, NO2 46.01, SO2 64.07, O3 48.00 — the same factors Open-Meteo's own code uses
 * (1 ppb NO2 = 1.88 µg/m³, O3 1.96, SO2 2.62, CO 1.15; open-meteo/open-meteo, CamsController.swift).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { EngineError } from '../src/core/errors.ts';
import { loadSqlModel, renderSql, sqlLiteral, templateVars, type SqlVars } from '../src/duckdb/sql-template.ts';

const ROOT = new URL('../', import.meta.url);
const SEEDS = fileURLToPath(new URL('sql/seeds/', ROOT));
const MODELS = [
  'silver.air_quality_hourly', 'silver.air_quality_rejected', 'gold.dim_location', 'gold.aqi_hourly', 'gold.aqi_daily',
] as const;
const VARS: SqlVars = { us_aqi_pm25_table: '2024' };
/** The classification both Silver models include (a fragment of CTEs, not a model). */
const CLASSIFY = 'silver_classify';
const UG = 'μg/m³'; // U+03BC GREEK SMALL LETTER MU
const MICRO = 'µg/m³'; // U+00B5 MICRO SIGN

type Row = Record<string, unknown>;
const modelUrl = (name: string): URL => new URL(`sql/air_quality/${name}.sql`, ROOT);

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

/** Run a model over whatever `input` (and other relations) the connection holds; result into table `out_<name>`. */
async function runModel(conn: DuckDBConnection, name: string, orderBy: string): Promise<Row[]> {
  const sql = await loadSqlModel(modelUrl(name), VARS);
  const table = `out_${name.replace('.', '_')}`;
  await conn.run(`CREATE OR REPLACE TABLE ${table} AS ${sql}`);
  return (await conn.runAndReadAll(`SELECT * FROM ${table} ORDER BY ${orderBy}`)).getRowObjectsJS() as Row[];
}

// ------------------------------------------------------------------ Bronze rows

const API_UNITS = JSON.stringify({
  pm10: UG, pm2_5: UG, carbon_monoxide: UG, nitrogen_dioxide: UG, sulphur_dioxide: UG, ozone: UG, dust: UG,
  uv_index: '', us_aqi: 'USAQI', european_aqi: 'EAQI',
});
const VARIABLES = ['pm10', 'pm2_5', 'carbon_monoxide', 'nitrogen_dioxide', 'sulphur_dioxide', 'ozone', 'dust', 'uv_index'] as const;
type Variable = (typeof VARIABLES)[number];

interface BronzeRow extends Partial<Record<Variable | 'us_aqi' | 'european_aqi', number | null>> {
  location_id?: string | null;
  location_name?: string;
  latitude?: number;
  longitude?: number;
  timezone?: string;
  ts?: string | null;
  units?: string | null;
  ingested?: string;
  batch?: string;
}

const str = (v: string | null | undefined): string => (v == null ? 'CAST(NULL AS VARCHAR)' : `'${v.replaceAll("'", "''")}'`);
const dbl = (v: number | null | undefined): string => (v == null ? 'CAST(NULL AS DOUBLE)' : `CAST('${String(v)}' AS DOUBLE)`);

async function loadBronze(conn: DuckDBConnection, rows: BronzeRow[]): Promise<void> {
  const tuples = rows.map((r) => `(${[
    str(r.location_id === undefined ? 'nyc' : r.location_id),
    str(r.location_name ?? 'New York'),
    dbl(r.latitude ?? 40.7),
    dbl(r.longitude ?? -74),
    str(r.timezone ?? 'America/New_York'),
    r.ts === null ? 'CAST(NULL AS TIMESTAMP)' : `CAST('${r.ts ?? '2024-06-01 12:00:00'}' AS TIMESTAMP)`,
    ...VARIABLES.map((v) => dbl(r[v])),
    dbl(r.us_aqi), dbl(r.european_aqi),
    str(r.units === undefined ? API_UNITS : r.units),
    str('{}'),
    str('test'),
    `CAST('${r.ingested ?? '2024-06-01 13:00:00'}' AS TIMESTAMP)`,
    str(r.batch ?? 'b1'),
  ].join(', ')})`);
  await conn.run(`CREATE OR REPLACE TABLE input AS SELECT * FROM (VALUES ${tuples.join(',\n')}) AS t(
    location_id, location_name, latitude, longitude, timezone, ts_utc, ${VARIABLES.join(', ')}, us_aqi, european_aqi,
    units, extra, _source, _ingested_at, _batch_id)`);
}

const silverOrder = 'location_id, ts_utc, pollutant, _batch_id, value';
const rejectedOrder = 'location_id, ts_utc, pollutant, _batch_id, reason';
const valueOf = (rows: Row[], pollutant: string): number => {
  const row = rows.find((r) => r.pollutant === pollutant);
  assert.ok(row, `no silver row for ${pollutant}`);
  return row.value as number;
};
const near = (actual: number, expected: number, label = ''): void =>
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${label} ${actual} ≠ ${expected}`);

// ------------------------------------------------------------------ template helper

describe('renderSql (src/duckdb/sql-template.ts)', () => {
  test('strings become quoted literals, numbers stay raw, every occurrence is replaced', () => {
    const out = renderSql(
      "SELECT {{ var('t') }} AS a, {{var(\"n\")}} AS b, {{  var( 't' )  }} AS c, {{ var('q') }} AS d",
      { t: '2024', n: 2.5, q: "it's" },
    );
    assert.equal(out, "SELECT '2024' AS a, 2.5 AS b, '2024' AS c, 'it''s' AS d");
  });

  test('an unknown var is a clear EngineError naming it and the line', () => {
    assert.throws(
      () => renderSql("SELECT 1\nFROM t WHERE v = {{ var('missing') }}", { other: 'x' }, 'model.sql'),
      (err: unknown) =>
        err instanceof EngineError && err.code === 'SQL_TEMPLATE_UNKNOWN_VAR' &&
        /model\.sql:2: unknown SQL var 'missing' \(known: other\)/.test(err.message),
    );
  });

  test('other template expressions are rejected instead of reaching the engine', () => {
    assert.throws(() => renderSql("SELECT * FROM {{ ref('x') }}", {}), (e: unknown) => e instanceof EngineError && e.code === 'SQL_TEMPLATE_SYNTAX');
    assert.throws(() => renderSql('SELECT {{ 1 + 1 }}', {}), (e: unknown) => e instanceof EngineError && e.code === 'SQL_TEMPLATE_SYNTAX');
  });

  test('non-finite numbers are refused', () => {
    assert.throws(() => sqlLiteral(Number.NaN, 'x'), (e: unknown) => e instanceof EngineError && e.code === 'SQL_TEMPLATE_BAD_VALUE');
  });

  test('the models reference exactly the documented var and render with it', async () => {
    for (const name of MODELS) {
      const text = await readFile(modelUrl(name), 'utf8');
      const vars = templateVars(text);
      if (name === 'gold.aqi_hourly') assert.deepEqual(vars, ['us_aqi_pm25_table']);
      else assert.deepEqual(vars, [], name);
      assert.doesNotMatch(renderSql(text, VARS, name, { includeDir: fileURLToPath(new URL('sql/air_quality/', ROOT)) }), /\{\{|\}\}/);
    }
  });
});

// ------------------------------------------------------------------ portability

describe('models stay in the common SQL subset', () => {
  test('no DuckDB-only syntax outside the marked dialect spots', async () => {
    for (const name of [...MODELS, CLASSIFY]) {
      const text = await readFile(modelUrl(name), 'utf8');
      const code = text.split('\n').map((l) => l.replace(/--.*$/, '')).join('\n');
      for (const bad of [/::/, /\bQUALIFY\b/i, /\bEXCLUDE\b/i, /\bUNPIVOT\b/i, /\bPIVOT\b/i, /\bINTERVAL\b/i, /\blist_/i, /\bstruct_/i, /\bSELECT\s+\*/i]) {
        assert.doesNotMatch(code, bad, `${name}: ${bad}`);
      }
      // Each dialect-specific function sits on a line right after a `-- dialect:` comment.
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        const codePart = line.replace(/--.*$/, '');
        if (/\b(json_extract_string|json_valid|epoch|timezone\s*\()/.test(codePart)) {
          assert.match(lines[i - 1] ?? '', /-- dialect:/, `${name}:${i + 1} dialect function without a marker`);
        }
      });
      assert.match(text, /Dialect-specific spots/, `${name}: header lists the dialect spots`);
    }
  });

  test('both Silver models take their classification from silver_classify.sql, and only from there', async () => {
    const fragment = await readFile(modelUrl(CLASSIFY), 'utf8');
    const ctes = [...fragment.matchAll(/^(\w+) AS \($/gm)].map((m) => m[1]);
    assert.deepEqual(ctes, ['unit_texts', 'pollutants', 'unit_lookup', 'unit_class', 'keyed', 'classified', 'checked']);
    const included = fragment.replace(/;\s*$/, '');
    for (const name of ['silver.air_quality_hourly', 'silver.air_quality_rejected']) {
      const text = await readFile(modelUrl(name), 'utf8');
      // Included once, as the first CTEs, and no rule or CTE of the classification copied back in.
      assert.equal(text.match(/\{\{\s*include\(/g)?.length, 1, name);
      assert.match(text, /^WITH\n\{\{ include\('silver_classify\.sql'\) \}\},\n/m, name);
      for (const cte of ctes) assert.doesNotMatch(text, new RegExp(`^\\s*${cte} AS \\(`, 'm'), `${name} redefines ${cte}`);
      assert.doesNotMatch(text.replace(/--.*$/gm, ''), /not_a_number|negative_value|unknown_unit|missing_key/, `${name} has its own reasons`);
      // What runs is the fragment's text, verbatim.
      const sql = await loadSqlModel(modelUrl(name), VARS);
      assert.ok(sql.includes(`WITH\n${included},\n`), `${name} renders with the shared classification`);
    }
  });
});

// ------------------------------------------------------------------ Silver

describe('silver.air_quality_hourly / silver.air_quality_rejected', () => {
  test('wide Bronze → long rows for the 8 pollutants; NULLs absent; API AQIs not carried', async () => {
    await withDb(async (conn) => {
      await loadBronze(conn, [{
        pm10: 20, pm2_5: 12.5, carbon_monoxide: 250, nitrogen_dioxide: 30, sulphur_dioxide: 4, ozone: 80, dust: 1,
        uv_index: 5.5, us_aqi: 52, european_aqi: 40,
      }, { ts: '2024-06-01 13:00:00', pm2_5: 7, pm10: null }]);
      const rows = await runModel(conn, 'silver.air_quality_hourly', silverOrder);
      assert.equal(rows.length, 9);
      const first = rows.filter((r) => (r.ts_utc as Date).toISOString() === '2024-06-01T12:00:00.000Z');
      assert.deepEqual(first.map((r) => r.pollutant).sort(), [...VARIABLES].sort());
      for (const r of first) {
        assert.equal(r.unit, r.pollutant === 'uv_index' ? 'index' : UG);
        assert.equal((r.date as Date).toISOString(), '2024-06-01T00:00:00.000Z');
        assert.equal(r._batch_id, 'b1');
        assert.equal(r._source, 'test');
      }
      assert.equal(valueOf(first, 'ozone'), 80);
      assert.equal(valueOf(first, 'uv_index'), 5.5);
      assert.ok(!rows.some((r) => String(r.pollutant).includes('aqi')));
      const second = rows.filter((r) => (r.ts_utc as Date).toISOString() === '2024-06-01T13:00:00.000Z');
      assert.deepEqual(second.map((r) => r.pollutant), ['pm2_5']);
      assert.equal((await runModel(conn, 'silver.air_quality_rejected', rejectedOrder)).length, 0);
    });
  });

  test('output columns and types', async () => {
    await withDb(async (conn) => {
      await loadBronze(conn, [{ pm2_5: 1, ozone: -1 }]);
      await runModel(conn, 'silver.air_quality_hourly', silverOrder);
      await runModel(conn, 'silver.air_quality_rejected', rejectedOrder);
      const describeTable = async (t: string): Promise<Record<string, unknown>> =>
        Object.fromEntries(((await conn.runAndReadAll(`DESCRIBE ${t}`)).getRowObjectsJS() as Row[]).map((c) => [c.column_name, c.column_type]));
      assert.deepEqual(await describeTable('out_silver_air_quality_hourly'), {
        location_id: 'VARCHAR', ts_utc: 'TIMESTAMP', pollutant: 'VARCHAR', value: 'DOUBLE', unit: 'VARCHAR', date: 'DATE',
        _source: 'VARCHAR', _ingested_at: 'TIMESTAMP', _batch_id: 'VARCHAR',
      });
      assert.deepEqual(await describeTable('out_silver_air_quality_rejected'), {
        location_id: 'VARCHAR', ts_utc: 'TIMESTAMP', pollutant: 'VARCHAR', raw_value: 'VARCHAR', raw_unit: 'VARCHAR',
        reason: 'VARCHAR', date: 'DATE', _source: 'VARCHAR', _ingested_at: 'TIMESTAMP', _batch_id: 'VARCHAR',
      });
    });
  });

  test('µg/m³ spellings are normalised to μg/m³ (U+03BC) without changing the value', async () => {
    const spellings = [UG, MICRO, 'ug/m3', 'μg/m3', 'µg/m3', 'UG/M3', ' ug/m³ '];
    await withDb(async (conn) => {
      await loadBronze(conn, spellings.map((u, i) => ({ location_id: `L${i}`, pm2_5: 10 + i, units: JSON.stringify({ pm2_5: u }) })));
      const rows = await runModel(conn, 'silver.air_quality_hourly', silverOrder);
      assert.equal(rows.length, spellings.length);
      rows.forEach((r, i) => {
        assert.equal(r.unit, UG);
        assert.equal(r.value, 10 + i);
      });
    });
  });

  test('ppm / ppb / mg/m³ are converted to μg/m³ with 24.45 and the molecular weight', async () => {
    await withDb(async (conn) => {
      await loadBronze(conn, [{
        carbon_monoxide: 1, nitrogen_dioxide: 10, sulphur_dioxide: 10, ozone: 0.07, dust: 0.5,
        units: JSON.stringify({ carbon_monoxide: 'ppm', nitrogen_dioxide: 'ppb', sulphur_dioxide: 'PPB', ozone: 'ppm', dust: 'mg/m³' }),
      }]);
      const rows = await runModel(conn, 'silver.air_quality_hourly', silverOrder);
      near(valueOf(rows, 'carbon_monoxide'), (1000 * 28.01) / 24.45, 'CO 1 ppm'); // 1145.6 µg/m³
      near(valueOf(rows, 'nitrogen_dioxide'), (10 * 46.01) / 24.45, 'NO2 10 ppb'); // 18.8 µg/m³ (1 ppb = 1.88)
      near(valueOf(rows, 'sulphur_dioxide'), (10 * 64.07) / 24.45, 'SO2 10 ppb'); // 26.2 µg/m³ (1 ppb = 2.62)
      near(valueOf(rows, 'ozone'), (70 * 48) / 24.45, 'O3 0.070 ppm'); // 137.4 µg/m³ (1 ppb = 1.96)
      near(valueOf(rows, 'dust'), 500, 'dust 0.5 mg/m³');
      assert.ok(rows.every((r) => r.unit === UG));
    });
  });

  test('a variable missing from `units`, or malformed `units`, takes the documented Open-Meteo unit', async () => {
    await withDb(async (conn) => {
      await loadBronze(conn, [
        { location_id: 'a', pm2_5: 3, uv_index: 2, units: '{}' },
        { location_id: 'b', pm2_5: 3, uv_index: 2, units: null },
        { location_id: 'c', pm2_5: 3, uv_index: 2, units: 'not json' },
      ]);
      const rows = await runModel(conn, 'silver.air_quality_hourly', silverOrder);
      assert.equal(rows.length, 6);
      for (const r of rows) assert.equal(r.unit, r.pollutant === 'uv_index' ? 'index' : UG);
    });
  });

  test('negative, NaN, ±Infinity, unknown units and missing keys are rejected with a reason', async () => {
    await withDb(async (conn) => {
      await loadBronze(conn, [
        { pm10: -1, pm2_5: Number.NaN, ozone: Number.POSITIVE_INFINITY, nitrogen_dioxide: Number.NEGATIVE_INFINITY, sulphur_dioxide: 0, uv_index: -0.5 },
        { ts: '2024-06-01 13:00:00', carbon_monoxide: 5, dust: 2, pm10: 9, units: JSON.stringify({ carbon_monoxide: 'furlongs', dust: 'ppm', pm10: UG }) },
        { location_id: null, pm2_5: 5 },
        { ts: null, pm2_5: 5 },
      ]);
      const valid = await runModel(conn, 'silver.air_quality_hourly', silverOrder);
      const rejected = await runModel(conn, 'silver.air_quality_rejected', rejectedOrder);
      assert.deepEqual(valid.map((r) => [r.pollutant, r.value]).sort(), [['pm10', 9], ['sulphur_dioxide', 0]]);
      const reasons = Object.fromEntries(
        rejected.filter((r) => r.location_id === 'nyc' && r.ts_utc !== null).map((r) => [r.pollutant, [r.reason, r.raw_value, r.raw_unit]]),
      );
      assert.deepEqual(reasons, {
        pm10: ['negative_value', '-1.0', UG],
        pm2_5: ['not_a_number', 'nan', UG],
        ozone: ['not_a_number', 'inf', UG],
        nitrogen_dioxide: ['not_a_number', '-inf', UG],
        uv_index: ['negative_value', '-0.5', ''],
        carbon_monoxide: ['unknown_unit', '5.0', 'furlongs'],
        dust: ['unknown_unit', '2.0', 'ppm'], // no molecular weight for dust: ppm cannot be converted
      });
      const missing = rejected.filter((r) => r.location_id === null || r.ts_utc === null);
      assert.deepEqual(missing.map((r) => r.reason), ['missing_key', 'missing_key']);
      // Every non-NULL reading lands in exactly one of the two tables: 6 + 3 + 1 + 1 = 11.
      assert.equal(valid.length + rejected.length, 11);
      for (const r of rejected) assert.equal(r._batch_id, 'b1');
    });
  });

  test('duplicates within a batch are all emitted (the runtime upsert dedupes)', async () => {
    await withDb(async (conn) => {
      await loadBronze(conn, [{ pm2_5: 5, ingested: '2024-06-01 13:00:00' }, { pm2_5: 6, ingested: '2024-06-01 14:00:00' }]);
      const rows = await runModel(conn, 'silver.air_quality_hourly', silverOrder);
      assert.deepEqual(rows.map((r) => r.value), [5, 6]);
    });
  });
});

// ------------------------------------------------------------------ gold.dim_location

describe('gold.dim_location', () => {
  test('one row per location, attributes from the latest _ingested_at', async () => {
    await withDb(async (conn) => {
      await loadBronze(conn, [
        { location_id: 'nyc', location_name: 'NYC (old)', ingested: '2024-06-01 10:00:00', ts: '2024-06-01 09:00:00' },
        { location_id: 'nyc', location_name: 'New York', latitude: 40.71, ingested: '2024-06-02 10:00:00', ts: '2024-06-01 08:00:00' },
        { location_id: 'nyc', location_name: 'NYC (older)', ingested: '2024-05-01 10:00:00', ts: '2024-06-01 10:00:00' },
        { location_id: 'hcm', location_name: 'Ho Chi Minh City', latitude: 10.82, longitude: 106.63, timezone: 'Asia/Ho_Chi_Minh' },
        { location_id: null, location_name: 'nowhere' },
      ]);
      const rows = await runModel(conn, 'gold.dim_location', 'location_id');
      assert.deepEqual(rows.map((r) => [r.location_id, r.name, r.latitude, r.timezone]), [
        ['hcm', 'Ho Chi Minh City', 10.82, 'Asia/Ho_Chi_Minh'],
        ['nyc', 'New York', 40.71, 'America/New_York'],
      ]);
      assert.equal((rows[1]?.updated_at as Date).toISOString(), '2024-06-02T10:00:00.000Z');
    });
  });
});

// ------------------------------------------------------------------ gold.aqi_daily

interface HourlyRow { loc: string; ts: string; us_aqi: number | null; dominant?: string; eu?: number; pm2_5?: number }

async function loadHourlyAndLocations(conn: DuckDBConnection, hourly: HourlyRow[], locations: Array<[string, string]>): Promise<void> {
  const tuples = hourly.map((h) =>
    `('${h.loc}', TIMESTAMP '${h.ts}', ${h.us_aqi == null ? 'CAST(NULL AS INTEGER)' : `CAST(${h.us_aqi} AS INTEGER)`}, ` +
    `${str(h.us_aqi == null ? null : h.dominant ?? 'pm2_5')}, ${dbl(h.eu ?? null)}, ${dbl(h.pm2_5 ?? null)})`);
  await conn.run(`CREATE OR REPLACE TABLE input AS SELECT * FROM (VALUES ${tuples.join(',\n')})
    AS t(location_id, ts_utc, us_aqi, us_aqi_dominant, european_aqi, pm2_5)`);
  await conn.run(`CREATE OR REPLACE TABLE dim_location AS SELECT * FROM (VALUES ${locations
    .map(([id, tz]) => `('${id}', '${id}', 0.0, 0.0, '${tz}')`).join(', ')}) AS t(location_id, name, latitude, longitude, timezone)`);
}

/** Consecutive UTC hours from `start` (ISO, 'YYYY-MM-DD HH:00:00'), n of them. */
function utcHours(start: string, n: number): string[] {
  const t0 = Date.parse(`${start.replace(' ', 'T')}Z`);
  return Array.from({ length: n }, (_, i) => new Date(t0 + i * 3_600_000).toISOString().replace('T', ' ').slice(0, 19));
}
const dayKey = (r: Row): string => `${String(r.location_id)} ${(r.date_local as Date).toISOString().slice(0, 10)}`;

describe('gold.aqi_daily — local dates, DST', () => {
  test('America/New_York: 23 hours on 2024-03-10 (spring forward), 25 on 2024-11-03 (fall back)', async () => {
    await withDb(async (conn) => {
      const spring = utcHours('2024-03-09 00:00:00', 24 * 4).map((ts) => ({ loc: 'nyc', ts, us_aqi: 40 }));
      const fall = utcHours('2024-11-02 00:00:00', 24 * 4).map((ts) => ({ loc: 'nyc', ts, us_aqi: 40 }));
      await loadHourlyAndLocations(conn, [...spring, ...fall], [['nyc', 'America/New_York']]);
      const days = Object.fromEntries((await runModel(conn, 'gold.aqi_daily', 'location_id, date_local')).map((r) => [dayKey(r), r]));
      // Local 2024-03-10 runs from 05:00 UTC (EST, −5) to 04:00 UTC the next day (EDT, −4): 23 hours.
      assert.equal(Number(days['nyc 2024-03-09']?.hours_total), 24);
      assert.equal(Number(days['nyc 2024-03-10']?.hours_total), 23);
      assert.equal(Number(days['nyc 2024-03-11']?.hours_total), 24);
      // Local 2024-11-03 runs from 04:00 UTC (EDT) to 05:00 UTC the next day (EST): 25 hours.
      assert.equal(Number(days['nyc 2024-11-02']?.hours_total), 24);
      assert.equal(Number(days['nyc 2024-11-03']?.hours_total), 25);
      assert.equal(Number(days['nyc 2024-11-04']?.hours_total), 24);
      assert.equal(days['nyc 2024-03-10']?.timezone, 'America/New_York');
      assert.equal((days['nyc 2024-03-10']?.date as Date).toISOString().slice(0, 10), '2024-03-10');
    });
  });

  test('hours on either side of local midnight across the DST change land on the right local date', async () => {
    await withDb(async (conn) => {
      const base = utcHours('2024-03-09 00:00:00', 24 * 4).map((ts) => ({ loc: 'nyc', ts, us_aqi: 10, pm2_5: 1 }));
      const spike = (ts: string, us_aqi: number, dominant: string) => {
        const h = base.find((b) => b.ts === ts);
        assert.ok(h);
        Object.assign(h, { us_aqi, dominant });
      };
      spike('2024-03-10 06:00:00', 150, 'ozone'); // 06:00 UTC = 01:00 EST, Mar 10
      spike('2024-03-11 03:00:00', 150, 'pm10'); // 03:00 UTC = 23:00 EDT, still Mar 10 — same max, later: not chosen
      spike('2024-03-11 04:00:00', 200, 'nitrogen_dioxide'); // 04:00 UTC = 00:00 EDT, Mar 11
      spike('2024-03-10 04:00:00', 300, 'sulphur_dioxide'); // 04:00 UTC = 23:00 EST, Mar 9
      await loadHourlyAndLocations(conn, base, [['nyc', 'America/New_York']]);
      const days = Object.fromEntries((await runModel(conn, 'gold.aqi_daily', 'location_id, date_local')).map((r) => [dayKey(r), r]));
      assert.equal(days['nyc 2024-03-09']?.us_aqi_max, 300);
      assert.equal(days['nyc 2024-03-09']?.us_aqi_dominant, 'sulphur_dioxide');
      assert.equal(days['nyc 2024-03-10']?.us_aqi_max, 150);
      assert.equal(days['nyc 2024-03-10']?.us_aqi_dominant, 'ozone'); // tie on the max: the earliest hour
      assert.equal(days['nyc 2024-03-11']?.us_aqi_max, 200);
      assert.equal(days['nyc 2024-03-11']?.us_aqi_dominant, 'nitrogen_dioxide');
      // Mar 10: 21 hours of 10 and two of 150 → mean (21·10 + 2·150) / 23
      near(days['nyc 2024-03-10']?.us_aqi_mean as number, (21 * 10 + 2 * 150) / 23, 'us_aqi_mean');
      assert.equal(days['nyc 2024-03-10']?.pm2_5_mean, 1);
    });
  });

  test('aggregates: hours counts only hours with a us_aqi; european_aqi_max; missing location → UTC', async () => {
    await withDb(async (conn) => {
      await loadHourlyAndLocations(conn, [
        { loc: 'hcm', ts: '2024-06-01 16:00:00', us_aqi: 50, eu: 30.5, pm2_5: 10 }, // 23:00 +07 → Jun 1
        { loc: 'hcm', ts: '2024-06-01 17:00:00', us_aqi: null, eu: 44.25, pm2_5: 20 }, // 00:00 +07 → Jun 2
        { loc: 'hcm', ts: '2024-06-01 18:00:00', us_aqi: 70, eu: 12, pm2_5: 30 }, // Jun 2
        { loc: 'zzz', ts: '2024-06-01 23:00:00', us_aqi: 20 }, // not in dim_location: UTC
      ], [['hcm', 'Asia/Ho_Chi_Minh']]);
      const rows = await runModel(conn, 'gold.aqi_daily', 'location_id, date_local');
      const days = Object.fromEntries(rows.map((r) => [dayKey(r), r]));
      const jun2 = days['hcm 2024-06-02'];
      assert.ok(jun2);
      assert.equal(Number(jun2.hours), 1);
      assert.equal(Number(jun2.hours_total), 2);
      assert.equal(jun2.us_aqi_max, 70);
      assert.equal(jun2.us_aqi_mean, 70);
      assert.equal(jun2.pm2_5_mean, 25);
      assert.equal(jun2.european_aqi_max, 44.25);
      assert.equal(Number(days['hcm 2024-06-01']?.hours), 1);
      assert.equal(days['zzz 2024-06-01']?.timezone, 'UTC');
      assert.equal(rows.length, 3);
    });
  });
});

// ------------------------------------------------------------------ end to end

describe('Bronze → Silver → gold.aqi_hourly → gold.aqi_daily', () => {
  test('a ppm/ppb Bronze feed and the same feed in μg/m³ give the same AQI', async () => {
    await withDb(async (conn) => {
      // 30 hours of NO2 100 ppb, O3 0.060 ppm, CO 3 ppm from one source, the same in µg/m³ from another.
      const hours = utcHours('2024-06-01 00:00:00', 30);
      const ppbUnits = JSON.stringify({ nitrogen_dioxide: 'ppb', ozone: 'ppm', carbon_monoxide: 'ppm', pm2_5: MICRO });
      await loadBronze(conn, [
        ...hours.map((ts) => ({ location_id: 'ppb', ts, nitrogen_dioxide: 100, ozone: 0.06, carbon_monoxide: 3, pm2_5: 35.4, units: ppbUnits })),
        ...hours.map((ts) => ({
          location_id: 'ug', ts, nitrogen_dioxide: (100 * 46.01) / 24.45, ozone: (60 * 48) / 24.45, carbon_monoxide: (3000 * 28.01) / 24.45, pm2_5: 35.4,
        })),
      ]);
      await runModel(conn, 'gold.dim_location', 'location_id');
      await conn.run('CREATE TABLE dim_location AS SELECT * FROM out_gold_dim_location');
      await runModel(conn, 'silver.air_quality_hourly', silverOrder);
      await conn.run('CREATE OR REPLACE TABLE input AS SELECT * FROM out_silver_air_quality_hourly');
      const hourly = await runModel(conn, 'gold.aqi_hourly', 'location_id, ts_utc');
      const last = (loc: string): Row => {
        const r = hourly.filter((h) => h.location_id === loc).at(-1);
        assert.ok(r);
        return r;
      };
      for (const loc of ['ppb', 'ug']) {
        const r = last(loc);
        assert.equal(r.us_aqi_nitrogen_dioxide, 100, loc); // 100 ppb: top of Moderate
        assert.equal(r.us_aqi_ozone, 67, loc); // 51 + (100−51)/(0.070−0.055) × (0.060 − 0.055) = 67.3 → 67
        assert.equal(r.us_aqi_carbon_monoxide, 34, loc); // 50/4.4 × 3.0 = 34.1 → 34
        assert.equal(r.us_aqi_pm2_5, 100, loc);
        assert.equal(r.us_aqi, 100, loc);
        assert.equal(r.us_aqi_dominant, 'pm2_5', loc); // tie PM2.5 = NO2 = 100: PM2.5 first
      }
      // And the whole rows agree.
      const strip = (r: Row): Row => ({ ...r, location_id: '' });
      assert.deepEqual(strip(last('ppb')), strip(last('ug')));
      await conn.run('CREATE OR REPLACE TABLE input AS SELECT * FROM out_gold_aqi_hourly');
      const daily = await runModel(conn, 'gold.aqi_daily', 'location_id, date_local');
      // 2024-06-01 00:00 UTC … 2024-06-02 05:00 UTC in New York (EDT, −4): local May 31 20:00 … Jun 2 01:00.
      assert.deepEqual(daily.filter((d) => d.location_id === 'ug').map((d) => [(d.date_local as Date).toISOString().slice(0, 10), Number(d.hours_total)]), [
        ['2024-05-31', 4], ['2024-06-01', 24], ['2024-06-02', 2],
      ]);
    });
  });
});
