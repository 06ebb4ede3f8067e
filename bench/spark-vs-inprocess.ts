/**
 * Benchmark: the same backfill window's Silver + Gold in-process (DuckDB), on Spark local[2] and on
 * Spark-on-YARN — wall time of each and the ratio to in-process.
 *
 *   eval "$(scripts/spark/install.sh)"; eval "$(scripts/yarn/yarn.sh start)"
 *   node --import tsx bench/spark-vs-inprocess.ts [--start 2024-01-01] [--end 2024-01-31] [--locations FILE]
 *        [--modes duckdb,local,yarn] [--json]
 *
 * Bronze of the window is landed once, in-process, from the local Open-Meteo emulator; each engine then
 * runs `strata backfill --skip-bronze` over a copy of that warehouse (one monthly chunk: one
 * spark-submit), so the figures compare the engines on identical input. The Spark service config is
 * the shipped default (client mode, 1 executor of 1 core and 512 MB) with only the master changed.
 * Results also go to bench/results/spark-vs-inprocess.json.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadServiceConfig } from '../src/config/service.ts';
import { loadTopology } from '../src/config/topology.ts';
import { openDuckDB } from '../src/engines/duckdb/instance.ts';
import { planBackfill, runBackfill, type BackfillRequest } from '../src/runtime/backfill.ts';
import type { Layer } from '../src/runtime/pipeline.ts';
import { RunHistory } from '../src/runtime/runs.ts';
import { startOpenMeteoEmulator } from '../src/sources/open-meteo/emulator.ts';
import { Warehouse } from '../src/warehouse/warehouse.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    start: { type: 'string', default: '2024-01-01' },
    end: { type: 'string', default: '2024-01-31' },
    locations: { type: 'string', default: join(ROOT, 'config/locations.jsonl') },
    modes: { type: 'string', default: 'duckdb,local,yarn' },
    json: { type: 'boolean', default: false },
  },
});
const modes = values.modes!.split(',') as ('duckdb' | 'local' | 'yarn')[];
const log = pino({ level: process.env.STRATA_LOG_LEVEL ?? 'silent' });
const topology = await loadTopology(join(ROOT, 'topologies/air_quality.yaml'));
const window = { start: values.start!, end: values.end! };

async function backfill(wh: Warehouse, engine: 'duckdb' | 'spark', skip: Layer[], master?: string): Promise<{ seconds: number; applicationId?: string; rowsOut: number }> {
  const config = await loadServiceConfig(join(ROOT, 'config/default.yaml'), process.env);
  config.open_meteo.base_url = process.env.STRATA_OPEN_METEO_BASE_URL!;
  if (master) config.spark.master = master;
  config.backfill.retries = 1;
  const req: BackfillRequest = { topology, window, chunk: 'monthly', engine, skip: new Set(skip), resume: false, failFast: true, locations: resolve(values.locations!) };
  const plan = await planBackfill(req, { config, log, warehouse: wh });
  const t0 = performance.now();
  const r = await runBackfill(req, plan, { config, warehouse: wh, log });
  const seconds = (performance.now() - t0) / 1000;
  const chunks = await new RunHistory(wh.stateDir).list({ kind: 'chunk', parent: r.runId });
  if (r.status !== 'ok') throw new Error(`${engine} ${master ?? ''} backfill ${r.status}: ${chunks.map((c) => c.error).join('; ')}`);
  return { seconds, applicationId: chunks.find((c) => c.application_id)?.application_id, rowsOut: r.rowsOut };
}

async function count(wh: Warehouse, table: string): Promise<number> {
  const db = await openDuckDB();
  const conn = await db.connect();
  await wh.attachViews(conn);
  const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRowsJS()[0]![0]);
  conn.closeSync();
  db.closeSync();
  return n;
}

const emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
process.env.STRATA_OPEN_METEO_BASE_URL = emu.url;
const base = new Warehouse(await mkdtemp(join(tmpdir(), 'strata-bench-spark-')));
const tBronze = performance.now();
await backfill(base, 'duckdb', ['silver', 'gold']);
const bronzeSeconds = (performance.now() - tBronze) / 1000;
await emu.close();
const bronzeRows = await count(base, 'bronze.open_meteo_air_quality');

const results: Record<string, { seconds: number; applicationId?: string; silver: number; gold_hourly: number }> = {};
for (const mode of modes) {
  const wh = new Warehouse(await mkdtemp(join(tmpdir(), `strata-bench-${mode}-`)));
  await cp(base.root, wh.root, { recursive: true });
  process.stderr.write(`${mode}: Silver + Gold of ${window.start}..${window.end}…\n`);
  const r = mode === 'duckdb' ? await backfill(wh, 'duckdb', ['bronze']) : await backfill(wh, 'spark', ['bronze'], mode === 'local' ? 'local[2]' : 'yarn');
  results[mode] = { seconds: Number(r.seconds.toFixed(2)), applicationId: r.applicationId, silver: await count(wh, 'silver.air_quality_hourly'), gold_hourly: await count(wh, 'gold.aqi_hourly') };
  await rm(wh.root, { recursive: true, force: true });
}
await rm(base.root, { recursive: true, force: true });

const inProcess = results.duckdb?.seconds;
const result = {
  window,
  locations: values.locations,
  bronze_rows: bronzeRows,
  silver_rows: Object.values(results)[0]?.silver,
  gold_hourly_rows: Object.values(results)[0]?.gold_hourly,
  bronze_landing_seconds: Number(bronzeSeconds.toFixed(2)),
  silver_gold_seconds: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.seconds])),
  ratio_to_in_process: inProcess ? Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Number((v.seconds / inProcess).toFixed(1))])) : undefined,
  applications: Object.fromEntries(Object.entries(results).flatMap(([k, v]) => (v.applicationId ? [[k, v.applicationId]] : []))),
  cpus: cpus().length,
  load_average: Number(loadavg()[0]!.toFixed(1)),
};
await mkdir(join(ROOT, 'bench/results'), { recursive: true });
await writeFile(join(ROOT, 'bench/results/spark-vs-inprocess.json'), JSON.stringify(result, null, 2) + '\n');
if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
else {
  process.stdout.write(
    `air quality ${window.start}..${window.end}: ${bronzeRows.toLocaleString('en')} Bronze rows → ${result.silver_rows?.toLocaleString('en')} Silver, ${result.gold_hourly_rows?.toLocaleString('en')} gold.aqi_hourly\n` +
      Object.entries(results).map(([k, v]) => `  ${k.padEnd(7)} Silver + Gold ${v.seconds.toFixed(1)} s${inProcess ? `  (${(v.seconds / inProcess).toFixed(1)}× in-process)` : ''}${v.applicationId ? `  ${v.applicationId}` : ''}\n`).join('') +
      `  (${result.cpus} CPUs, load average ${result.load_average}; Bronze landing in-process ${result.bronze_landing_seconds} s, not included)\n`,
  );
}
