// Live config edits: `strata run` applies valid edits of topology files (and the SQL they read) by
// draining at a batch boundary and restarting, rejects invalid ones with file:line:col while the
// running version goes on, and handles editors that save by rename, partial writes and rapid saves.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startOpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { freePort } from './support/net.ts';
import { LocalWarehouse } from '../src/warehouse/local/local.ts';
import { tableSnapshot } from './support/pipeline-harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** An editor's atomic save: write a temp file beside it, then rename over. */
async function saveByRename(file: string, text: string): Promise<void> {
  await writeFile(`${file}.swp`, text);
  await rename(`${file}.swp`, file);
}

test('live edits: invalid edit rejected with file:line:col while the running version goes on; valid edits, new and removed topologies applied', { timeout: 300_000 }, async () => {
  const emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  const proj = await mkdtemp(join(tmpdir(), 'strata-reload-'));
  for (const d of ['topologies', 'sql', 'config', 'samples', 'schemas']) await cp(join(ROOT, d), join(proj, d), { recursive: true });
  await rm(join(proj, 'topologies', 'taxi.yaml'), { force: true });
  const port = await freePort();
  const env = { ...process.env, STRATA_CONFIG: join(proj, 'config/default.yaml'), STRATA_WAREHOUSE: join(proj, 'warehouse'), STRATA_METRICS_PORT: String(port), STRATA_OPEN_METEO_BASE_URL: emu.url, STRATA_LOG_FORMAT: 'json' };
  delete (env as Record<string, string | undefined>).STRATA_KAFKA_BROKERS;
  const child = spawn(process.execPath, [join(ROOT, 'bin/strata.mjs'), 'run'], { cwd: proj, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const metric = async (name: string, match: RegExp): Promise<number> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return text.split('\n').filter((l) => l.startsWith(name) && match.test(l)).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  };
  const wh = new LocalWarehouse(join(proj, 'warehouse'));
  const rows = async (table: string): Promise<number> => (await tableSnapshot(wh, table)).length;
  try {
    await waitFor('seeded gold', async () => ((await rows('gold.aqi_daily')) > 0 ? true : undefined));
    const topo = join(proj, 'topologies/air_quality.yaml');
    const original = await readFile(topo, 'utf8');

    // 1. An invalid edit (an unknown operator type on line 3 of the operator), saved by rename.
    const broken = original.replace('  silver_rejected:\n    type: sql', '  silver_rejected:\n    type: sqll');
    assert.notEqual(broken, original);
    const line = broken.split('\n').findIndex((l) => l.includes('type: sqll')) + 1;
    await saveByRename(topo, broken);
    await waitFor('the rejection', async () => ((await metric('strata_config_reloads_total', /result="rejected"/)) >= 1 ? true : undefined));
    assert.match(log, new RegExp(`air_quality\\.yaml:${line}:11 operators\\.silver_rejected\\.type: unknown operator type`));
    assert.equal(await metric('strata_topology_up', /topology="air_quality"/), 1, 'the running version goes on');
    assert.equal((await fetch(`${url}/healthz`)).status, 200);

    // 2. A valid edit: a new operator with a new SQL file, written in two partial writes then rapid saves.
    await writeFile(join(proj, 'sql/air_quality/gold.aqi_peaks.sql'), 'SELECT location_id, date_local, date, us_aqi_max FROM input WHERE us_aqi_max >= 50\n');
    const withPeaks = `${original.replace(/\nsinks:/, `
  aqi_peaks:
    type: sql
    inputs: [aqi_daily]
    sql: ../sql/air_quality/gold.aqi_peaks.sql
    materialize: { mode: upsert, table: gold.aqi_peaks, partition_by: date, key: [location_id, date_local], order_by: [us_aqi_max] }
sinks:`)}`;
    await writeFile(topo, withPeaks.slice(0, 200)); // a partial write: invalid for a moment
    await writeFile(topo, withPeaks);
    for (let i = 0; i < 3; i++) await writeFile(topo, withPeaks); // rapid successive saves
    await waitFor('gold.aqi_peaks to appear', async () => ((await rows('gold.aqi_peaks').catch(() => 0)) > 0 ? true : undefined), 90_000);
    assert.equal(await metric('strata_topology_up', /topology="air_quality"/), 1);
    assert.ok((await metric('strata_config_reloads_total', /result="applied"/)) >= 1);
    // The restart re-read the seed: same batch ids, so nothing doubled.
    const silver = await tableSnapshot(wh, 'silver.air_quality_hourly', ['_ingested_at', '_batch_id']);
    assert.equal(new Set(silver).size, silver.length, 'no duplicate rows in silver after the restart');

    // 3. A changed SQL file alone restarts the topology that reads it.
    await writeFile(join(proj, 'sql/air_quality/gold.aqi_peaks.sql'), 'SELECT location_id, date_local, date, us_aqi_max FROM input WHERE us_aqi_max >= 0\n');
    const before = await metric('strata_config_reloads_total', /result="applied"/);
    await waitFor('the SQL change applied', async () => ((await metric('strata_config_reloads_total', /result="applied"/)) > before ? true : undefined), 60_000);

    // 4. A new topology file starts; removing it stops it.
    const mini = join(proj, 'topologies/mini.yaml');
    await saveByRename(mini, `name: mini
sources:
  readings: { type: open_meteo, locations: ../config/locations.jsonl, seed: ../samples/open-meteo }
operators:
  landed: { type: bronze, inputs: [readings], table: bronze.mini_readings, partition_by: date, partition_expr: CAST(ts_utc AS DATE) }
`);
    await waitFor('topology mini up', async () => ((await metric('strata_topology_up', /topology="mini"/)) === 1 ? true : undefined));
    await waitFor('bronze.mini_readings rows', async () => ((await rows('bronze.mini_readings').catch(() => 0)) > 0 ? true : undefined));
    await rm(mini);
    await waitFor('topology mini stopped', async () => ((await metric('strata_topology_up', /topology="mini"/)) === 0 ? true : undefined));
    assert.equal(await metric('strata_topology_up', /topology="air_quality"/), 1);

    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 0, log.slice(-2000));
  } finally {
    await emu.close();
  }
});
