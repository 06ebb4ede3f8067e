/**
 * Kafka → Gold throughput of the air_quality topology: publishes N synthetic Open-Meteo readings
 * (Avro, keyed by location) to a fresh topic, then runs `strata run` against it and measures from
 * the consumer joining its group to the last reading committed in Gold.
 *
 *   node --import tsx bench/kafka-stream.ts [--readings 100000] [--locations 100] [--brokers 127.0.0.1:19092]
 *
 * Needs a broker (scripts/kafka/kafka.sh start). Prints one JSON line with messages/s.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { AvroEncoder, loadSchemaFile } from '../src/avro/codec.ts';
import { readingMessages } from '../src/producers/open-meteo.ts';
import type { Reading } from '../src/sources/open-meteo/types.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { readings: { type: 'string', default: '100000' }, locations: { type: 'string', default: '100' }, brokers: { type: 'string', default: process.env.STRATA_KAFKA_BROKERS ?? '127.0.0.1:19092' } } });
const N = Number(values.readings);
const L = Number(values.locations);
const hours = Math.ceil(N / L);
const prefix = `bench${Date.now().toString(36)}.`;
const topic = `${prefix}strata.open_meteo.readings`;

function reading(loc: number, h: number): Reading {
  const wave = (k: number): number => Math.round((20 + 15 * Math.sin((h + loc * 7) / (5 + k))) * 10) / 10;
  return {
    location_id: `loc_${loc}`, location_name: `Location ${loc}`, latitude: -60 + (loc % 120), longitude: -170 + ((loc * 7) % 340), timezone: 'UTC',
    ts_utc: Date.UTC(2024, 0, 1) + h * 3_600_000, pm10: wave(1), pm2_5: wave(2), carbon_monoxide: 200 + wave(3), nitrogen_dioxide: wave(4),
    sulphur_dioxide: wave(5), ozone: 40 + wave(6), dust: null, uv_index: 2, us_aqi: null, european_aqi: null,
    units: '{"pm10":"μg/m³","pm2_5":"μg/m³","carbon_monoxide":"μg/m³","nitrogen_dioxide":"μg/m³","sulphur_dioxide":"μg/m³","ozone":"μg/m³"}',
    extra: '{}', source: 'bench', request_url: 'bench://synthetic', fetched_at: Date.UTC(2024, 6, 1),
  };
}

const kafka = new Kafka({ clientId: 'strata-bench', brokers: values.brokers!.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
await admin.disconnect();
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const enc = new AvroEncoder(loadSchemaFile(join(ROOT, 'schemas/avro/open_meteo_reading.avsc')));
const p0 = performance.now();
let sent = 0;
for (let loc = 0; loc < L && sent < N; loc++) {
  const batch: Reading[] = [];
  for (let h = 0; h < hours && sent + batch.length < N; h++) batch.push(reading(loc, h));
  await producer.send({ topic, acks: -1, messages: readingMessages(enc, batch).map((m) => ({ key: m.key, value: m.value })) });
  sent += batch.length;
}
await producer.disconnect();
const produceS = (performance.now() - p0) / 1000;

const dir = await mkdtemp(join(tmpdir(), 'strata-bench-'));
const config = join(dir, 'config.yaml');
await writeFile(config, `service: { name: bench, warehouse: ${JSON.stringify(join(dir, 'warehouse'))}, topologies: [${JSON.stringify(join(ROOT, 'topologies/air_quality.yaml'))}] }\nmetrics: { enabled: false }\nkafka: { topic_prefix: ${JSON.stringify(prefix)} }\n`);
const child = spawn(process.execPath, [join(ROOT, 'bin/strata.mjs'), 'run'], { env: { ...process.env, STRATA_CONFIG: config, STRATA_KAFKA_BROKERS: values.brokers, STRATA_LOG_FORMAT: 'json' }, stdio: ['ignore', 'ignore', 'pipe'] });
let joined = 0;
let done = 0;
let rows = 0;
let batches = 0;
let buf = '';
await new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`timed out with ${rows}/${N} readings committed`)), 30 * 60_000);
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as { msg?: string; time: number; rows?: number };
      if (e.msg === 'kafka consumer joined its group' && !joined) joined = e.time;
      if (e.msg === 'batch committed') {
        rows += e.rows ?? 0;
        batches++;
        if (rows >= N) {
          done = e.time;
          clearTimeout(timer);
          resolve();
        }
      }
    }
  });
  child.once('exit', (code) => reject(new Error(`strata run exited with ${code}`)));
});
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await rm(dir, { recursive: true, force: true });
const seconds = (done - joined) / 1000;
process.stdout.write(`${JSON.stringify({ readings: N, locations: L, batches, produce_seconds: Number(produceS.toFixed(2)), produce_msgs_per_s: Math.round(N / produceS), consume_to_gold_seconds: seconds, consume_to_gold_msgs_per_s: Math.round(N / seconds) })}\n`);
