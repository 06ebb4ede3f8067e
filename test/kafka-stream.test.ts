// Kafka → Bronze → Gold with `strata run` as a child process against the real broker (see
// test/support/kafka.ts). Each test uses its own topic prefix, consumer groups and warehouse.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
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
import type { Location, Reading } from '../src/sources/open-meteo/types.ts';
import { LocalWarehouse } from '../src/warehouse/local/local.ts';
import { freshName, kafkaClient, kcat, produce, query, requireBroker, ROOT, startStrata, testConfig, waitFor, type StrataProcess } from './support/kafka.ts';
import { runTopologyOver, tableSnapshot, tempWarehouse } from './support/pipeline-harness.ts';

const TOPOLOGY = join(ROOT, 'topologies/air_quality.yaml');
const V1 = loadSchemaFile(join(ROOT, 'schemas/avro/open_meteo_reading.avsc'));
const V2 = loadSchemaFile(join(ROOT, 'test/fixtures/avro/open_meteo_reading.v2.avsc'));
const TAXI = loadSchemaFile(join(ROOT, 'schemas/avro/taxi_trip_batch.avsc'));
const GOLD = ['gold.aqi_hourly', 'gold.aqi_daily'];
const READINGS_TOPIC = 'strata.open_meteo.readings';
const DLQ_TOPIC = 'strata.air_quality.dead_letters';

let emu: OpenMeteoEmulator;
let client: OpenMeteoClient;
let locations: Location[];
const running: StrataProcess[] = [];

before(async () => {
  await requireBroker();
  emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  client = new OpenMeteoClient(openMeteoSettings({ base_url: emu.url, retries: 1 }));
  locations = await loadLocations(join(ROOT, 'config/locations.jsonl'));
});

after(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await client?.close();
  await emu?.close();
});

async function fetchAll(ids: string[], start: string, end: string): Promise<Reading[]> {
  const out: Reading[] = [];
  for (const id of ids) out.push(...(await client.fetchRange(locations.find((l) => l.id === id)!, start, end)));
  return out;
}

/** Gold computed in-process from the same readings in one batch: what an uninterrupted run gives. */
async function referenceGold(readings: Reading[]): Promise<Record<string, string[]>> {
  const wh = await tempWarehouse();
  await runTopologyOver(TOPOLOGY, wh, [{ id: 'all', table: readingsToArrow(readings) }]);
  const out: Record<string, string[]> = {};
  for (const t of GOLD) out[t] = await tableSnapshot(wh, t);
  return out;
}

async function goldOf(warehouse: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of GOLD) out[t] = await tableSnapshot(new LocalWarehouse(warehouse), t);
  return out;
}

async function start(config: string): Promise<StrataProcess> {
  const p = await startStrata(config);
  running.push(p);
  return p;
}

async function stop(p: StrataProcess): Promise<void> {
  p.child.kill('SIGTERM');
  assert.equal(await p.exited(), 0, p.stderr().slice(-3000));
}

const count = (config: string, sql: string): number => Number(Object.values(query(config, sql)[0] ?? { n: -1 })[0]);

