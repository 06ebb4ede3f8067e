import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { POLLUTANT_VARIABLES } from '../src/sources/open-meteo/types.ts';

const BEIJING_FILE = new URL('../../shared/data/openmeteo/beijing_co_2023-01-01.json', import.meta.url).pathname;
const ALL = POLLUTANT_VARIABLES.join(',');

let emu: OpenMeteoEmulator;
before(async () => {
  emu = await startOpenMeteoEmulator({ host: '127.0.0.1', port: 0, minDate: '2013-01-01', maxDate: '2030-12-31', fixtures: { '40.0,116.4': BEIJING_FILE } });
});
after(async () => {
  await emu.close();
});

async function get(query: string): Promise<{ status: number; body: Record<string, unknown>; text: string; headers: Headers }> {
  const res = await fetch(`${emu.url}/v1/air-quality?${query}`);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text, headers: res.headers };
}

test('responds in the real API shape: field order, units, grid-snapped coordinates', async () => {
  const { status, body } = await get(`latitude=10.8231&longitude=106.6297&hourly=${ALL}&start_date=2024-01-01&end_date=2024-01-02&timezone=GMT`);
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(body), ['latitude', 'longitude', 'generationtime_ms', 'utc_offset_seconds', 'timezone', 'timezone_abbreviation', 'elevation', 'hourly_units', 'hourly']);
  assert.equal(body.latitude, 10.8);
  assert.equal(body.longitude, 106.6);
  assert.equal(body.utc_offset_seconds, 0);
  assert.equal(body.timezone, 'GMT');
  assert.equal(body.timezone_abbreviation, 'GMT');
  assert.deepEqual(body.hourly_units, {
    time: 'iso8601', pm10: 'μg/m³', pm2_5: 'μg/m³', carbon_monoxide: 'μg/m³', nitrogen_dioxide: 'μg/m³', sulphur_dioxide: 'μg/m³',
    ozone: 'μg/m³', dust: 'μg/m³', uv_index: '', us_aqi: 'USAQI', european_aqi: 'EAQI',
  });
  const hourly = body.hourly as Record<string, (number | string)[]>;
  assert.deepEqual(Object.keys(hourly), ['time', ...POLLUTANT_VARIABLES]);
  assert.equal(hourly.time!.length, 48);
  assert.equal(hourly.time![0], '2024-01-01T00:00');
  assert.equal(hourly.time![47], '2024-01-02T23:00');
});

test('synthetic values are deterministic and within realistic ranges', async () => {
  const q = `latitude=28.6139&longitude=77.209&hourly=${ALL}&start_date=2024-06-01&end_date=2024-06-14`;
  const a = await get(q);
  const b = await get(q);
  assert.deepEqual(a.body.hourly, b.body.hourly);
  const h = a.body.hourly as Record<string, number[]>;
  const ranges: Record<string, [number, number]> = {
    pm2_5: [5, 80], pm10: [5, 130], carbon_monoxide: [150, 900], nitrogen_dioxide: [5, 60], sulphur_dioxide: [1, 20],
    ozone: [20, 140], dust: [0, 30], uv_index: [0, 9], us_aqi: [0, 200], european_aqi: [0, 125],
  };
  for (const [v, [lo, hi]] of Object.entries(ranges)) {
    for (const x of h[v]!) assert.ok(typeof x === 'number' && x >= lo && x <= hi, `${v}=${x} outside [${lo}, ${hi}]`);
  }
  // Diurnal cycle: UV is zero at local night (Delhi ≈ UTC+5) and positive at local noon.
  assert.equal(h.uv_index![20], 0); // 20:00 UTC ≈ 01:00 solar
  assert.ok(h.uv_index![7]! > 3, `uv at local noon ${h.uv_index![7]}`);
  for (let i = 0; i < h.pm2_5!.length; i++) assert.ok(h.pm10![i]! >= h.pm2_5![i]!);
});

test('named time zones shift the axis to local midnight and report the offset at the start', async () => {
  const ny = await get('latitude=40.71&longitude=-74.01&hourly=pm2_5&start_date=2024-01-15&end_date=2024-01-15&timezone=America/New_York');
  assert.equal(ny.body.utc_offset_seconds, -18000);
  assert.equal(ny.body.timezone, 'America/New_York');
  assert.equal(ny.body.timezone_abbreviation, 'EST');
  assert.equal((ny.body.hourly as { time: string[] }).time[0], '2024-01-15T00:00');
  const unix = await get('latitude=40.71&longitude=-74.01&hourly=pm2_5&start_date=2024-01-15&end_date=2024-01-15&timezone=America/New_York&timeformat=unixtime');
  const t = (unix.body.hourly as { time: number[] }).time;
  assert.equal((unix.body.hourly_units as Record<string, string>).time, 'unixtime');
  assert.equal(t[0], Date.UTC(2024, 0, 15, 5) / 1000); // local midnight EST is 05:00Z
  assert.equal(t.length, 24);
  const summer = await get('latitude=52.37&longitude=4.9&hourly=pm2_5&start_date=2024-07-01&end_date=2024-07-01&timezone=Europe/Amsterdam');
  assert.equal(summer.body.utc_offset_seconds, 7200);
});

