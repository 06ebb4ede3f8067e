import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenMeteoClient } from '../src/sources/open-meteo/client.ts';
import { openMeteoSettings } from '../src/sources/open-meteo/settings.ts';
import { readingsToArrow } from '../src/sources/open-meteo/arrow.ts';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { loadLocations } from '../src/sources/open-meteo/locations.ts';
import type { Reading } from '../src/sources/open-meteo/types.ts';
import { count, runTopologyOver, tableSnapshot, tempWarehouse } from './support/pipeline-harness.ts';

const TOPOLOGY = fileURLToPath(new URL('../topologies/air_quality.yaml', import.meta.url));
const LOCATIONS = fileURLToPath(new URL('../config/locations.jsonl', import.meta.url));
const GOLD = ['gold.aqi_hourly', 'gold.aqi_daily'];

let emu: OpenMeteoEmulator;
let readings: Reading[];

before(async () => {
  emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  const client = new OpenMeteoClient(openMeteoSettings({ base_url: emu.url, retries: 1 }));
  const locs = (await loadLocations(LOCATIONS)).filter((l) => ['hcmc', 'amsterdam', 'new_york'].includes(l.id));
  readings = [];
  // Four days across the US DST change (2024-03-10), so local days of 23 hours are in the data.
  for (const loc of locs) readings.push(...(await client.fetchRange(loc, '2024-03-08', '2024-03-11')));
  await client.close();
  assert.equal(readings.length, 3 * 4 * 24);
});

after(async () => {
  await emu.close();
});

