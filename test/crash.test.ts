// Crash safety: 20 runs with fixed seeds, each killing `strata run` (SIGKILL, no clean-up) at a
// chosen point — while a partition file is being renamed into place, right after it, between the
// warehouse commit and the Kafka offset commit, or at a random moment — then restarting it. After
// each, the warehouse equals the reference run (no duplicate, no missing row) and readers see no
// temporary file. Runs against the real Kafka broker.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { AvroEncoder, loadSchemaFile } from '../src/avro/codec.ts';
import { readingMessages } from '../src/producers/open-meteo.ts';
import { readingsToArrow } from '../src/sources/open-meteo/arrow.ts';
import { OpenMeteoClient } from '../src/sources/open-meteo/client.ts';
import { openMeteoSettings } from '../src/sources/open-meteo/settings.ts';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { loadLocations } from '../src/sources/open-meteo/locations.ts';
import type { Reading } from '../src/sources/open-meteo/types.ts';
import { LocalWarehouse } from '../src/warehouse/local/local.ts';
import { freshName, kafkaClient, requireBroker, ROOT, startStrata, testConfig, waitFor, type StrataProcess } from './support/kafka.ts';
import { visibleTemporaries } from './support/faults.ts';
import { runTopologyOver, tableSnapshot, tempWarehouse } from './support/pipeline-harness.ts';

const RUNS = Number(process.env.CRASH_RUNS ?? 20);
const TABLES = ['bronze.open_meteo_air_quality', 'silver.air_quality_hourly', 'gold.aqi_hourly', 'gold.aqi_daily', 'gold.dim_location'];
const LINEAGE: Record<string, string[]> = {
  'bronze.open_meteo_air_quality': ['_ingested_at', '_batch_id', '_position', '_kafka_partition', '_kafka_offset', '_kafka_topic', '_source'],
  'silver.air_quality_hourly': ['_ingested_at', '_batch_id', '_source'],
  'gold.dim_location': ['updated_at'],
};
const POINTS = ['warehouse.before_rename', 'warehouse.after_rename', 'pipeline.before_ack', 'pipeline.after_ack', 'random'] as const;

let emu: OpenMeteoEmulator;
let readings: Reading[];
let topology: string;
let reference: Record<string, string[]>;
const procs: StrataProcess[] = [];

