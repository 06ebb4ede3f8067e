import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, HttpSourceError } from '../src/core/errors.ts';
import { toReadings } from '../src/sources/open-meteo/parse.ts';
import { POLLUTANT_VARIABLES, type Location, type Reading } from '../src/sources/open-meteo/types.ts';

const DATA = new URL('../../shared/data/openmeteo/', import.meta.url).pathname;
const META = { source: 'open-meteo', requestUrl: 'https://example.test/v1/air-quality?x', fetchedAt: 1_700_000_000_000 };
const HOUR = 3_600_000;

const BEIJING: Location = { id: 'beijing', name: 'Beijing', latitude: 39.9042, longitude: 116.4074, timezone: 'Asia/Shanghai' };
const AMSTERDAM: Location = { id: 'amsterdam', name: 'Amsterdam', latitude: 52.3676, longitude: 4.9041, timezone: 'Europe/Amsterdam' };

async function load(name: string): Promise<unknown> {
  return JSON.parse(await readFile(join(DATA, name), 'utf8')) as unknown;
}

function assertHourly(readings: Reading[]): void {
  for (let i = 1; i < readings.length; i++) assert.equal(readings[i]!.ts_utc - readings[i - 1]!.ts_utc, HOUR);
}

test('every recorded response in shared/data/openmeteo is handled (readings or the API error)', async () => {
  const files = (await readdir(DATA)).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, ['amsterdam_eaqi_1h.json', 'amsterdam_models_24h.json', 'beijing_co_2023-01-01.json', 'error_400.json']);
  const expected: Record<string, number> = { 'amsterdam_eaqi_1h.json': 1, 'amsterdam_models_24h.json': 24, 'beijing_co_2023-01-01.json': 48 };
  for (const f of files) {
    const body = await load(f);
    if (f === 'error_400.json') {
      assert.throws(() => toReadings(body, AMSTERDAM, META), HttpSourceError);
    } else {
      assert.equal(toReadings(body, AMSTERDAM, META).length, expected[f], f);
    }
  }
});

test('Beijing: 48 carbon_monoxide hours, local ISO times shifted by utc_offset_seconds (+08:00)', async () => {
  const r = toReadings(await load('beijing_co_2023-01-01.json'), BEIJING, META);
  assert.equal(r.length, 48);
  const first = r[0]!;
  // "2023-01-01T00:00" in Asia/Shanghai (utc_offset_seconds 28800) is 2022-12-31T16:00Z.
  assert.equal(first.ts_utc, Date.UTC(2022, 11, 31, 16, 0));
  assert.equal(new Date(first.ts_utc).toISOString(), '2022-12-31T16:00:00.000Z');
  assert.equal(first.carbon_monoxide, 4048);
  assert.equal(r[23]!.carbon_monoxide, 7900);
  assert.equal(r[47]!.carbon_monoxide, 4364);
  assert.equal(r[47]!.ts_utc, Date.UTC(2023, 0, 2, 15, 0));
  assertHourly(r);
  for (const v of POLLUTANT_VARIABLES) if (v !== 'carbon_monoxide') assert.equal(first[v], null, v);
  assert.equal(first.units, '{"carbon_monoxide":"μg/m³"}');
  assert.equal(first.extra, '{}');
  assert.equal(first.location_id, 'beijing');
  assert.equal(first.location_name, 'Beijing');
  assert.equal(first.latitude, 39.9042); // ours, not the API's grid-snapped 40.0
  assert.equal(first.timezone, 'Asia/Shanghai');
  assert.equal(first.source, 'open-meteo');
  assert.equal(first.request_url, META.requestUrl);
  assert.equal(first.fetched_at, META.fetchedAt);
  assert.deepEqual(Object.keys(first), [
    'location_id', 'location_name', 'latitude', 'longitude', 'timezone', 'ts_utc',
    ...POLLUTANT_VARIABLES, 'units', 'extra', 'source', 'request_url', 'fetched_at',
  ]);
});

test('Amsterdam 1h: JSON-escaped units arrive unescaped, values and +02:00 offset applied', async () => {
  const r = toReadings(await load('amsterdam_eaqi_1h.json'), AMSTERDAM, META);
  assert.equal(r.length, 1);
  assert.equal(r[0]!.ts_utc, Date.UTC(2026, 6, 10, 22, 0));
  assert.equal(r[0]!.european_aqi, 22);
  assert.equal(r[0]!.pm2_5, 5.8);
  assert.equal(r[0]!.pm10, null);
  assert.deepEqual(JSON.parse(r[0]!.units), { european_aqi: 'EAQI', pm2_5: 'μg/m³' });
  assert.ok(r[0]!.units.includes('μg/m³'), 'units text holds the characters, not \\u escapes');
});

