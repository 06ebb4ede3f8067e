// Shared by the fault tests (test/fault-*.test.ts): a private copy of the project a running service
// can be live-edited in, readings published to the real Kafka broker in waves, the reference tables
// of an uninterrupted run, and what /readyz, /metrics and the logs say while a batch keeps failing.
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { AvroEncoder, loadSchemaFile } from '../../src/avro/codec.ts';
import { readingMessages } from '../../src/producers/open-meteo.ts';
import { readingsToArrow } from '../../src/sources/open-meteo/arrow.ts';
import { OpenMeteoClient } from '../../src/sources/open-meteo/client.ts';
import { openMeteoSettings } from '../../src/sources/open-meteo/settings.ts';
import { startOpenMeteoEmulator } from '../../dev/open-meteo/emulator.ts';
import { loadLocations } from '../../src/sources/open-meteo/locations.ts';
import type { Reading } from '../../src/sources/open-meteo/types.ts';
import { LocalWarehouse } from '../../src/warehouse/local/local.ts';
import { kafkaClient, ROOT, waitFor, type StrataProcess } from './kafka.ts';
import { runTopologyOver, tableSnapshot, tempWarehouse } from './pipeline-harness.ts';

export const TABLES = ['bronze.open_meteo_air_quality', 'silver.air_quality_hourly', 'silver.air_quality_rejected', 'gold.aqi_hourly', 'gold.aqi_daily', 'gold.dim_location'];
/** Columns that differ between runs by design (ingestion time, batch ids, Kafka positions). */
const LINEAGE: Record<string, string[]> = {
  'bronze.open_meteo_air_quality': ['_ingested_at', '_batch_id', '_position', '_kafka_partition', '_kafka_offset', '_kafka_topic', '_source'],
  'silver.air_quality_hourly': ['_ingested_at', '_batch_id', '_source'],
  'silver.air_quality_rejected': ['_ingested_at', '_batch_id', '_source'],
  'gold.dim_location': ['updated_at'],
};

/** A copy of the air-quality topology and everything it reads, which a test may edit while the service runs. */
export async function projectCopy(): Promise<{ dir: string; topology: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-fault-'));
  await mkdir(join(dir, 'topologies'));
  await cp(join(ROOT, 'topologies/air_quality.yaml'), join(dir, 'topologies/air_quality.yaml'));
  for (const d of ['sql', 'config', 'schemas', 'samples/open-meteo']) await cp(join(ROOT, d), join(dir, d), { recursive: true });
  return { dir, topology: join(dir, 'topologies/air_quality.yaml') };
}

/** Readings of a few locations over a few days, from the local emulator (the API's exact shape). */
export async function fetchReadings(ids: string[], start: string, end: string): Promise<Reading[]> {
  const emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  const client = new OpenMeteoClient(openMeteoSettings({ base_url: emu.url, retries: 1 }));
  try {
    const locations = await loadLocations(join(ROOT, 'config/locations.jsonl'));
    const out: Reading[] = [];
    for (const id of ids) out.push(...(await client.fetchRange(locations.find((l) => l.id === id)!, start, end)));
    return out;
  } finally {
    await client.close();
    await emu.close();
  }
}

/** Publishes readings (Avro, as `strata produce` does) to the topology's topic. */
export async function publish(topic: string, readings: Reading[]): Promise<void> {
  const enc = new AvroEncoder(loadSchemaFile(join(ROOT, 'schemas/avro/open_meteo_reading.avsc')));
  const producer = kafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: readingMessages(enc, readings).map((m) => ({ key: m.key, value: m.value })) });
  } finally {
    await producer.disconnect();
  }
}

export async function snapshot(warehouse: string): Promise<Record<string, string[]>> {
  const wh = new LocalWarehouse(warehouse);
  const present = new Set(await wh.tables());
  const out: Record<string, string[]> = {};
  for (const t of TABLES) out[t] = present.has(t) ? await tableSnapshot(wh, t, LINEAGE[t] ?? []) : [];
  return out;
}

/** The tables of an uninterrupted in-process run of `topology` over the readings in one batch. */
export async function reference(topology: string, readings: Reading[]): Promise<Record<string, string[]>> {
  const wh = await tempWarehouse();
  await runTopologyOver(topology, wh, [{ id: 'reference', table: readingsToArrow(readings) }]);
  return snapshot(wh.root);
}

/** Waits until the warehouse equals the reference (the service is still catching up until then). */
export async function converge(warehouse: string, ref: Record<string, string[]>, what: string, ms = 120_000): Promise<void> {
  const same = (a: Record<string, string[]>): boolean => TABLES.every((t) => JSON.stringify(a[t]) === JSON.stringify(ref[t]));
  await waitFor(what, async () => (same(await snapshot(warehouse).catch(() => ({}))) ? true : undefined), ms, 1000);
}

/** Files a reader could pick up that are not finished data files. */
export async function visibleTemporaries(root: string): Promise<string[]> {
  const bad: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (dir === root && (e.name === '_state' || e.name === '_staging')) continue; // never read as tables
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (!e.name.endsWith('.parquet') || e.name.startsWith('.') || e.name.startsWith('_')) bad.push(p);
    }
  };
  await walk(root);
  return bad;
}

export interface Readyz {
  status: number;
  failing: string[];
  checks: { name: string; ok: boolean; detail: string }[];
}

export async function readyz(p: StrataProcess): Promise<Readyz | undefined> {
  const r = await fetch(`${p.url}/readyz`).catch(() => undefined);
  if (!r) return undefined;
  const body = (await r.json()) as { failing?: string[]; checks: Readyz['checks'] };
  return { status: r.status, failing: body.failing ?? [], checks: body.checks };
}

/** The service's "operator failed on batch; retrying" log lines for one operator, in order. */
export function retries(p: StrataProcess, operator: string): { attempt: number; retry_in_ms: number; cause: string; time: number }[] {
  return p
    .stderr()
    .split('\n')
    .filter((l) => l.includes('"operator failed on batch; retrying"'))
    .map((l) => JSON.parse(l) as { operator: string; attempt: number; retry_in_ms: number; cause: string; time: number })
    .filter((l) => l.operator === operator);
}

/** The retries of one failing batch: attempts 1, 2, 3… with a back-off that grows (and is capped). */
export function assertBackoff(log: { attempt: number; retry_in_ms: number; time: number }[], atLeast: number): void {
  const first = log.map((l) => l.attempt).lastIndexOf(1);
  const run = first < 0 ? [] : log.slice(first);
  assert.ok(run.length >= atLeast, `at least ${atLeast} attempts logged, got ${run.length}`);
  for (let i = 1; i < run.length; i++) {
    assert.equal(run[i]!.attempt, run[i - 1]!.attempt + 1);
    assert.ok(run[i]!.retry_in_ms >= run[i - 1]!.retry_in_ms && run[i]!.retry_in_ms <= 30_000, `back-off grows, capped: ${run.map((r) => r.retry_in_ms).join(', ')}`);
    // The next attempt came after the back-off announced by the previous one.
    assert.ok(run[i]!.time - run[i - 1]!.time >= run[i - 1]!.retry_in_ms - 50, `attempt ${run[i]!.attempt} waited its back-off`);
  }
  assert.ok(run[run.length - 1]!.retry_in_ms > run[0]!.retry_in_ms, 'the back-off grew');
}
