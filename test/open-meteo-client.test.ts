import { test, after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DataError, HttpSourceError } from '../src/core/errors.ts';
import { OpenMeteoClient, type OpenMeteoClientOptions, type OpenMeteoRequestEvent } from '../src/sources/open-meteo/client.ts';
import { openMeteoSettings, type OpenMeteoSettings } from '../src/sources/open-meteo/settings.ts';
import { ResponseCache } from '../src/sources/open-meteo/cache.ts';
import { splitDateRange } from '../src/sources/open-meteo/dates.ts';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { jitteredBackoffMs, parseRetryAfter } from '../src/core/retry.ts';
import { POLLUTANT_VARIABLES, type Location } from '../src/sources/open-meteo/types.ts';

const BEIJING_FILE = new URL('../../shared/data/openmeteo/beijing_co_2023-01-01.json', import.meta.url).pathname;
const HOUR = 3_600_000;
const silent = pino({ level: 'silent' });

const HCMC: Location = { id: 'hcmc', name: 'Ho Chi Minh City', latitude: 10.8231, longitude: 106.6297, timezone: 'Asia/Ho_Chi_Minh' };
const BEIJING: Location = { id: 'beijing', name: 'Beijing', latitude: 39.9042, longitude: 116.4074, timezone: 'Asia/Shanghai' };

let emu: OpenMeteoEmulator;
const clients: OpenMeteoClient[] = [];

before(async () => {
  emu = await startOpenMeteoEmulator({
    host: '127.0.0.1',
    port: 0,
    slowMs: 1000,
    maxDate: '2030-12-31',
    fixtures: { [`${BEIJING.latitude},${BEIJING.longitude}`]: BEIJING_FILE },
  });
});
beforeEach(() => emu.setFault('none'));
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emu.close();
});

/** A client against the emulator with fast retries; `events` records every attempt. */
function client(opts: OpenMeteoClientOptions = {}, settings: Partial<OpenMeteoSettings> = {}): { c: OpenMeteoClient; events: OpenMeteoRequestEvent[] } {
  const events: OpenMeteoRequestEvent[] = [];
  const c = new OpenMeteoClient(openMeteoSettings({ base_url: emu.url, backoff_ms: 5, timeout_ms: 2000, ...settings }), {
    maxBackoffMs: 20,
    maxRetryAfterMs: 50,
    logger: silent,
    onRequest: (e) => events.push(e),
    ...opts,
  });
  clients.push(c);
  return { c, events };
}

test('a 10-day range is split into max_days_per_request chunks and gives every hour exactly once', async () => {
  const before = emu.requests;
  const { c, events } = client({ now: () => 1_717_000_000_000 }, { max_days_per_request: 3 });
  const r = await c.fetchRange(HCMC, '2024-01-01', '2024-01-10');
  assert.equal(r.length, 240);
  assert.equal(emu.requests - before, 4);
  const chunks = emu.requestLog.slice(-4).map((u) => {
    const q = new URL(u, 'http://x').searchParams;
    return `${q.get('start_date')}..${q.get('end_date')}`;
  });
  assert.deepEqual(chunks, ['2024-01-01..2024-01-03', '2024-01-04..2024-01-06', '2024-01-07..2024-01-09', '2024-01-10..2024-01-10']);
  assert.deepEqual(events.map((e) => [e.status, e.attempt]), [[200, 1], [200, 1], [200, 1], [200, 1]]);

  assert.equal(r[0]!.ts_utc, Date.UTC(2024, 0, 1, 0));
  assert.equal(r[239]!.ts_utc, Date.UTC(2024, 0, 10, 23));
  for (let i = 1; i < r.length; i++) assert.equal(r[i]!.ts_utc - r[i - 1]!.ts_utc, HOUR);
  for (const x of r) {
    for (const v of POLLUTANT_VARIABLES) assert.equal(typeof x[v], 'number', v);
    assert.ok(x.pm2_5! >= 5 && x.pm2_5! <= 80);
    assert.equal(x.location_id, 'hcmc');
    assert.equal(x.fetched_at, 1_717_000_000_000);
    assert.equal(x.source, 'open-meteo');
    assert.equal(x.extra, '{}');
  }
  assert.equal(JSON.parse(r[0]!.units).pm2_5, 'μg/m³');
  const url = new URL(r[0]!.request_url);
  assert.equal(url.pathname, '/v1/air-quality');
  assert.equal(url.searchParams.get('timezone'), 'GMT');
  assert.equal(url.searchParams.get('hourly'), POLLUTANT_VARIABLES.join(','));
  assert.equal(url.searchParams.get('latitude'), '10.8231');
});

