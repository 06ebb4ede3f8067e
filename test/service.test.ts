import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startOpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { freePort } from './support/net.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/strata.mjs');
const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

/** `strata query` in a child, awaited without blocking this event loop (the emulator lives here). */
async function query(env: NodeJS.ProcessEnv, sql: string): Promise<unknown[]> {
  const child = spawn(process.execPath, [BIN, 'query', '--format', 'json', sql], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  return code === 0 ? (JSON.parse(out) as unknown[]) : [];
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function startService(baseUrl: string): Promise<{ child: ChildProcess; env: NodeJS.ProcessEnv; url: string; stderr: () => string }> {
  const port = await freePort();
  const env = {
    ...process.env,
    STRATA_WAREHOUSE: await mkdtemp(join(tmpdir(), 'strata-svc-')),
    STRATA_METRICS_PORT: String(port),
    STRATA_OPEN_METEO_BASE_URL: baseUrl,
    STRATA_LOG_FORMAT: 'json',
  };
  const child = spawn(process.execPath, [BIN, 'run'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, env, url: `http://127.0.0.1:${port}`, stderr: () => err };
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  return child.exitCode ?? new Promise((r) => child.once('exit', (code) => r(code)));
}

test('strata run (embedded default) fills gold from the seed and the API, serves /metrics and /readyz, and drains on SIGTERM', async () => {
  const emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  try {
    const svc = await startService(emu.url);
    // Seeds (7 days × 7 synthetic locations + the real Beijing recording) and today's poll for 8 locations.
    const rows = await waitFor('gold.aqi_hourly to hold the polled hours', async () => {
      const r = (await query(svc.env, `SELECT count(DISTINCT location_id) AS locations, count(*) AS n FROM gold.aqi_hourly WHERE ts_utc >= current_date - INTERVAL 2 DAY`)) as { locations: number; n: number }[];
      return r[0] && r[0].locations === 8 ? r[0] : undefined;
    });
    assert.ok(rows.n >= 8 * 48, `polled hours in gold: ${rows.n}`);
    const seeded = (await query(svc.env, `SELECT count(*) AS n FROM gold.aqi_daily WHERE date_local BETWEEN DATE '2025-10-10' AND DATE '2025-10-16'`)) as { n: number }[];
    assert.ok(seeded[0]!.n >= 7 * 7, 'seeded days are in gold.aqi_daily');
    const beijing = (await query(svc.env, `SELECT count(*) AS n FROM silver.air_quality_hourly WHERE location_id = 'beijing' AND pollutant = 'carbon_monoxide' AND ts_utc < TIMESTAMP '2023-01-03'`)) as { n: number }[];
    assert.equal(beijing[0]!.n, 48, 'the real recorded Beijing response lands whole in silver');

    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.match(metrics, /strata_records_out_total\{topology="air_quality",operator="aqi_hourly"\} \d+/);
    assert.match(metrics, /strata_http_client_requests_total\{client="open_meteo",status="200"\} [1-9]/);
    const ready = await fetch(`${svc.url}/readyz`);
    assert.equal(ready.status, 200, await ready.clone().text());
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);

    svc.child.kill('SIGTERM');
    assert.equal(await exitCode(svc.child), 0, svc.stderr().slice(-2000));
    assert.match(svc.stderr(), /"msg":"stopped"/);
  } finally {
    await emu.close();
  }
});

test('offline: the API is unreachable, the seed still fills gold, /readyz says what is wrong, SIGINT exits 0', async () => {
  const dead = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  const svc = await startService(dead);
  await waitFor('seeded gold.aqi_daily', async () => {
    const r = (await query(svc.env, 'SELECT count(DISTINCT location_id) AS n FROM gold.aqi_daily')) as { n: number }[];
    return r[0] && r[0].n === 8 ? true : undefined;
  });
  const body = await waitFor('/readyz to report the failing poll', async () => {
    const r = await fetch(`${svc.url}/readyz`).catch(() => undefined);
    if (!r || r.status !== 503) return undefined;
    return (await r.json()) as { checks: { name: string; ok: boolean; detail: string }[] };
  }, 90_000);
  const src = body.checks.find((c) => c.name === 'source:air_quality.readings');
  assert.equal(src?.ok, false);
  assert.match(src!.detail, /last poll failed/);
  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  assert.match(metrics, /strata_http_client_requests_total\{client="open_meteo",status="error"\} [1-9]/);
  svc.child.kill('SIGINT');
  assert.equal(await exitCode(svc.child), 0, svc.stderr().slice(-2000));
});
