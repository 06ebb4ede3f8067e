/** Topics for the stream cases: synthetic Open-Meteo readings, kcat runs, clean-up of what a run created. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { AvroEncoder, loadSchemaFile } from '../../src/avro/codec.ts';
import { readingMessages } from '../../src/producers/open-meteo.ts';
import type { Reading } from '../../src/sources/open-meteo/types.ts';
import { ROOT } from './paths.ts';
import { runMeasured, spawnMeasured, type MeasuredResult } from './proc.ts';

export function kafkaClient(brokers: string): Kafka {
  return new Kafka({ clientId: 'strata-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** A fresh prefix: topics and consumer groups of one case (or run) never collide with another's. */
export function freshPrefix(tag: string): string {
  return `bench-${tag}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
}

export async function createTopic(brokers: string, topic: string, partitions: number): Promise<void> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the consumer groups and topics whose names start with `prefix` (what a case created). */
export async function deleteByPrefix(brokers: string, prefix: string): Promise<void> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Removes one consumer group, so the next `strata run` reads the topic from the start again. */
export async function deleteGroup(brokers: string, group: string): Promise<void> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const exists = (await admin.listGroups()).groups.some((g) => g.groupId === group);
    if (exists) await admin.deleteGroups([group]);
  } finally {
    await admin.disconnect();
  }
}

/** A deterministic synthetic reading: location `loc`, hour `h` after 2024-01-01 UTC. */
export function syntheticReading(loc: number, h: number): Reading {
  const wave = (k: number): number => Math.round((20 + 15 * Math.sin((h + loc * 7) / (5 + k))) * 10) / 10;
  return {
    location_id: `loc_${loc}`, location_name: `Location ${loc}`, latitude: -60 + (loc % 120), longitude: -170 + ((loc * 7) % 340), timezone: 'UTC',
    ts_utc: Date.UTC(2024, 0, 1) + h * 3_600_000, pm10: wave(1), pm2_5: wave(2), carbon_monoxide: 200 + wave(3), nitrogen_dioxide: wave(4),
    sulphur_dioxide: wave(5), ozone: 40 + wave(6), dust: null, uv_index: 2, us_aqi: null, european_aqi: null,
    units: '{"pm10":"μg/m³","pm2_5":"μg/m³","carbon_monoxide":"μg/m³","nitrogen_dioxide":"μg/m³","sulphur_dioxide":"μg/m³","ozone":"μg/m³"}',
    extra: '{}', source: 'bench', request_url: 'bench://synthetic', fetched_at: Date.UTC(2024, 6, 1),
  };
}

/** Encoded messages (key: location id) of `n` readings over `locations` locations, hour-major. */
export function readingBatch(n: number, locations: number, firstHour = 0): { key: string; value: Buffer }[] {
  const enc = new AvroEncoder(loadSchemaFile(join(ROOT, 'schemas/avro/open_meteo_reading.avsc')));
  const readings: Reading[] = [];
  for (let i = 0; i < n; i++) readings.push(syntheticReading(i % locations, firstHour + Math.floor(i / locations)));
  return readingMessages(enc, readings).map((m) => ({ key: String(m.key), value: m.value! }));
}

export async function connectProducer(brokers: string): Promise<Producer> {
  const p = kafkaClient(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  return p;
}

/** Publishes messages in sends of `chunk`, acks=all; resolves when all are acknowledged. */
export async function publish(brokers: string, topic: string, messages: { key: string; value: Buffer }[], chunk = 5000): Promise<{ seconds: number; bytes: number }> {
  const producer = await connectProducer(brokers);
  const t0 = performance.now();
  let bytes = 0;
  try {
    for (let i = 0; i < messages.length; i += chunk) {
      const part = messages.slice(i, i + chunk);
      await producer.send({ topic, acks: -1, messages: part });
      for (const m of part) bytes += m.value.length;
    }
  } finally {
    await producer.disconnect();
  }
  return { seconds: (performance.now() - t0) / 1000, bytes };
}

/** Message count and payload bytes of a topic, read once with kcat (not timed). */
export async function topicSize(brokers: string, topic: string): Promise<{ messages: number; bytes: number }> {
  const r = await runMeasured('kcat', ['-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%S\n'], { timeoutMs: 10 * 60_000 });
  const sizes = r.stdout.split('\n').filter(Boolean).map(Number);
  return { messages: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0) };
}

/** kcat consuming the whole topic to /dev/null: the broker's read limit for one consumer here. */
export async function kcatConsume(brokers: string, topic: string): Promise<MeasuredResult> {
  const r = await spawnMeasured('kcat', ['-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-e', '-q'], { discardStdout: true, timeoutMs: 30 * 60_000 }).done;
  if (r.code !== 0) throw new Error(`kcat exited with ${r.code ?? r.signal}: ${r.stderrTail.trim()}`);
  return r;
}

/** Separators of kcat's input (-K, -D, in its \xNN notation): byte runs no key or Avro value here contains (checked). */
const KEY_END = String.raw`\x1e\x1fstrata-key\x1f\x1e`;
const MESSAGE_END = String.raw`\x1e\x1fstrata-msg\x1f\x1e`;
const bytesOf = (escaped: string): Buffer => Buffer.from(escaped.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');

/** Messages as kcat -P reads them from stdin with KEY_END / MESSAGE_END: one buffer per message. */
export function kcatFrames(messages: readonly { key: string; value: Buffer }[]): Buffer[] {
  const k = bytesOf(KEY_END);
  const d = bytesOf(MESSAGE_END);
  return messages.map((m, i) => {
    const key = Buffer.from(m.key);
    if (key.includes(k) || key.includes(d) || m.value.includes(k) || m.value.includes(d)) throw new Error(`message ${i} contains kcat's separator bytes`);
    return Buffer.concat([key, k, m.value, d]);
  });
}

/**
 * A kcat producer (librdkafka, acks=all, Java's murmur2 partitioner) fed through its stdin: the load
 * generator of the latency case, so offering 20,000 records/s costs the shared cores little (kafkajs
 * in the harness took most of one). Each message's timestamp is set by librdkafka as kcat reads it.
 */
export function kcatProducer(brokers: string, topic: string): { write(frames: Buffer): Promise<void>; end(): Promise<void> } {
  const p = spawn('kcat', ['-P', '-q', '-b', brokers, '-t', topic, '-K', KEY_END, '-D', MESSAGE_END, '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'topic.partitioner=murmur2_random'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    p.on('error', reject);
    p.on('close', (code) => resolve(code));
  });
  const died = exited.then((code) => Promise.reject(new Error(`kcat -P exited with ${code} during the run: ${stderr.trim()}`)));
  died.catch(() => undefined);
  p.stdin.on('error', () => undefined); // a kcat that died: reported by write() and end()
  return {
    write: (frames) => (p.stdin.write(frames) ? Promise.resolve() : Promise.race([new Promise<void>((r) => p.stdin.once('drain', () => r())), died])),
    // EOF: kcat delivers what it holds (acks=all) and exits.
    async end() {
      p.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`kcat -P exited with ${code}: ${stderr.trim()}`);
    },
  };
}

/** (partition, offset) → message timestamp (ms) of every message in a topic, read with kcat. */
export async function messageTimes(brokers: string, topic: string): Promise<Map<string, number>> {
  const r = await runMeasured('kcat', ['-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %T\n'], { timeoutMs: 10 * 60_000 });
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const [p, o, t] = line.split(' ');
    if (t !== undefined) out.set(`${p}:${o}`, Number(t));
  }
  return out;
}