test('recovers from two 429s, waiting at least the (capped) Retry-After each time', async () => {
  const { c, events } = client({ random: () => 0 }); // no jitter: any wait comes from Retry-After
  emu.setFault({ mode: '429', count: 2 });
  const started = performance.now();
  const r = await c.fetchRange(HCMC, '2024-02-01', '2024-02-01');
  const elapsed = performance.now() - started;
  assert.equal(r.length, 24);
  assert.deepEqual(events.map((e) => [e.status, e.attempt]), [[429, 1], [429, 2], [200, 3]]);
  assert.ok(elapsed >= 2 * 50 - 5, `waited ${elapsed} ms, expected ≥ 2 × 50 ms (Retry-After: 1 s capped to 50 ms)`);
});

test('recovers from a 500', async () => {
  const { c, events } = client();
  emu.setFault({ mode: '500', count: 1 });
  const r = await c.fetchRange(HCMC, '2024-02-01', '2024-02-02');
  assert.equal(r.length, 48);
  assert.deepEqual(events.map((e) => e.status), [500, 200]);
});

test('recovers from bodies cut by a dropped connection', async () => {
  const { c, events } = client();
  emu.setFault({ mode: 'truncated', count: 2 });
  const r = await c.fetchRange(HCMC, '2024-02-01', '2024-02-03');
  assert.equal(r.length, 72);
  assert.deepEqual(events.map((e) => e.status), ['error', 'error', 200]);
});

test('recovers from a complete response with invalid JSON', async () => {
  const { c, events } = client();
  emu.setFault({ mode: 'bad-json', count: 1 });
  const r = await c.fetchRange(HCMC, '2024-02-01', '2024-02-01');
  assert.equal(r.length, 24);
  assert.deepEqual(events.map((e) => e.status), [200, 200]);
});

test('times out a slow response and retries', async () => {
  const { c, events } = client({}, { timeout_ms: 200 });
  emu.setFault({ mode: 'slow', count: 1 });
  const r = await c.fetchRange(HCMC, '2024-02-01', '2024-02-01');
  assert.equal(r.length, 24);
  assert.deepEqual(events.map((e) => e.status), ['error', 200]);
  assert.ok(events[0]!.durationMs >= 190 && events[0]!.durationMs < 1000, `timed out after ${events[0]!.durationMs} ms`);
});

test('gives up after the retries with an HttpSourceError naming location, dates and last status', async () => {
  const before = emu.requests;
  const { c, events } = client({}, { retries: 2 });
  emu.setFault('500');
  await assert.rejects(c.fetchRange(HCMC, '2024-03-01', '2024-03-02'), (err: unknown) => {
    assert.ok(err instanceof HttpSourceError, String(err));
    assert.equal(err.code, 'OPEN_METEO_UNAVAILABLE');
    assert.equal(err.context.location_id, 'hcmc');
    assert.equal(err.context.start_date, '2024-03-01');
    assert.equal(err.context.end_date, '2024-03-02');
    assert.equal(err.context.last_status, 500);
    assert.equal(err.context.attempts, 3);
    assert.match(err.message, /hcmc 2024-03-01\.\.2024-03-02 failed after 3 attempts; last: HTTP 500: Something went wrong\./);
    return true;
  });
  assert.equal(emu.requests - before, 3);
  assert.equal(events.length, 3);
});

test('a transport failure that never recovers keeps its cause', async () => {
  const { c } = client({}, { retries: 1, base_url: 'http://127.0.0.1:1' });
  await assert.rejects(c.fetchRange(HCMC, '2024-03-01', '2024-03-01'), (err: unknown) => {
    assert.ok(err instanceof HttpSourceError);
    assert.equal(err.context.last_status, 'error');
    assert.ok(err.cause instanceof Error);
    assert.match(err.message, /ECONNREFUSED/);
    return true;
  });
});

test('a 400 is not retried and its reason is surfaced', async () => {
  const before = emu.requests;
  const { c, events } = client({ hourly: ['pm2_5', 'foo'] });
  await assert.rejects(c.fetchRange(HCMC, '2024-03-01', '2024-03-02'), (err: unknown) => {
    assert.ok(err instanceof HttpSourceError);
    assert.equal(err.code, 'OPEN_METEO_BAD_REQUEST');
    assert.equal(err.context.reason, 'Cannot initialize WeatherVariable from invalid String value foo for key hourly');
    assert.equal(err.context.location_id, 'hcmc');
    assert.equal(err.context.start_date, '2024-03-01');
    assert.equal(err.context.end_date, '2024-03-02');
    assert.match(err.message, /hcmc 2024-03-01\.\.2024-03-02: Cannot initialize WeatherVariable/);
    return true;
  });
  assert.equal(emu.requests - before, 1);
  assert.deepEqual(events.map((e) => e.status), [400]);

  const { c: c2 } = client();
  await assert.rejects(c2.fetchRange(HCMC, '2012-12-30', '2013-01-02'), (err: unknown) =>
    err instanceof HttpSourceError && err.context.reason === "Parameter 'start_date' is out of allowed range from 2013-01-01 to 2030-12-31");
});