/** Deterministic shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(xs: T[], seed: number): T[] {
  let s = seed;
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function chunks<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

async function goldOf(batches: Reading[][]): Promise<{ tables: Record<string, string[]>; wh: Awaited<ReturnType<typeof tempWarehouse>> }> {
  const wh = await tempWarehouse();
  await runTopologyOver(TOPOLOGY, wh, batches.map((b, i) => ({ id: `b${i}`, table: readingsToArrow(b) })));
  const tables: Record<string, string[]> = {};
  for (const t of GOLD) tables[t] = await tableSnapshot(wh, t);
  tables['silver.air_quality_hourly'] = await tableSnapshot(wh, 'silver.air_quality_hourly', ['_ingested_at', '_batch_id']);
  return { tables, wh };
}

test('gold tables are the same for one batch, many small batches, and shuffled late arrivals', async () => {
  const one = await goldOf([readings]);
  assert.equal(one.tables['silver.air_quality_hourly']!.length, 3 * 96 * 8, 'every pollutant of every hour lands in silver');
  assert.equal(one.tables['gold.aqi_hourly']!.length, 3 * 96);
  const small = await goldOf(chunks(readings, 24));
  const late = await goldOf(chunks(shuffled(readings, 42), 16));
  for (const t of [...GOLD, 'silver.air_quality_hourly']) {
    assert.deepEqual(small.tables[t], one.tables[t], `${t}: small batches differ from one batch`);
    assert.deepEqual(late.tables[t], one.tables[t], `${t}: shuffled batches differ from one batch`);
  }
  // The rolling means need 18 of 24 hours: the first 17 hours of each location have no PM sub-index.
  const firstHours = await count(one.wh, `SELECT count(*) FROM gold.aqi_hourly WHERE us_aqi_pm2_5 IS NULL`);
  assert.equal(firstHours, 3 * 17);
  // New York's local 2024-03-10 has 23 hours (DST starts), and it is complete in the data.
  const nyDst = await count(one.wh, `SELECT hours_total FROM gold.aqi_daily WHERE location_id = 'new_york' AND date_local = DATE '2024-03-10'`);
  assert.equal(nyDst, 23);
});

test('re-processing the same batches changes nothing (no duplicates in any layer)', async () => {
  const wh = await tempWarehouse();
  const batches = chunks(readings, 50).map((b, i) => ({ id: `b${i}`, table: readingsToArrow(b) }));
  await runTopologyOver(TOPOLOGY, wh, batches);
  const before: Record<string, string[]> = {};
  const tables = ['bronze.open_meteo_air_quality', 'silver.air_quality_hourly', 'gold.aqi_hourly', 'gold.aqi_daily', 'gold.dim_location'];
  for (const t of tables) before[t] = await tableSnapshot(wh, t, t.startsWith('gold') ? (t === 'gold.dim_location' ? ['updated_at'] : []) : ['_ingested_at']);
  await runTopologyOver(TOPOLOGY, wh, batches);
  for (const t of tables) {
    const now = await tableSnapshot(wh, t, t.startsWith('gold') ? (t === 'gold.dim_location' ? ['updated_at'] : []) : ['_ingested_at']);
    assert.deepEqual(now, before[t], `${t} changed on re-run`);
  }
  assert.equal(await count(wh, 'SELECT count(*) FROM bronze.open_meteo_air_quality'), readings.length);
  assert.equal(await count(wh, 'SELECT count(*) FROM (SELECT location_id, ts_utc, pollutant FROM silver.air_quality_hourly GROUP BY ALL HAVING count(*) > 1)'), 0);
  assert.equal(await count(wh, 'SELECT count(*) FROM gold.dim_location'), 3);
  assert.equal(await count(wh, 'SELECT count(*) FROM gold.dim_pollutant'), 8);
});

test('the latest ingestion wins in silver, and gold follows the correction', async () => {
  const wh = await tempWarehouse();
  await runTopologyOver(TOPOLOGY, wh, [{ id: 'first', table: readingsToArrow(readings) }]);
  const target = readings.find((r) => r.location_id === 'hcmc' && r.ts_utc === Date.UTC(2024, 2, 10, 12))!;
  const corrected = { ...target, pm2_5: 250.4 }; // a hazardous value arriving later for one hour
  await new Promise((r) => setTimeout(r, 5)); // a later _ingested_at
  await runTopologyOver(TOPOLOGY, wh, [{ id: 'correction', table: readingsToArrow([corrected]) }]);
  const v = await count(wh, `SELECT value FROM silver.air_quality_hourly WHERE location_id = 'hcmc' AND pollutant = 'pm2_5' AND ts_utc = TIMESTAMP '2024-03-10 12:00:00'`);
  assert.equal(v, 250.4);
  const hourly = await count(wh, `SELECT pm2_5 FROM gold.aqi_hourly WHERE location_id = 'hcmc' AND ts_utc = TIMESTAMP '2024-03-10 12:00:00'`);
  assert.equal(hourly, 250.4);
  // The 24-hour mean 23 hours later (next UTC day) still includes the corrected hour: it was recomputed.
  const later = await tableSnapshot(wh, 'gold.aqi_hourly');
  const fresh = await tempWarehouse();
  const all = readings.map((r) => (r === target ? corrected : r));
  await runTopologyOver(TOPOLOGY, fresh, [{ id: 'all', table: readingsToArrow(all) }]);
  assert.deepEqual(later, await tableSnapshot(fresh, 'gold.aqi_hourly'), 'gold after a late correction equals gold computed from corrected data');
});

test('every real recorded API response runs through the whole pipeline; unknown variables stay in Bronze', async () => {
  const { readFile } = await import('node:fs/promises');
  const { toReadings } = await import('../src/sources/open-meteo/parse.ts');
  const dir = fileURLToPath(new URL('../../shared/data/openmeteo/', import.meta.url));
  const locs = await loadLocations(LOCATIONS);
  const byId = new Map(locs.map((l) => [l.id, l]));
  const files = { 'beijing_co_2023-01-01.json': 'beijing', 'amsterdam_eaqi_1h.json': 'amsterdam', 'amsterdam_models_24h.json': 'amsterdam' };
  const batches = [];
  for (const [file, id] of Object.entries(files)) {
    const resp: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'));
    batches.push({ id: file, table: readingsToArrow(toReadings(resp, byId.get(id)!, { source: 'recorded', requestUrl: file, fetchedAt: 0 })) });
  }
  const wh = await tempWarehouse();
  await runTopologyOver(TOPOLOGY, wh, batches);
  assert.equal(await count(wh, 'SELECT count(*) FROM bronze.open_meteo_air_quality'), 48 + 1 + 24);
  assert.equal(await count(wh, `SELECT count(*) FROM silver.air_quality_hourly WHERE location_id = 'beijing' AND pollutant = 'carbon_monoxide'`), 48);
  // Per-model variables (e.g. pm10_cams_europe) are not ours to interpret: they are kept, in Bronze's `extra`.
  assert.ok(await count(wh, `SELECT count(*) FROM bronze.open_meteo_air_quality WHERE extra LIKE '%cams%'`) > 0);
  // CO alone gives a US AQI once 6 of 8 hours are there.
  assert.ok(await count(wh, `SELECT count(us_aqi) FROM gold.aqi_hourly WHERE location_id = 'beijing'`) >= 40);
});

test('a replay from Bronze (backfill --skip-bronze) rewrites quarantined rows in place, never duplicates them', async () => {
  const { loadTopology } = await import('../src/config/topology.ts');
  const { loadServiceConfig } = await import('../src/config/service.ts');
  const { openDuckDB } = await import('../src/duckdb/instance.ts');
  const { buildGraph } = await import('../src/runtime/build.ts');
  const { Pipeline, runToCompletion } = await import('../src/runtime/pipeline.ts');
  const { ReplayTrigger } = await import('../src/runtime/window-source.ts');
  const { quietLog } = await import('./support/pipeline-harness.ts');
  const wh = await tempWarehouse();
  const bad = readings.slice(0, 48).map((r, i) => (i % 6 === 0 ? { ...r, pm10: -1, ozone: Number.NaN } : r));
  await runTopologyOver(TOPOLOGY, wh, [{ id: 'b0', table: readingsToArrow(bad.slice(0, 24)) }, { id: 'b1', table: readingsToArrow(bad.slice(24)) }]);
  const rejected = await tableSnapshot(wh, 'silver.air_quality_rejected', ['_ingested_at']);
  assert.equal(rejected.length, 16, '8 hours × (negative pm10 + NaN ozone)');

  const topo = await loadTopology(TOPOLOGY);
  const db = await openDuckDB();
  const graph = buildGraph(topo, { config: await loadServiceConfig(undefined, {}), log: quietLog, state: wh.state });
  const w = { start: '2024-03-08', end: '2024-03-11' };
  for (const name of [...graph.sources.keys()]) graph.sources.set(name, new ReplayTrigger(name, topo.spec.name, w));
  await runToCompletion(new Pipeline(topo, graph, { db, warehouse: wh, log: quietLog }, { skipLayers: new Set(['bronze']), window: w }));
  db.closeSync();
  assert.deepEqual(await tableSnapshot(wh, 'silver.air_quality_rejected', ['_ingested_at']), rejected);
});
