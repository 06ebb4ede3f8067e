// The broker is down when `strata run` starts, or goes down in the middle of a stream: the service
// logs, retries with back-off, reports not-ready on /readyz, and resumes when the broker comes back,
// losing and doubling nothing. Uses a second broker instance of its own (scripts/kafka/kafka.sh with
// KAFKA_PORT / KAFKA_CONTROLLER_PORT, and KAFKA_DATA_DIR to keep its data across a restart).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { AvroEncoder, loadSchemaFile } from '../src/avro/codec.ts';
import { openDuckDB } from '../src/duckdb/instance.ts';
import { readingMessages } from '../src/producers/open-meteo.ts';
import { OpenMeteoClient } from '../src/sources/open-meteo/client.ts';
import { openMeteoSettings } from '../src/sources/open-meteo/settings.ts';
import { startOpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { loadLocations } from '../src/sources/open-meteo/locations.ts';
import { generateTaxiMonth } from '../dev/tlc/generate.ts';
import { LocalWarehouse } from '../src/warehouse/local/local.ts';
import { freshName, kafkaClient, produce, query, requireBroker, ROOT, run, startStrata, testConfig, waitFor, type StrataProcess } from './support/kafka.ts';
import { count, tempWarehouse } from './support/pipeline-harness.ts';
import { runTaxi } from './support/taxi-harness.ts';

const PORT = 29092;
const CONTROLLER_PORT = 29093;
const BROKER = `127.0.0.1:${PORT}`;
const env = { ...process.env, KAFKA_PORT: String(PORT), KAFKA_CONTROLLER_PORT: String(CONTROLLER_PORT) };
const kafkaSh = (cmd: string, extra: NodeJS.ProcessEnv = {}): ReturnType<typeof run> => run('bash', [join(ROOT, 'scripts/kafka/kafka.sh'), cmd], { env: { ...env, ...extra }, timeoutMs: 120_000 });
let svc: StrataProcess | undefined;
const scratch: string[] = [];

after(async () => {
  if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
  await kafkaSh('stop');
  for (const d of scratch) await rm(d, { recursive: true, force: true });
});

interface Ready {
  status: number;
  checks: { name: string; ok: boolean; detail: string }[];
}

async function readyz(url: string): Promise<Ready | undefined> {
  const r = await fetch(`${url}/readyz`).catch(() => undefined);
  if (!r) return undefined;
  return { ...((await r.json()) as { checks: Ready["checks"] }), status: r.status };
}

test('a broker that is down at start: not ready with the reason, retried with back-off, resumes when it is back', { timeout: 180_000 }, async () => {
  await requireBroker(); // kcat and the tooling of scripts/kafka/kafka.sh are there
  await kafkaSh('stop'); // a leftover of an earlier run
  const prefix = freshName('down');
  const { file: config } = await testConfig({ prefix });
  svc = await startStrata(config, BROKER);

  const down = await waitFor('/readyz to report the unreachable broker', async () => {
    const r = await readyz(svc!.url);
    const src = r?.checks.find((c) => c.name === 'source:air_quality.readings_kafka');
    return r?.status === 503 && src && !src.ok && /cannot reach Kafka/.test(src.detail) ? src : undefined;
  }, 60_000);
  assert.match(down.detail, new RegExp(BROKER));
  await waitFor('a second attempt', () => ((svc!.stderr().match(/kafka consumer could not start; retrying/g)?.length ?? 0) >= 2 ? true : undefined), 60_000);
  const attempts = [...svc.stderr().matchAll(/"retry_in_ms":(\d+)/g)].map((m) => Number(m[1]));
  assert.ok(attempts[1]! > attempts[0]!, `back-off grows: ${attempts.join(', ')}`);
  assert.doesNotMatch(svc.stderr(), /"level":50/, 'an unreachable broker is not an error that stops anything');

  const started = await kafkaSh('start');
  assert.equal(started.code, 0, started.stderr);
  const emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  const client = new OpenMeteoClient(openMeteoSettings({ base_url: emu.url, retries: 1 }));
  const loc = (await loadLocations(join(ROOT, 'config/locations.jsonl')))[0]!;
  const readings = await client.fetchRange(loc, '2024-03-08', '2024-03-09');
  await client.close();
  await emu.close();
  const producer = kafkaClient(BROKER).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const enc = new AvroEncoder(loadSchemaFile(join(ROOT, 'schemas/avro/open_meteo_reading.avsc')));
  await producer.send({ topic: `${prefix}strata.open_meteo.readings`, acks: -1, messages: readingMessages(enc, readings).map((m) => ({ key: m.key, value: m.value })) });
  await producer.disconnect();

  await waitFor('the readings to be consumed', async () => ((await svc!.metric('strata_topic_messages_total', /result="ok"/)) === readings.length ? true : undefined), 90_000);
  const ready = await waitFor('/readyz 200', async () => {
    const r = await readyz(svc!.url);
    return r?.status === 200 ? r : undefined;
  }, 30_000);
  assert.ok(ready.checks.every((c) => c.ok));
  svc.child.kill('SIGTERM');
  assert.equal(await svc.exited(), 0, svc.stderr().slice(-2000));
  const n = query<{ n: number }>(config, 'SELECT count(*) AS n FROM gold.aqi_hourly');
  assert.equal(Number(n[0]?.n), readings.length);
});

// ---------------------------------------------------------------------------------------------
// The broker goes away in the middle of a stream and comes back 30 s later, with its data.

const OUTAGE_MS = 30_000;

test('a broker that stops mid-stream for 30 s: the service stays up, is not ready meanwhile, retries with back-off, resumes; nothing lost or doubled', { timeout: 360_000 }, async () => {
  await requireBroker();
  await kafkaSh('stop');
  // KAFKA_DATA_DIR keeps the broker's logs (topics, committed offsets and in-flight markers) across
  // stop/start, as a real broker restart does; without it kafka.sh starts on fresh storage.
  const keep = { KAFKA_DATA_DIR: await mkdtemp(join(tmpdir(), 'strata-kafka-data-')) };
  scratch.push(keep.KAFKA_DATA_DIR);
  const up = await kafkaSh('start', keep);
  assert.equal(up.code, 0, up.stderr);

  // Two generated TLC months: the first is produced before the outage, the second after it.
  const dir = await mkdtemp(join(tmpdir(), 'strata-outage-'));
  scratch.push(dir);
  const files = [join(dir, 'yellow_tripdata_2024-02.parquet'), join(dir, 'yellow_tripdata_2024-03.parquet')];
  const rows = [100_000, 20_000];
  const db = await openDuckDB();
  const conn = await db.connect();
  await generateTaxiMonth(conn, { month: '2024-02', rows: rows[0]!, out: files[0]! });
  await generateTaxiMonth(conn, { month: '2024-03', rows: rows[1]!, out: files[1]! });
  conn.closeSync();
  db.closeSync();

  const prefix = freshName('outage');
  const topic = `${prefix}strata.tlc.trips`;
  const { file: config, warehouse } = await testConfig({ prefix, topologies: [join(ROOT, 'topologies/taxi.yaml')] });
  svc = await startStrata(config, BROKER);
  const s = svc;
  const source = (r: Ready | undefined): Ready['checks'][number] | undefined => r?.checks.find((c) => c.name === 'source:taxi.trips_kafka');
  await waitFor('the consumer to join its group', async () => (source(await readyz(s.url))?.ok ? true : undefined), 90_000);

  const first = await produce(config, ['taxi', '--file', files[0]!, '--batch-rows', '2000'], BROKER);
  assert.equal(first.messages, 50);
  // Stop the broker while the first month is being consumed: after its first commit, well before its last.
  await waitFor('a first committed range', async () => ((await s.metric('strata_consumer_commits_total', /result="ok"/)) >= 1 ? true : undefined), 90_000, 100);
  const atStop = await s.metric('strata_topic_messages_total', /result="ok"/);
  assert.ok(atStop < 50, `the broker stops mid-stream (${atStop} of 50 messages consumed)`);
  const down = await kafkaSh('stop');
  assert.equal(down.code, 0, down.stderr);
  const t0 = Date.now();
  const logAtStop = s.stderr().length;

  // The outage: the process stays up; /readyz turns 503 naming Kafka and stays so until the broker is back.
  const samples: { at: number; status?: number; detail?: string }[] = [];
  while (Date.now() - t0 < OUTAGE_MS) {
    assert.equal(s.child.exitCode, null, `the service exited during the outage: ${s.stderr().slice(-3000)}`);
    const r = await readyz(s.url);
    samples.push({ at: Date.now() - t0, status: r?.status, detail: source(r)?.detail });
    await new Promise((res) => setTimeout(res, 1000));
  }
  const trace = samples.map((x) => `${x.at} ms: ${x.status} ${x.detail}`).join('\n');
  const firstDown = samples.findIndex((x) => x.status === 503);
  assert.ok(firstDown >= 0 && samples[firstDown]!.at < 10_000, `not ready within 10 s of the outage:\n${trace}`);
  for (const x of samples.slice(firstDown)) {
    assert.equal(x.status, 503, `ready while the broker is down:\n${trace}`);
    assert.match(x.detail ?? '', /kafka/i, `the reason names Kafka:\n${trace}`);
  }
  assert.match(samples.at(-1)!.detail!, new RegExp(BROKER), 'the reason names the broker');

  const back = await kafkaSh('start', keep);
  assert.equal(back.code, 0, back.stderr);
  await waitFor('/readyz 200 once the broker is back', async () => ((await readyz(s.url))?.status === 200 ? true : undefined), 120_000, 500);
  // Meanwhile retried with a growing delay (kafkajs alone restarts a crashed consumer every 300 ms).
  const outageLog = s.stderr().slice(logAtStop);
  const delays = [...outageLog.matchAll(/"retry_in_ms":(\d+),"msg":"kafka consumer crashed; restarting after back-off"/g)].map((m) => Number(m[1]));
  assert.ok(delays.length >= 2 && delays[1]! > delays[0]!, `restarts with back-off: ${delays.join(', ')}`);
  assert.doesNotMatch(outageLog, /"level":50/, 'an outage is not an error');
  const second = await produce(config, ['taxi', '--file', files[1]!, '--batch-rows', '2000'], BROKER);
  assert.equal(second.messages, 10);

  // Everything is consumed: the group's committed offsets reach the end of every partition.
  const admin = kafkaClient(BROKER).admin();
  await admin.connect();
  try {
    await waitFor('the group to commit up to the end of the topic', async () => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: `${prefix}strata-taxi-trips_kafka`, topics: [topic] });
      const at = new Map(committed!.partitions.map((p) => [p.partition, p.offset]));
      return ends.every((e) => at.get(e.partition) === e.offset) ? true : undefined;
    }, 180_000, 1000);
  } finally {
    await admin.disconnect();
  }
  assert.ok((await s.metric('strata_consumer_rebalances_total')) >= 2, 'rejoined its group after the outage');
  assert.equal(await s.metric('strata_topic_messages_total', /result="ok"/), 60, 'each message counted once');
  s.child.kill('SIGTERM');
  assert.equal(await s.exited(), 0, s.stderr().slice(-3000));

  // No loss, no duplicate: Bronze holds every produced trip once; Silver (keys and values), the
  // rejects and Gold equal the same files run through the taxi topology's file source without any outage.
  const wh = new LocalWarehouse(warehouse);
  const trips = rows[0]! + rows[1]!;
  assert.equal(await count(wh, 'SELECT count(*) FROM bronze.taxi_trips'), trips, 'bronze: every produced trip, once');
  assert.equal(await count(wh, 'SELECT count(DISTINCT (_source_file, _row_number)) FROM bronze.taxi_trips'), trips);
  const ref = await tempWarehouse('strata-outage-ref-');
  const r = await runTaxi(ref, { files });
  assert.equal(r.status.failedBatches, 0, r.status.lastError);
  const silver = await count(wh, 'SELECT count(*) FROM silver.taxi_trips');
  const rejected = await count(wh, 'SELECT count(*) FROM silver.taxi_trips_rejected');
  assert.equal(silver, await count(wh, 'SELECT count(DISTINCT trip_key) FROM silver.taxi_trips'), 'no trip twice in silver');
  assert.equal(silver + rejected, trips, 'every trip kept or rejected');
  const lineage = ['_batch_index', '_batch_id', '_ingested_at', '_kafka_topic', '_kafka_partition', '_kafka_offset', '_batch_count', '_first_row'];
  const diff = await differences(wh, ref, ['silver.taxi_trips', 'silver.taxi_trips_rejected', 'gold.taxi_daily_zone', 'gold.taxi_hourly_demand'], lineage);
  const same = { 'silver.taxi_trips': '0/0', 'silver.taxi_trips_rejected': '0/0', 'gold.taxi_daily_zone': '0/0', 'gold.taxi_hourly_demand': '0/0' };
  assert.deepEqual(diff, same, 'rows only in the outage run / only in the reference');
});