test('readings from `strata produce open-meteo` and from kcat (a foreign Avro producer) land in gold exactly once', { timeout: 150_000 }, async () => {
  const prefix = freshName('aq');
  const { file: config, warehouse } = await testConfig({ prefix });
  const topic = prefix + READINGS_TOPIC;
  const dir = await mkdtemp(join(tmpdir(), 'strata-kcat-'));
  const locFile = join(dir, 'locations.jsonl');
  await writeFile(locFile, ['hcmc', 'amsterdam', 'new_york'].map((id) => JSON.stringify(locations.find((l) => l.id === id))).join('\n'));

  const produced = await produce(config, ['open-meteo', '--locations', locFile, '--start-date', '2024-03-08', '--end-date', '2024-03-10', '--base-url', emu.url]);
  assert.deepEqual(produced, { topic, messages: 216, locations: 3 });

  // Beijing's hours as a foreign producer would send them: single-object Avro bytes, one file per message.
  const beijing = await fetchAll(['beijing'], '2024-03-08', '2024-03-10');
  const enc = new AvroEncoder(V1);
  const files: string[] = [];
  for (const [i, r] of beijing.entries()) {
    files.push(join(dir, `m${i}.avro`));
    await writeFile(files.at(-1)!, enc.encode(r));
  }
  await kcat(['-P', '-t', topic, '-k', 'beijing', '-X', 'acks=all', ...files]);

  const svc = await start(config);
  await waitFor('288 readings consumed', async () => ((await svc.metric('strata_topic_messages_total', /result="ok"/)) === 288 ? true : undefined), 90_000);
  await stop(svc);

  const all = [...(await fetchAll(['hcmc', 'amsterdam', 'new_york'], '2024-03-08', '2024-03-10')), ...beijing];
  assert.deepEqual(await goldOf(warehouse), await referenceGold(all), 'gold equals gold computed from the same readings');
  assert.equal(count(config, 'SELECT count(*) AS n FROM bronze.open_meteo_air_quality'), 288, 'each message once in bronze');
  assert.equal(count(config, 'SELECT count(DISTINCT (_kafka_partition, _kafka_offset)) AS n FROM bronze.open_meteo_air_quality'), 288);
  assert.equal(count(config, `SELECT count(*) AS n FROM bronze.open_meteo_air_quality WHERE _kafka_topic = '${topic}' AND _source = 'readings_kafka'`), 288, 'lineage');

  // Offsets were committed: a restart of the same group reads nothing again.
  const again = await start(config);
  await waitFor('the consumer to join', async () => ((await fetch(`${again.url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined), 60_000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await again.metric('strata_topic_messages_total'), 0, 'nothing re-consumed after a clean restart');
  await stop(again);
  assert.equal(count(config, 'SELECT count(*) AS n FROM bronze.open_meteo_air_quality'), 288);
});

test('SIGKILL mid-stream and restart: gold equals an uninterrupted run, bronze holds every message once', { timeout: 180_000 }, async () => {
  const prefix = freshName('kill');
  const { file: config, warehouse } = await testConfig({ prefix });
  const topic = prefix + READINGS_TOPIC;
  const ids = ['hcmc', 'hanoi', 'amsterdam', 'new_york', 'beijing', 'delhi'].filter((id) => locations.some((l) => l.id === id));
  const readings = await fetchAll(ids, '2024-03-08', '2024-03-11');
  const producer = kafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const enc = new AvroEncoder(V1);
  // Waves of one location-day, so the stream has many batches to die in the middle of.
  const waves: Reading[][] = [];
  for (let i = 0; i < readings.length; i += 24) waves.push(readings.slice(i, i + 24));
  const send = async (w: Reading[]): Promise<void> => {
    await producer.send({ topic, acks: -1, messages: readingMessages(enc, w).map((m) => ({ key: m.key, value: m.value })) });
  };
  try {
    await send(waves[0]!);
    const first = await start(config);
    let sent = 1;
    // Some waves are held back until after the kill (a batch may take every wave sent so far, as
    // it groups partitions), so the kill is always mid-stream.
    while ((await first.metric('strata_batches_total', /status="ok"/)) < 3 && sent < waves.length - 4) {
      await send(waves[sent++]!);
      await new Promise((r) => setTimeout(r, 120));
    }
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
    first.child.kill('SIGKILL');
    await first.exited();
    while (sent < waves.length) await send(waves[sent++]!);
  } finally {
    await producer.disconnect();
  }
  const bronzeBefore = count(config, 'SELECT count(*) AS n FROM bronze.open_meteo_air_quality');
  assert.ok(bronzeBefore < readings.length, `killed mid-stream (${bronzeBefore} of ${readings.length} in bronze)`);

  const second = await start(config);
  const n = readings.length;
  await waitFor('every reading in bronze and gold', () => (count(config, 'SELECT count(*) AS n FROM gold.aqi_hourly') >= n && count(config, 'SELECT count(*) AS n FROM bronze.open_meteo_air_quality') >= n ? true : undefined), 120_000, 1000);
  await waitFor('consumer lag 0', async () => ((await second.metric('strata_consumer_lag_messages')) === 0 ? true : undefined), 30_000);
  await stop(second);
  assert.equal(count(config, 'SELECT count(*) AS n FROM bronze.open_meteo_air_quality'), n, 'no message twice in bronze, none lost');
  assert.equal(count(config, 'SELECT count(*) AS n FROM (SELECT DISTINCT location_id, ts_utc FROM bronze.open_meteo_air_quality)'), n);
  assert.deepEqual(await goldOf(warehouse), await referenceGold(readings), 'gold after a crash equals gold of an uninterrupted run');
});

test('1,000 bad messages of every kind reach the dead-letter topic and table with reasons; the good ones land', { timeout: 150_000 }, async () => {
  const prefix = freshName('bad');
  const { file: config } = await testConfig({ prefix });
  const topic = prefix + READINGS_TOPIC;
  const good = await fetchAll(['hcmc', 'amsterdam'], '2024-03-08', '2024-03-09');
  const enc = new AvroEncoder(V1);
  const sample = enc.encode(good[0]!);
  const bad: { reason: string; value: Buffer | null }[] = [];
  const add = (n: number, reason: string, make: (i: number) => Buffer | null): void => {
    for (let i = 0; i < n; i++) bad.push({ reason, value: make(i) });
  };
  add(200, 'not_single_object_encoding', (i) => (i % 4 === 0 ? Buffer.from(JSON.stringify(good[0])) : Buffer.concat([Buffer.from([i % 200]), randomBytes(20 + (i % 300))])));
  add(100, 'avro_decode_error', (i) => sample.subarray(0, 10 + (i % (sample.length - 11)))); // truncated
  add(100, 'avro_decode_error', () => Buffer.concat([sample.subarray(0, 10), randomBytes(4), Buffer.alloc(40, 0xff)])); // garbage body
  add(150, 'schema_mismatch', (i) => new AvroEncoder(TAXI).encode({ source_file: `f${i}.parquet`, batch_index: i, batch_count: null, first_row: 0, trips: [] }));
  add(150, 'unknown_schema_version', () => new AvroEncoder(V2).encode({ ...good[1]!, data_quality: 'ok' }));
  add(100, 'oversized_message', () => Buffer.concat([sample, randomBytes(70_000)]));
  add(100, 'empty_message', (i) => (i % 2 ? null : Buffer.alloc(0)));
  add(100, 'invalid_value', (i) => enc.encode({ ...good[i % good.length]!, latitude: 123.4 + i }));
  assert.equal(bad.length, 1000);
  const want: Record<string, number> = {};
  for (const b of bad) want[b.reason] = (want[b.reason] ?? 0) + 1;

  // Good and bad interleaved on the same partitions.
  const messages = [...good.map((r) => ({ key: r.location_id, value: enc.encode(r) })), ...bad.map((b, i) => ({ key: `bad-${i % 7}`, value: b.value }))];
  messages.sort(() => Math.random() - 0.5);
  const producer = kafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 200) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 200) });
  await producer.disconnect();

  const svc = await start(config);
  await waitFor('every message consumed', async () => ((await svc.metric('strata_topic_messages_total')) === 1000 + good.length ? true : undefined), 90_000);
  assert.equal(await svc.metric('strata_topic_messages_total', /result="dead_letter"/), 1000);
  assert.ok((await svc.metric('strata_records_rejected_total', /operator="readings_kafka"/)) >= 1000, 'dead letters counted in strata_records_rejected_total');
  assert.equal((await fetch(`${svc.url}/readyz`)).status, 200, 'bad records do not make the service unready');
  await stop(svc);

  const table = query<{ reason: string; n: number }>(config, 'SELECT reason, count(*) AS n FROM bronze.dead_letters GROUP BY 1');
  assert.deepEqual(Object.fromEntries(table.map((r) => [r.reason, Number(r.n)])), want, 'dead-letter table by reason');
  const empties = query<{ n: number }>(config, `SELECT count(*) AS n FROM bronze.dead_letters WHERE reason = 'empty_message' AND payload_base64 = '' AND topic = '${topic}' AND "offset" IS NOT NULL`);
  assert.equal(Number(empties[0]!.n), 100);
  const json = query<{ p: string }>(config, `SELECT payload_base64 AS p FROM bronze.dead_letters WHERE error LIKE '%single-object marker%' AND payload_base64 LIKE 'ey%' LIMIT 1`);
  assert.equal(Buffer.from(json[0]!.p, 'base64').toString(), JSON.stringify(good[0]), 'original bytes kept');
  assert.equal(count(config, 'SELECT count(*) AS n FROM gold.aqi_hourly'), good.length, 'the good readings reach gold');

  const dlq = (await kcat(['-C', '-t', prefix + DLQ_TOPIC, '-o', 'beginning', '-e', '-q', '-J'], undefined))
    .toString()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { headers?: string[]; payload: string | null });
  assert.equal(dlq.length, 1000, 'dead-letter topic holds each bad message once');
  const byReason: Record<string, number> = {};
  for (const m of dlq) {
    const h = m.headers ?? [];
    const reason = h[h.indexOf('strata.reason') + 1]!;
    byReason[reason] = (byReason[reason] ?? 0) + 1;
    assert.ok(h.includes('strata.offset') && h.includes('strata.partition') && h.includes('strata.topic'));
  }
  assert.deepEqual(byReason, want, 'dead-letter topic by reason header');
});
