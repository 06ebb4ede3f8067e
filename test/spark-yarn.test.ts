/**
 * The Spark engine on a real Spark and a real single-node YARN (scripts/spark/install.sh,
 * scripts/yarn/yarn.sh: `npm test` starts both). Never skipped: without them every test fails
 * saying how to get them.
 *
 *  - parity, air quality: `strata backfill --engine duckdb` and `--engine spark` (YARN, client mode)
 *    of the same window give the same Silver and Gold (keys equal, numbers within 1e-9 relative,
 *    same column types), and the YARN application id is in `strata runs`;
 *  - parity, taxi: the sample files' batches, in-process vs Bronze in-process + Silver/Gold on YARN
 *    (cluster deploy mode: the driver in a container);
 *  - faults: the application killed through the RM mid-job (tables exactly as before, chunk failed
 *    with the reason), the backfill cancelled (its application killed), YARN unreachable and
 *    spark-submit missing (clear errors, retried per policy), and a job that writes nothing (local[2]).
 *
 * Five applications in all (each a fresh JVM, ~1 min on 2 cores): YARN where it is what is proven.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadTopology } from '../src/config/topology.ts';
import type { SourceSpec } from '../src/components/topology.ts';

type TlcSourceSpec = Extract<SourceSpec, { type: 'tlc' }>;
import { openDuckDB } from '../src/duckdb/instance.ts';
import { appState, checkResourceManager, resourceManagerUrl } from '../src/spark/submit.ts';
import type { RunRecord } from '../src/core/runs.ts';
import { RunHistory } from '../src/runtime/runs.ts';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { LocalWarehouse } from '../src/warehouse/local/local.ts';
import { bronzeThenSpark, requireSpark, sparkConfig, TEST_SPARK_CONF } from './support/spark.ts';
import { runTaxi, SAMPLE_CSV, SAMPLE_PARQUET, TAXI_TOPOLOGY, warehouseFingerprint } from './support/taxi-harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/strata.mjs');
const WINDOW = ['--start-date', '2024-03-09', '--end-date', '2024-03-11', '--chunk', 'monthly'];
let emu: OpenMeteoEmulator;
let rmUrl: string;
let locations: string;
/** Test 1's warehouses: in-process, and Bronze in-process + Silver/Gold on YARN. */
let inProcess: string;
let onSpark: string;