/**
 * Per table, 'x/y': x rows only in warehouse a, y only in b (a multiset difference; lineage columns
 * left out, doubles to 9 decimals since a mean's last bits depend on the order DuckDB adds in).
 */
async function differences(a: LocalWarehouse, b: LocalWarehouse, tables: string[], exclude: string[]): Promise<Record<string, string>> {
  const db = await openDuckDB();
  const conn = await db.connect();
  try {
    const out: Record<string, string> = {};
    const cols: Record<string, string> = {};
    await a.attach(conn);
    for (const [i, t] of tables.entries()) {
      const desc = (await conn.runAndReadAll(`DESCRIBE ${t}`)).getRowsJS().map((r) => [String(r[0]), String(r[1])] as const);
      cols[t] = desc.filter(([n]) => !exclude.includes(n)).map(([n, type]) => (type === 'DOUBLE' ? `round("${n}", 9) AS "${n}"` : `"${n}"`)).join(', ');
      await conn.run(`CREATE TEMP TABLE a${i} AS SELECT ${cols[t]} FROM ${t}`);
    }
    await b.attach(conn);
    for (const [i, t] of tables.entries()) {
      const n = async (sql: string): Promise<number> => Number((await conn.runAndReadAll(`SELECT count(*) FROM (${sql})`)).getRowsJS()[0]![0]);
      const onlyA = await n(`SELECT * FROM a${i} EXCEPT ALL SELECT ${cols[t]} FROM ${t}`);
      const onlyB = await n(`SELECT ${cols[t]} FROM ${t} EXCEPT ALL SELECT * FROM a${i}`);
      out[t] = `${onlyA}/${onlyB}`;
    }
    return out;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