/** mulberry32: the same seed gives the same kill point on every machine. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function snapshot(warehouse: string): Promise<Record<string, string[]>> {
  const wh = new LocalWarehouse(warehouse);
  const out: Record<string, string[]> = {};
  for (const t of TABLES) out[t] = await tableSnapshot(wh, t, LINEAGE[t] ?? []);
  return out;
}

before(async () => {
  await requireBroker();
  // The shipped topology with small batches: a batch groups the ranges of several partitions and
  // the stream takes several batches, so there are grouped batches to die in. The project's
  // folders are linked, so paths stay inside the copy's root.
  const proj = await mkdtemp(join(tmpdir(), 'strata-crash-'));
  for (const d of ['sql', 'config', 'samples', 'schemas']) await symlink(join(ROOT, d), join(proj, d));
  await mkdir(join(proj, 'topologies'));
  const yaml = (await readFile(join(ROOT, 'topologies/air_quality.yaml'), 'utf8')).replace(/^(\s+)batch_rows: \d+$/m, '$1batch_rows: 60');
  assert.match(yaml, /batch_rows: 60\n/);
  topology = join(proj, 'topologies/air_quality.yaml');
  await writeFile(topology, yaml);
  emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  const client = new OpenMeteoClient(openMeteoSettings({ base_url: emu.url, retries: 1 }));
  const locs = (await loadLocations(join(ROOT, 'config/locations.jsonl'))).filter((l) => ['hcmc', 'amsterdam', 'new_york'].includes(l.id));
  readings = [];
  for (const l of locs) readings.push(...(await client.fetchRange(l, '2024-03-09', '2024-03-10')));
  await client.close();
  const wh = await tempWarehouse();
  await runTopologyOver(join(ROOT, 'topologies/air_quality.yaml'), wh, [{ id: 'reference', table: readingsToArrow(readings) }]);
  reference = await snapshot(wh.root);
});

after(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await emu?.close();
});

test(`crash harness: ${RUNS} SIGKILLs at seeded points, restart, warehouse equals the reference`, { timeout: 1_500_000 }, async (t) => {
  const enc = new AvroEncoder(loadSchemaFile(join(ROOT, 'schemas/avro/open_meteo_reading.avsc')));
  const kills: Record<string, number> = {};
  for (let run = 1; run <= RUNS; run++) {
    const r = rng(run * 7919);
    const point = POINTS[run % POINTS.length]!;
    // Each batch renames many partition files (every table) but acks once: pick the n-th hit to match.
    const nth = 1 + Math.floor(r() * (point.startsWith('warehouse') ? 12 : 2));
    const prefix = freshName(`crash${run}`);
    const { file: config, warehouse } = await testConfig({ prefix, topologies: [topology] });
    // Small messages in several sends, so there are many batches to die in.
    const producer = kafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const msgs = readingMessages(enc, readings);
    for (let i = 0; i < msgs.length; i += 24) await producer.send({ topic: `${prefix}strata.open_meteo.readings`, acks: -1, messages: msgs.slice(i, i + 24).map((m) => ({ key: m.key, value: m.value })) });
    await producer.disconnect();

    const env = point === 'random' ? {} : { STRATA_FAILPOINTS: `${point}:${nth}` };
    const first = await startStrata(config, undefined, env);
    procs.push(first);
    if (point === 'random') {
      await waitFor('a first batch', async () => ((await first.metric('strata_batches_total', /status="ok"/)) >= 1 ? true : undefined), 60_000, 50);
      await new Promise((res) => setTimeout(res, Math.floor(r() * 1500)));
      first.child.kill('SIGKILL');
    }
    const code = await Promise.race([first.exited(), new Promise<'alive'>((res) => setTimeout(() => res('alive'), 45_000))]);
    assert.notEqual(code, 'alive', `run ${run}: the failpoint ${point}:${nth} was never reached`);
    assert.equal(first.child.signalCode, 'SIGKILL', `run ${run}: killed by the failpoint`);
    kills[point] = (kills[point] ?? 0) + 1;

    const second = await startStrata(config);
    procs.push(second);
    // Up and consuming (metric() reads 0 when the server is not up yet, so check it is up first).
    await waitFor(`run ${run}: restarted service up`, async () => ((await second.metric('strata_topology_up', /air_quality/)) === 1 ? true : undefined), 90_000, 250);
    await waitFor(`run ${run}: consumer lag 0 after restart`, async () => ((await second.metric('strata_topology_up', /air_quality/)) === 1 && (await second.metric('strata_consumer_lag_messages')) === 0 ? true : undefined), 90_000, 250);
    // The restarted service re-delivers what was not committed: wait until the warehouse matches.
    const same = (a: Record<string, string[]>): boolean => TABLES.every((t) => JSON.stringify(a[t]) === JSON.stringify(reference[t]));
    await waitFor(`run ${run}: the warehouse to converge`, async () => (same(await snapshot(warehouse).catch(() => ({}))) ? true : undefined), 120_000, 1000).catch(() => undefined);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited(), 0, second.stderr().slice(-2000));

    const got = await snapshot(warehouse);
    for (const table of TABLES) assert.deepEqual(got[table], reference[table], `run ${run} (${point}:${nth}): ${table} differs from the reference`);
    assert.deepEqual(await visibleTemporaries(warehouse), [], `run ${run}: temporary files visible to readers`);
    t.diagnostic(`run ${run}: killed at ${point}:${nth}, restarted, ${TABLES.length} tables equal the reference`);
  }
  t.diagnostic(`kills per point: ${JSON.stringify(kills)}`);
});