before(async () => {
  const env = requireSpark({ yarn: true });
  rmUrl = resourceManagerUrl(env.HADOOP_CONF_DIR!) ?? assert.fail(`no yarn-site.xml with the RM address in ${env.HADOOP_CONF_DIR}`);
  await checkResourceManager(rmUrl).catch((err: Error) => assert.fail(`${err.message} — start it: eval "$(scripts/yarn/yarn.sh start)"`));
  emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  // Three time zones, one (New York) with a DST change in the window: local days of 23 hours.
  const all = (await readFile(join(ROOT, 'config/locations.jsonl'), 'utf8')).split('\n').filter(Boolean);
  locations = join(await temp('strata-spark-loc-'), 'locations.jsonl');
  await writeFile(locations, all.filter((l) => /"(hcmc|amsterdam|new_york)"/.test(l)).join('\n') + '\n');
});
after(async () => {
  await emu?.close();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

const temps: string[] = [];
/** A temporary directory, removed after the tests. */
async function temp(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** A service config file for the CLI: the shipped topologies, and the given backfill/spark settings. */
async function configFile(dir: string, spark: Record<string, unknown>, backfill: Record<string, unknown> = {}): Promise<string> {
  const file = join(dir, 'strata.yaml');
  await writeFile(file, stringify({ service: { topologies: [join(ROOT, 'topologies')] }, backfill: { retries: 1, retry_backoff_ms: 0, ...backfill }, spark: { conf: TEST_SPARK_CONF, ...spark } }));
  return file;
}

interface Cli {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process (the emulator it talks to lives in this event loop). */
function strata(warehouse: string, args: string[], opts: { logLevel?: string; onStderr?: (all: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Cli> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, STRATA_WAREHOUSE: warehouse, STRATA_OPEN_METEO_BASE_URL: emu.url, STRATA_LOG_LEVEL: opts.logLevel ?? 'warn', STRATA_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    opts.onStderr?.(stderr, child);
  });
  return new Promise((res) => child.once('close', (status) => res({ status, stdout, stderr })));
}

async function chunks(warehouse: string): Promise<RunRecord[]> {
  return new RunHistory(new LocalWarehouse(warehouse).state).list({ kind: 'chunk' });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Nothing half-written left aside: the staging folder is empty (or gone). */
async function assertNoStaging(warehouse: string): Promise<void> {
  assert.deepEqual(await readdir(join(warehouse, '_staging')).catch(() => []), [], 'staging is empty');
}

/**
 * Two warehouses hold the same table: same columns and types, same keys, every value equal —
 * numbers within 1e-9 relative (a sum's last bits depend on the order an engine adds in).
 */
async function assertSameTable(a: string, b: string, table: string, key: string[], exclude: string[] = []): Promise<number> {
  const read = async (root: string): Promise<{ types: string[]; rows: Map<string, Record<string, unknown>> }> => {
    const db = await openDuckDB();
    const conn = await db.connect();
    try {
      await new LocalWarehouse(root).attach(conn);
      const ex = exclude.length ? ` EXCLUDE (${exclude.join(', ')})` : '';
      const types = (await conn.runAndReadAll(`DESCRIBE SELECT *${ex} FROM ${table}`)).getRowsJS().map((r) => `${r[0]} ${r[1]}`).sort();
      const rows = new Map<string, Record<string, unknown>>();
      for (const r of (await conn.runAndReadAll(`SELECT *${ex} FROM ${table}`)).getRowObjectsJson()) {
        const k = JSON.stringify(key.map((c) => r[c]));
        assert.ok(!rows.has(k), `${table} in ${root}: duplicate key ${k}`);
        rows.set(k, r as Record<string, unknown>);
      }
      return { types, rows };
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  };
  const [x, y] = [await read(a), await read(b)];
  assert.deepEqual(y.types, x.types, `${table}: column types`);
  assert.deepEqual([...y.rows.keys()].sort(), [...x.rows.keys()].sort(), `${table}: keys`);
  for (const [k, rx] of x.rows) {
    const ry = y.rows.get(k)!;
    for (const [col, vx] of Object.entries(rx)) {
      const vy = ry[col];
      if (typeof vx === 'number' && typeof vy === 'number') {
        const scale = Math.max(Math.abs(vx), Math.abs(vy));
        assert.ok(Math.abs(vx - vy) <= 1e-9 * scale || (Number.isNaN(vx) && Number.isNaN(vy)), `${table} ${k} ${col}: ${vx} vs ${vy}`);
      } else assert.deepEqual(vy, vx, `${table} ${k} ${col}`);
    }
  }
  assert.ok(x.rows.size > 0, `${table} has rows`);
  return x.rows.size;
}

test('air quality: the same window in-process and on Spark-on-YARN gives the same tables; `strata runs` shows the YARN application', async () => {
  inProcess = await temp('strata-parity-duckdb-');
  onSpark = await temp('strata-parity-spark-');
  const args = ['backfill', '--topology', 'air_quality', ...WINDOW, '--locations', locations];
  const a = await strata(inProcess, [...args, '--engine', 'duckdb']);
  assert.equal(a.status, 0, a.stderr.slice(-2000));

  const config = await configFile(onSpark, { master: 'yarn', deploy_mode: 'client' });
  const t0 = Date.now();
  const b = await strata(onSpark, [...args, '--engine', 'spark', '--config', config]);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(b.status, 0, `${b.stdout}\n${b.stderr.slice(-4000)}`);
  assert.match(b.stdout, /engine: spark — --engine spark/);
  assert.match(b.stdout, /: ok — 1 ok, 0 failed/);

  const [chunk] = await chunks(onSpark);
  assert.equal(chunk!.engine, 'spark');
  assert.equal(chunk!.status, 'ok');
  assert.match(chunk!.application_id ?? '', /^application_\d+_\d+$/);
  const runs = await strata(onSpark, ['runs', '--config', config]);
  assert.equal(runs.status, 0, runs.stderr);
  assert.ok(runs.stdout.includes(chunk!.application_id!), runs.stdout);
  assert.deepEqual(await appState(rmUrl, chunk!.application_id!).then((s) => [s?.state, s?.finalStatus]), ['FINISHED', 'SUCCEEDED']);
  await assertNoStaging(onSpark);

  const n = {
    'gold.aqi_hourly': await assertSameTable(inProcess, onSpark, 'gold.aqi_hourly', ['location_id', 'ts_utc']),
    'gold.aqi_daily': await assertSameTable(inProcess, onSpark, 'gold.aqi_daily', ['location_id', 'date_local']),
    'gold.dim_location': await assertSameTable(inProcess, onSpark, 'gold.dim_location', ['location_id'], ['updated_at']),
    'silver.air_quality_hourly': await assertSameTable(inProcess, onSpark, 'silver.air_quality_hourly', ['location_id', 'ts_utc', 'pollutant'], ['_ingested_at']),
  };
  // New York's local 2024-03-10 has 23 hours (DST): the local-day boundaries agree in both engines.
  const db = await openDuckDB();
  const conn = await db.connect();
  await new LocalWarehouse(onSpark).attach(conn);
  const ny = (await conn.runAndReadAll("SELECT hours_total FROM gold.aqi_daily WHERE location_id = 'new_york' AND date_local = DATE '2024-03-10'")).getRowsJS();
  conn.closeSync();
  db.closeSync();
  assert.deepEqual(ny.map((r) => Number(r[0])), [23]);
  console.log(`# air quality parity: ${JSON.stringify(n)} rows; spark backfill on YARN ${seconds.toFixed(1)} s (${chunk!.application_id})`);
});

test('taxi: the sample batches in-process and on Spark-on-YARN (cluster deploy mode) give the same Silver and Gold', async () => {
  const a = new LocalWarehouse(await temp('strata-taxi-duckdb-'));
  const b = new LocalWarehouse(await temp('strata-taxi-spark-'));
  const files = [SAMPLE_CSV, SAMPLE_PARQUET];
  const ran = await runTaxi(a, { files });
  assert.equal(ran.status.failedBatches, 0, ran.status.lastError);

  const topo = await loadTopology(TAXI_TOPOLOGY);
  topo.spec.sources.trips = { ...(topo.spec.sources.trips as TlcSourceSpec), files };
  const t0 = Date.now();
  const r = await bronzeThenSpark(topo, b, await sparkConfig({ master: 'yarn', deploy_mode: 'cluster' }), 'taxi-parity');
  const seconds = (Date.now() - t0) / 1000;
  assert.match(r.applicationId ?? '', /^application_\d+_\d+$/);
  assert.deepEqual(r.operators.map((o) => o.operator), ['silver', 'silver_rejected', 'daily_zone', 'hourly_demand']);
  await assertNoStaging(b.root);

  const n = {
    'gold.taxi_daily_zone': await assertSameTable(a.root, b.root, 'gold.taxi_daily_zone', ['date', 'pu_location_id']),
    'gold.taxi_hourly_demand': await assertSameTable(a.root, b.root, 'gold.taxi_hourly_demand', ['date', 'hour', 'pu_borough']),
    'silver.taxi_trips': await assertSameTable(a.root, b.root, 'silver.taxi_trips', ['trip_key'], ['_ingested_at']),
    'silver.taxi_trips_rejected': await assertSameTable(a.root, b.root, 'silver.taxi_trips_rejected', ['_source_file', '_row_number'], ['_ingested_at']),
  };
  // Append files are named by batch, as in-process: a re-run by either engine replaces them.
  const names = async (root: string): Promise<string[]> => (await new LocalWarehouse(root).files('silver.taxi_trips_rejected')).map((f) => f.slice(root.length));
  assert.deepEqual(await names(b.root), await names(a.root));
  console.log(`# taxi parity: ${JSON.stringify(n)} rows; bronze + spark (YARN cluster mode) ${seconds.toFixed(1)} s (${r.applicationId})`);
});

test('the YARN application killed mid-job: the chunk fails with the reason, the tables are exactly as they were', async () => {
  const wh = await temp('strata-spark-kill-');
  await cp(onSpark, wh, { recursive: true });
  const before = await warehouseFingerprint(wh);
  const config = await configFile(wh, { master: 'yarn' });
  let killed: string | undefined;
  const r = await strata(wh, ['backfill', '--topology', 'air_quality', ...WINDOW, '--locations', locations, '--engine', 'spark', '--skip-bronze', '--config', config], {
    logLevel: 'info',
    // Once the job has staged an operator's output (files aside, not yet in the tables): kill it through the RM.
    onStderr: (all) => {
      if (killed || !/"event":"operator"/.test(all)) return;
      killed = /"application_id":"(application_\d+_\d+)"/.exec(all)?.[1];
      if (killed) void fetch(`${rmUrl}/ws/v1/cluster/apps/${killed}/state?user.name=${process.env.USER ?? 'root'}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"state":"KILLED"}' });
    },
  });
  assert.ok(killed, `the job never reached an operator: ${r.stderr.slice(-3000)}`);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stdout, /: failed — 0 ok, 1 failed/);
  const chunk = (await chunks(wh)).find((c) => c.application_id === killed);
  assert.ok(chunk, 'the chunk record names the killed application');
  assert.equal(chunk.status, 'failed');
  assert.match(chunk.error ?? '', new RegExp(`YARN application ${killed} KILLED/KILLED: Application ${killed} was killed by user`));
  assert.match(r.stderr, /"msg":"backfill chunk failed"/);
  assert.deepEqual(await warehouseFingerprint(wh), before, 'every table file is as it was');
  await assertNoStaging(wh);
});

test('cancelling the backfill (SIGINT) kills its YARN application', async () => {
  const wh = await temp('strata-spark-cancel-');
  await cp(onSpark, wh, { recursive: true });
  const before = await warehouseFingerprint(wh);
  const config = await configFile(wh, { master: 'yarn' }, { retries: 3 });
  let app: string | undefined;
  const r = await strata(wh, ['backfill', '--topology', 'air_quality', ...WINDOW, '--locations', locations, '--engine', 'spark', '--skip-bronze', '--config', config], {
    logLevel: 'info',
    // Ctrl-C once the ResourceManager has the application (accepted or running).
    onStderr: (all, child) => {
      if (app) return;
      app = /"application_id":"(application_\d+_\d+)"/.exec(all)?.[1];
      if (app) {
        void waitFor('the application in the RM', async () => {
          const s = await appState(rmUrl, app!);
          return s && ['ACCEPTED', 'RUNNING'].includes(s.state) ? s : undefined;
        }, 120_000).then(() => child.kill('SIGINT'), () => child.kill('SIGINT'));
      }
    },
  });
  assert.ok(app, r.stderr.slice(-3000));
  assert.equal(r.status, 130, `${r.stdout}\n${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /: cancelled — /);
  const state = await waitFor('the application to end', async () => {
    const s = await appState(rmUrl, app!);
    return s && ['KILLED', 'FAILED', 'FINISHED'].includes(s.state) ? s : undefined;
  }, 60_000);
  assert.equal(state.state, 'KILLED', JSON.stringify(state));
  const chunk = (await chunks(wh)).find((c) => c.application_id === app);
  assert.equal(chunk?.status, 'cancelled');
  assert.equal(chunk?.attempts, 1, 'a cancelled chunk is not retried');
  assert.match(chunk?.error ?? '', new RegExp(`cancelled: YARN application ${app} killed`));
  assert.deepEqual(await warehouseFingerprint(wh), before);
  await assertNoStaging(wh);
});

test('YARN unreachable, spark-submit missing: clear errors in run history and logs, retried per policy, nothing written', async () => {
  const wh = await temp('strata-spark-faults-');
  await cp(onSpark, wh, { recursive: true });
  const before = await warehouseFingerprint(wh);
  const args = ['backfill', '--topology', 'air_quality', ...WINDOW, '--locations', locations, '--engine', 'spark', '--skip-bronze'];

  // A ResourceManager address nothing listens on: fails in well under a second (no minute of YARN client retries).
  const port = await new Promise<number>((res) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => res(p));
    });
  });
  const down = await strata(wh, [...args, '--config', await configFile(wh, { master: 'yarn', resource_manager_url: `http://127.0.0.1:${port}` }, { retries: 2 })]);
  assert.equal(down.status, 1);
  let [chunk] = await chunks(wh);
  assert.equal(chunk!.status, 'failed');
  assert.equal(chunk!.attempts, 2, 'retried per backfill.retries');
  assert.match(chunk!.error ?? '', new RegExp(`YARN ResourceManager at http://127\\.0\\.0\\.1:${port} is unreachable \\(ECONNREFUSED\\): is YARN running\\?`));
  assert.match(down.stderr, /backfill chunk failed; retrying/);

  const missing = await strata(wh, [...args, '--config', await configFile(wh, { master: 'yarn', spark_home: '/nonexistent/spark' })]);
  assert.equal(missing.status, 1);
  [chunk] = await chunks(wh);
  assert.match(chunk!.error ?? '', /spark-submit not found \/nonexistent\/spark\/bin\/spark-submit \(from spark\.spark_home\)/);
  assert.match(missing.stderr, /spark-submit not found/);

  assert.deepEqual(await warehouseFingerprint(wh), before);
  await assertNoStaging(wh);
});

test('an application that succeeds but writes nothing fails its chunk (local[2])', async () => {
  const wh = await temp('strata-spark-nothing-');
  await cp(onSpark, wh, { recursive: true });
  const before = await warehouseFingerprint(wh);
  const topology = join(ROOT, 'test/fixtures/topologies/spark-writes-nothing.yaml');
  const r = await strata(wh, ['backfill', '--topology', topology, ...WINDOW, '--engine', 'spark', '--skip-bronze', '--config', await configFile(wh, { master: 'local[2]' })]);
  assert.equal(r.status, 1, r.stdout);
  const [chunk] = await chunks(wh);
  assert.equal(chunk!.status, 'failed');
  assert.match(chunk!.application_id ?? '', /^local-\d+$/);
  assert.match(chunk!.error ?? '', /Spark application local-\d+ succeeded but wrote no file for \d+ input rows \(operators: silver=0\); nothing was committed/);
  assert.deepEqual(await warehouseFingerprint(wh), before);
  await assertNoStaging(wh);
});