test('the cache answers a repeat without the network, and expires', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-om-cache-'));
  try {
    let now = 1_700_000_000_000;
    const { c, events } = client({ cacheDir: dir, now: () => now }, { cache_ttl_hours: 60_000 / 3_600_000, max_days_per_request: 2 });
    const before = emu.requests;
    const first = await c.fetchRange(HCMC, '2024-04-01', '2024-04-03');
    assert.equal(emu.requests - before, 2);
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.json')).length, 2);

    now += 59_000;
    const second = await c.fetchRange(HCMC, '2024-04-01', '2024-04-03');
    assert.equal(emu.requests - before, 2, 'cache hit must not reach the emulator');
    assert.deepEqual(second, first); // same values and the original fetched_at

    now += 2_000; // past the 60 s TTL
    const third = await c.fetchRange(HCMC, '2024-04-01', '2024-04-03');
    assert.equal(emu.requests - before, 4);
    assert.equal(third[0]!.fetched_at, now);
    assert.equal(events.length, 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unusable cache entry is treated as a miss and refetched', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-om-cache-'));
  try {
    const { c } = client({ cacheDir: dir });
    const url = c.buildUrl(HCMC, '2024-04-05', '2024-04-05');
    await new ResponseCache(dir, 60_000).set(url, { hourly: { time: 'not an array' } }, 1);
    const before = emu.requests;
    const r = await c.fetchRange(HCMC, '2024-04-05', '2024-04-05');
    assert.equal(r.length, 24);
    assert.equal(emu.requests - before, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('failed responses are not cached', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-om-cache-'));
  try {
    const { c } = client({ cacheDir: dir, hourly: ['nope'] });
    await assert.rejects(c.fetchRange(HCMC, '2024-04-01', '2024-04-01'), HttpSourceError);
    assert.deepEqual(await readdir(dir).catch(() => []), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the recorded Beijing response, served by the emulator, is parsed by the client', async () => {
  const { c } = client({ hourly: ['carbon_monoxide'] });
  const r = await c.fetchRange(BEIJING, '2023-01-01', '2023-01-02');
  assert.equal(r.length, 48);
  assert.equal(r[0]!.carbon_monoxide, 4048);
  assert.equal(r[0]!.ts_utc, Date.UTC(2022, 11, 31, 16)); // the recording is in Asia/Shanghai local time
  assert.equal(r[47]!.carbon_monoxide, 4364);
  assert.equal(r[0]!.pm2_5, null);
  assert.equal(r[0]!.units, '{"carbon_monoxide":"μg/m³"}');
});

test('invalid date ranges fail before any request', async () => {
  const before = emu.requests;
  const { c } = client();
  await assert.rejects(c.fetchRange(HCMC, '2024-01-10', '2024-01-01'), DataError);
  await assert.rejects(c.fetchRange(HCMC, '2024-02-30', '2024-03-01'), DataError);
  await assert.rejects(c.fetchRange(HCMC, '2024/01/01', '2024-03-01'), DataError);
  assert.equal(emu.requests, before);
});

test('a throwing onRequest hook does not break a fetch', async () => {
  const { c } = client({ onRequest: () => { throw new Error('metrics bug'); } });
  assert.equal((await c.fetchRange(HCMC, '2024-02-01', '2024-02-01')).length, 24);
});

test('splitDateRange, jitteredBackoffMs and parseRetryAfter', () => {
  assert.deepEqual(splitDateRange('2024-02-27', '2024-03-02', 92), [{ start: '2024-02-27', end: '2024-03-02' }]);
  assert.deepEqual(splitDateRange('2024-02-27', '2024-03-02', 2), [
    { start: '2024-02-27', end: '2024-02-28' }, { start: '2024-02-29', end: '2024-03-01' }, { start: '2024-03-02', end: '2024-03-02' },
  ]);
  assert.equal(splitDateRange('2023-01-01', '2023-12-31', 92).length, 4);
  assert.equal(jitteredBackoffMs(1, 500, 30_000, () => 0.999), 499);
  assert.equal(jitteredBackoffMs(4, 500, 30_000, () => 0.5), 2000);
  assert.equal(jitteredBackoffMs(20, 500, 30_000, () => 0.5), 15_000); // capped
  assert.equal(parseRetryAfter('3'), 3000);
  const now = Date.UTC(2024, 0, 1, 0, 0, 0);
  assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:00:07 GMT', now), 7000);
  assert.equal(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});
