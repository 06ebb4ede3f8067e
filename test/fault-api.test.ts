// API faults on a running `strata run`: the embedded Open-Meteo poller against the local emulator
// answering 500, then 429, then truncated bodies and cut JSON. The service stays up, /readyz names the source and
// the HTTP error, requests are retried with back-off; once the API recovers the next poll fills
// silver and gold exactly as a run that never saw a fault (same rows, none missing, none twice).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startOpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { LocalWarehouse } from '../src/warehouse/local/local.ts';
import { projectCopy } from './support/faults.ts';
import { BIN, freePort, waitFor } from './support/kafka.ts';
import { count, tableSnapshot } from './support/pipeline-harness.ts';

/** Silver and gold, minus the columns that differ between runs by design (ingestion time, batch). */
const TABLES: Record<string, string[]> = {
  'silver.air_quality_hourly': ['_ingested_at', '_batch_id', '_source'],
  'silver.air_quality_rejected': ['_ingested_at', '_batch_id', '_source'],
  'gold.aqi_hourly': [],
  'gold.aqi_daily': [],
  'gold.dim_location': ['updated_at'],
};
const SOURCE = 'source:air_quality.readings';

const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

interface Service {
  child: ChildProcess;
  url: string;
  warehouse: string;
  stderr: () => string;
}

/**
 * A project copy polling every 2 s (6-field cron), without the seed, so every row comes from the
 * API; one retry per request with a short back-off, so a faulty poll is over in seconds.
 */
async function startService(baseUrl: string): Promise<Service> {
  const { dir, topology } = await projectCopy();
  const topo = await readFile(topology, 'utf8');
  const fast = topo.replace(/^\s*seed: .*\n/m, '').replace(/cron: '0 \* \* \* \*'/, "cron: '*/2 * * * * *'");
  assert.notEqual(fast, topo);
  assert.ok(!/^\s*seed:/m.test(fast) && fast.includes("cron: '*/2 * * * * *'"), 'topology edited');
  await writeFile(topology, fast);
  const cfgFile = join(dir, 'config/default.yaml');
  const cfg = (await readFile(cfgFile, 'utf8')).replace(/^ {2}retries: 3$/m, '  retries: 1').replace(/^ {2}backoff_ms: 500$/m, '  backoff_ms: 200');
  assert.match(cfg, /^ {2}retries: 1$/m);
  await writeFile(cfgFile, cfg);
  const port = await freePort();
  const warehouse = join(dir, 'warehouse');
  const env: NodeJS.ProcessEnv = { ...process.env, STRATA_CONFIG: cfgFile, STRATA_WAREHOUSE: warehouse, STRATA_METRICS_PORT: String(port), STRATA_OPEN_METEO_BASE_URL: baseUrl, STRATA_LOG_FORMAT: 'json' };
  delete env.STRATA_KAFKA_BROKERS;
  const child = spawn(process.execPath, [BIN, 'run'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, url: `http://127.0.0.1:${port}`, warehouse, stderr: () => err };
}

async function readyz(s: Service): Promise<{ status: number; failing: string[]; source?: { ok: boolean; detail: string } } | undefined> {
  const r = await fetch(`${s.url}/readyz`).catch(() => undefined);
  if (!r) return undefined;
  const body = (await r.json()) as { failing?: string[]; checks: { name: string; ok: boolean; detail: string }[] };
  return { status: r.status, failing: body.failing ?? [], source: body.checks.find((c) => c.name === SOURCE) };
}

/** Sum of a metric's samples whose line matches (0 before the endpoint is up). */
async function metric(s: Service, name: string, match: RegExp): Promise<number> {
  const r = await fetch(`${s.url}/metrics`).catch(() => undefined);
  const text = r ? await r.text() : '';
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && match.test(l))
    .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
}

async function snapshot(warehouse: string): Promise<Record<string, string[]>> {
  const wh = new LocalWarehouse(warehouse);
  const present = new Set(await wh.tables());
  const out: Record<string, string[]> = {};
  for (const [t, ex] of Object.entries(TABLES)) out[t] = present.has(t) ? await tableSnapshot(wh, t, ex) : [];
  return out;
}

/** The "open-meteo request failed, retrying" log lines. */
function retryLines(s: Service): { status?: number | string; attempt: number; wait_ms: number; reason: string }[] {
  return s
    .stderr()
    .split('\n')
    .filter((l) => l.includes('"open-meteo request failed, retrying"'))
    .map((l) => JSON.parse(l) as { status?: number | string; attempt: number; wait_ms: number; reason: string });
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  return child.exitCode ?? new Promise((r) => child.once('exit', (code) => r(code)));
}