test('Amsterdam models: per-model variables go to extra, `current` is ignored', async () => {
  const r = toReadings(await load('amsterdam_models_24h.json'), AMSTERDAM, META);
  assert.equal(r.length, 24);
  assert.equal(r[0]!.ts_utc, Date.UTC(2026, 9, 3, 22, 0));
  assertHourly(r);
  for (const v of POLLUTANT_VARIABLES) assert.equal(r[0]![v], null, v);
  assert.deepEqual(JSON.parse(r[0]!.extra), {
    pm10_cams_europe: 35.3,
    european_aqi_cams_europe: 45,
    pm10_cams_global: 20.5,
    european_aqi_cams_global: 44,
  });
  assert.deepEqual(JSON.parse(r[23]!.extra), {
    pm10_cams_europe: 24.1,
    european_aqi_cams_europe: 41,
    pm10_cams_global: 22.9,
    european_aqi_cams_global: 48,
  });
  assert.equal(JSON.parse(r[0]!.units).pm10_cams_europe, 'μg/m³');
});

test('the API error body becomes an HttpSourceError carrying the reason', async () => {
  const body = await load('error_400.json');
  assert.throws(
    () => toReadings(body, AMSTERDAM, META),
    (err: unknown) => {
      assert.ok(err instanceof HttpSourceError);
      assert.equal(err.code, 'OPEN_METEO_API_ERROR');
      assert.equal(err.context.reason, 'Cannot initialize TemperatureUnit from invalid String value asdfsfd for key temperature_unit');
      assert.match(err.message, /invalid String value asdfsfd/);
      return true;
    },
  );
});

test('unixtime axis is UTC seconds regardless of utc_offset_seconds', () => {
  const body = {
    utc_offset_seconds: 3600,
    hourly_units: { time: 'unixtime', pm10: 'μg/m³', uv_index: '' },
    hourly: { time: [1672531200, 1672534800], pm10: [1.5, null], uv_index: [0, 0.25] },
  };
  const r = toReadings(body, AMSTERDAM, META);
  assert.deepEqual(r.map((x) => x.ts_utc), [Date.UTC(2023, 0, 1, 0), Date.UTC(2023, 0, 1, 1)]);
  assert.deepEqual(r.map((x) => x.pm10), [1.5, null]);
  assert.deepEqual(r.map((x) => x.uv_index), [0, 0.25]);
  assert.deepEqual(JSON.parse(r[0]!.units), { pm10: 'μg/m³', uv_index: '' });
});

test('a whole variable sent as null gives nulls; unknown variables keep nulls in extra', () => {
  const body = {
    utc_offset_seconds: 0,
    hourly: { time: ['2024-03-01T00:00', '2024-03-01T01:00'], pm2_5: null, ozone: [50, 51], birch_pollen: null, ammonia: [null, 2] },
  };
  const r = toReadings(body, AMSTERDAM, META);
  assert.deepEqual(r.map((x) => x.pm2_5), [null, null]);
  assert.deepEqual(r.map((x) => x.ozone), [50, 51]);
  assert.deepEqual(JSON.parse(r[0]!.extra), { birch_pollen: null, ammonia: null });
  assert.deepEqual(JSON.parse(r[1]!.extra), { birch_pollen: null, ammonia: 2 });
  assert.equal(r[0]!.units, '{}');
});

test('misaligned arrays are a DataError naming the variable', () => {
  const body = { utc_offset_seconds: 0, hourly: { time: ['2024-03-01T00:00', '2024-03-01T01:00'], pm10: [1, 2], ozone: [1] } };
  assert.throws(
    () => toReadings(body, AMSTERDAM, META),
    (err: unknown) => err instanceof DataError && err.context.variable === 'ozone' && /hourly\.ozone has 1 values but hourly\.time has 2/.test(err.message),
  );
});

test('unusable shapes are DataErrors', () => {
  const bad: unknown[] = [
    null,
    [1, 2],
    'text',
    { hourly: {} },
    { hourly: { time: 'x' } },
    { hourly: { time: ['2024-02-30T00:00'] } },
    { hourly: { time: ['yesterday'] } },
    { hourly: { time: [1.5] } },
    { utc_offset_seconds: '3600', hourly: { time: [] } },
    { hourly: { time: [0], pm10: ['12'] } },
    { hourly: { time: [0], pm10: 12 } },
  ];
  for (const body of bad) assert.throws(() => toReadings(body, AMSTERDAM, META), DataError, JSON.stringify(body));
});

test('an empty time axis gives no readings', () => {
  assert.deepEqual(toReadings({ utc_offset_seconds: 0, hourly: { time: [], pm10: [] } }, AMSTERDAM, META), []);
});