test('per-model variables are served; CAMS Europe and pollen are null outside Europe', async () => {
  const ams = await get('latitude=52.37&longitude=4.9&hourly=pm10_cams_europe,pm10_cams_global,birch_pollen&start_date=2024-05-01&end_date=2024-05-01');
  const h = ams.body.hourly as Record<string, unknown[] | null>;
  assert.equal(h.pm10_cams_europe!.length, 24);
  assert.equal(h.birch_pollen!.length, 24);
  assert.equal((ams.body.hourly_units as Record<string, string>).birch_pollen, 'grains/m³');
  const syd = await get('latitude=-33.87&longitude=151.21&hourly=pm10_cams_europe,birch_pollen&start_date=2024-05-01&end_date=2024-05-01');
  assert.deepEqual(syd.body.hourly, { time: (syd.body.hourly as { time: string[] }).time, pm10_cams_europe: null, birch_pollen: null });
});

test('bad parameters get HTTP 400 with the real API error body', async () => {
  const cases: [string, string][] = [
    ['longitude=4.9&hourly=pm10', "Parameter 'latitude' and 'longitude' must not be empty"],
    ['latitude=abc&longitude=4.9', "Value of type 'Float' required for key 'latitude'."],
    ['latitude=91&longitude=4.9', 'Latitude must be in range of -90 to 90°. Given: 91.0.'],
    ['latitude=52&longitude=4.9&hourly=pm10,foo', 'Cannot initialize WeatherVariable from invalid String value foo for key hourly'],
    ['latitude=52&longitude=4.9&start_date=2024-1-01&end_date=2024-01-02', "Invalid date format. Make sure to use 'YYYY-MM-DD'"],
    ['latitude=52&longitude=4.9&start_date=2024-02-30&end_date=2024-03-02', 'Invalid date'],
    ['latitude=52&longitude=4.9&start_date=2024-01-03&end_date=2024-01-02', 'End-date must be larger or equals than start-date'],
    ['latitude=52&longitude=4.9&start_date=2024-01-03', "Both 'start_date' and 'end_date' must be set in the url"],
    ['latitude=52&longitude=4.9&start_date=2012-12-31&end_date=2013-01-02', "Parameter 'start_date' is out of allowed range from 2013-01-01 to 2030-12-31"],
    ['latitude=52&longitude=4.9&start_date=2030-12-30&end_date=2031-01-02', "Parameter 'end_date' is out of allowed range from 2013-01-01 to 2030-12-31"],
    ['latitude=52&longitude=4.9&timezone=Mars/Base', 'Invalid timezone'],
    ['latitude=52&longitude=4.9&timeformat=excel', 'Cannot initialize Timeformat from invalid String value excel for key timeformat'],
  ];
  for (const [q, reason] of cases) {
    const r = await get(q);
    assert.equal(r.status, 400, q);
    assert.equal(r.text, JSON.stringify({ error: true, reason }), q);
  }
});

test('faults: counted 429 with Retry-After then recovery; 500; truncated; bad JSON; unknown path', async () => {
  const q = 'latitude=52&longitude=4.9&hourly=pm10&start_date=2024-01-01&end_date=2024-01-01';
  emu.setFault({ mode: '429', count: 2 });
  for (let i = 0; i < 2; i++) {
    const r = await get(q);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '1');
  }
  assert.equal((await get(q)).status, 200);

  emu.setFault({ mode: '500', count: 1 });
  assert.equal((await get(q)).status, 500);
  assert.equal((await get(q)).status, 200);

  emu.setFault({ mode: 'truncated', count: 1 });
  await assert.rejects(async () => (await fetch(`${emu.url}/v1/air-quality?${q}`)).text());
  emu.setFault({ mode: 'bad-json', count: 1 });
  const bad = await fetch(`${emu.url}/v1/air-quality?${q}`);
  assert.equal(bad.status, 200);
  await assert.rejects(bad.json());
  emu.setFault('none');

  const nf = await fetch(`${emu.url}/v1/other`);
  assert.equal(nf.status, 404);
  await nf.text();
});

test('fixtures serve a recorded real response verbatim', async () => {
  const r = await get('latitude=40.0&longitude=116.4&hourly=carbon_monoxide&start_date=2023-01-01&end_date=2023-01-02&timezone=GMT');
  assert.equal(r.status, 200);
  assert.equal(r.text, await readFile(BEIJING_FILE, 'utf8'));
});

test('the request counter and log count every request', async () => {
  const before = emu.requests;
  await get('latitude=1&longitude=2&hourly=pm10&start_date=2024-01-01&end_date=2024-01-01');
  assert.equal(emu.requests, before + 1);
  assert.equal(emu.requestLog.at(-1), '/v1/air-quality?latitude=1&longitude=2&hourly=pm10&start_date=2024-01-01&end_date=2024-01-01');
});