test('API faults: 500, 429, truncated bodies and bad JSON keep the service up and not ready; after recovery silver and gold equal a fault-free run', { timeout: 120_000 }, async () => {
  const faulty = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1', fault: '500' });
  const healthy = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  try {
    const svc = await startService(faulty.url);
    const ref = await startService(healthy.url);

    const failedPolls = (): Promise<number> => metric(svc, 'strata_scheduled_runs_total', /topology="air_quality",source="readings",status="failed"/);
    /** Waits for a whole poll (all 8 locations) to fail under the current fault, and /readyz to say `detail`. */
    const faultyPoll = async (what: string, detail: RegExp): Promise<{ failing: string[]; source?: { ok: boolean; detail: string } }> => {
      const before = await failedPolls();
      await waitFor(`a poll to fail on ${what}`, async () => ((await failedPolls()) > before ? true : undefined));
      return waitFor(`/readyz to report ${what}`, async () => {
        const r = await readyz(svc);
        return r && r.status === 503 && r.source && !r.source.ok && detail.test(r.source.detail) ? r : undefined;
      });
    };

    // 1. HTTP 500 on every request: not ready, naming the source and the status.
    const r500 = await faultyPoll('HTTP 500', /failed after 2 attempts; last: HTTP 500\b/);
    assert.match(r500.source!.detail, /^last poll failed: /);
    assert.ok(r500.failing.some((f) => f.startsWith(SOURCE) && /\b500\b/.test(f)), `failing names the source: ${JSON.stringify(r500.failing)}`);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200, 'alive');

    // 2. HTTP 429 (Retry-After: 1): the retry waits at least what the API asked for.
    faulty.setFault('429');
    await faultyPoll('HTTP 429', /failed after 2 attempts; last: HTTP 429\b/);

    // 3. Bodies cut short mid-transfer (the connection drops), then complete responses of cut JSON.
    faulty.setFault('truncated');
    await faultyPoll('a truncated body', /failed after 2 attempts; last: transport error/);
    faulty.setFault('bad-json');
    await faultyPoll('a cut JSON body', /failed after 2 attempts; last: invalid JSON body/);
    assert.equal(svc.child.exitCode, null, 'the service is still running');
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200, 'alive');

    // Retried with back-off, counted in the metrics and logged.
    assert.ok((await metric(svc, 'strata_http_client_requests_total', /client="open_meteo",status="500"/)) > 0);
    assert.ok((await metric(svc, 'strata_http_client_requests_total', /client="open_meteo",status="429"/)) > 0);
    assert.ok((await metric(svc, 'strata_http_client_retries_total', /client="open_meteo"/)) > 0);
    assert.ok((await metric(svc, 'strata_http_client_errors_total', /client="open_meteo"/)) > 0, 'requests failed for good after their retries');
    assert.ok((await failedPolls()) >= 4, 'four failed polls in the run history');
    const lines = retryLines(svc);
    for (const st of [500, 'error']) assert.ok(lines.some((l) => l.status === st), `${st} was retried`);
    const after429 = lines.filter((l) => l.status === 429);
    assert.ok(after429.length > 0 && after429.every((l) => l.wait_ms >= 1000), `429 retries honour Retry-After: ${after429.map((l) => l.wait_ms).join(', ')}`);
    assert.ok(lines.every((l) => l.attempt === 1), 'one retry per request, as configured');
    // Nothing of the faulty polls reached silver or gold.
    const during = await snapshot(svc.warehouse);
    for (const [t, rows] of Object.entries(during)) assert.deepEqual(rows, [], `${t} is empty while the API fails`);

    // The fault-free run, for reference: its first polls fill the tables.
    const reference = await waitFor('the reference run to fill silver and gold', async () => {
      if ((await readyz(ref))?.status !== 200) return undefined;
      const s = await snapshot(ref.warehouse).catch(() => undefined);
      return s && Object.entries(s).every(([t, rows]) => t === 'silver.air_quality_rejected' || rows.length > 0) ? s : undefined;
    });

    // 4. The API recovers: the next poll fills the tables, equal to the reference run.
    faulty.setFault('none');
    await waitFor('the faulted run to equal the reference', async () => {
      const s = await snapshot(svc.warehouse).catch(() => undefined);
      return s && JSON.stringify(s) === JSON.stringify(reference) ? true : undefined;
    });
    const ready = await waitFor('/readyz 200 after recovery', async () => {
      const r = await readyz(svc);
      return r?.status === 200 ? r : undefined;
    });
    assert.match(ready.source!.detail, /last poll ok/);
    // Later polls (every 2 s) change nothing: still equal, no key twice.
    await new Promise((r) => setTimeout(r, 4000));
    const final = await snapshot(svc.warehouse);
    for (const [t, rows] of Object.entries(reference)) assert.deepEqual(final[t], rows, `${t} equals the fault-free run`);
    const wh = new LocalWarehouse(svc.warehouse);
    const dups = async (table: string, key: string): Promise<number> => count(wh, `SELECT count(*) - count(DISTINCT (${key})) FROM ${table}`);
    assert.equal(await dups('silver.air_quality_hourly', 'location_id, ts_utc, pollutant'), 0, 'no duplicate in silver');
    assert.equal(await dups('gold.aqi_hourly', 'location_id, ts_utc'), 0, 'no duplicate in gold.aqi_hourly');
    assert.equal(await dups('gold.aqi_daily', 'location_id, date_local'), 0, 'no duplicate in gold.aqi_daily');
    assert.ok(reference['silver.air_quality_hourly']!.length >= 8 * 48 * 6, `silver holds the polled hours: ${reference['silver.air_quality_hourly']!.length}`);

    for (const s of [svc, ref]) s.child.kill('SIGTERM');
    for (const s of [svc, ref]) assert.equal(await exitCode(s.child), 0, s.stderr().slice(-2000));
  } finally {
    await faulty.close();
    await healthy.close();
  }
});
