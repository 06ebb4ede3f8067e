// The broker is down when `strata run` starts: it logs, retries with back-off, reports not-ready
// on /readyz, and resumes when the broker comes back. Uses a second broker instance of its own
// (scripts/kafka/kafka.sh with KAFKA_PORT / KAFKA_CONTROLLER_PORT), started and stopped here.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { AvroEncoder, loadSchemaFile } from '../src/avro/codec.ts';
import { readingMessages } from '../src/producers/open-meteo.ts';
import { OpenMeteoClient } from '../src/sources/open-meteo/client.ts';
import { startOpenMeteoEmulator } from '../src/sources/open-meteo/emulator.ts';
import { loadLocations } from '../src/sources/open-meteo/locations.ts';
import { freshName, kafkaClient, query, requireBroker, ROOT, run, startStrata, testConfig, waitFor, type StrataProcess } from './support/kafka.ts';

const PORT = 29092;
const CONTROLLER_PORT = 29093;
const BROKER = `127.0.0.1:${PORT}`;
const env = { ...process.env, KAFKA_PORT: String(PORT), KAFKA_CONTROLLER_PORT: String(CONTROLLER_PORT) };
const kafkaSh = (cmd: string): ReturnType<typeof run> => run('bash', [join(ROOT, 'scripts/kafka/kafka.sh'), cmd], { env, timeoutMs: 120_000 });
let svc: StrataProcess | undefined;

after(async () => {
  if (svc && svc.child.exitCode === null) svc.child.kill('SIGKILL');
  await kafkaSh('stop');
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
  const client = new OpenMeteoClient({ baseUrl: emu.url, retries: 1 });
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
