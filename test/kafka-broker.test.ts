// Talks to a real single-node Kafka broker started by the caller:
//   scripts/kafka/kafka.sh start    (then: scripts/kafka/kafka.sh stop)
// Broker address: STRATA_TEST_KAFKA_BROKERS (comma-separated), default 127.0.0.1:19092.
// A missing broker or a missing kcat is a test FAILURE, never a skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';

const BROKERS = process.env.STRATA_TEST_KAFKA_BROKERS ?? '127.0.0.1:19092';
const START_HINT =
  `Start the test broker with \`scripts/kafka/kafka.sh start\` ` +
  `(or point STRATA_TEST_KAFKA_BROKERS at a running broker).`;
const COUNT = 100;

interface ProcResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(cmd: string, args: string[], input?: string | Buffer, timeoutMs = 60_000): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => {}); // EPIPE if kcat dies early; reported via its exit code
    child.stdin.end(input ?? '');
  });
}

async function kcat(args: string[], input?: string | Buffer, timeoutMs?: number): Promise<Buffer> {
  const res = await run('kcat', ['-b', BROKERS, ...args], input, timeoutMs);
  if (res.code !== 0) {
    throw new Error(`kcat ${args.join(' ')} exited with ${res.code}: ${res.stderr.trim()}`);
  }
  return res.stdout;
}

let brokerCheck: Promise<void> | undefined;
/** Fails (with instructions) unless kcat exists and the broker serves metadata. */
function requireBroker(): Promise<void> {
  brokerCheck ??= (async () => {
    try {
      await run('kcat', ['-V'], undefined, 10_000);
    } catch (e) {
      throw new Error(
        `kcat is not installed (${(e as Error).message}). Run \`scripts/kafka/kafka.sh install\` ` +
          `(installs Debian's kcat) and then \`scripts/kafka/kafka.sh start\`.`,
      );
    }
    const res = await run('kcat', ['-b', BROKERS, '-L', '-J', '-m', '5'], undefined, 20_000);
    let brokers = 0;
    try {
      brokers = (JSON.parse(res.stdout.toString()) as { brokers?: unknown[] }).brokers?.length ?? 0;
    } catch {
      /* not JSON: kcat failed */
    }
    if (res.code !== 0 || brokers < 1) {
      const why = res.stderr.trim().split('\n').pop() || `kcat exit ${res.code}`;
      throw new Error(`No Kafka broker reachable at ${BROKERS}. ${START_HINT} (kcat -L said: ${why})`);
    }
  })();
  return brokerCheck;
}

function freshTopic(tag: string): string {
  return `strata-test-${tag}-${Date.now()}-${randomBytes(3).toString('hex')}`;
}

const keyOf = (i: number): string => `key-${String(i).padStart(3, '0')}`;
const valueOf = (i: number, via: string): string => `strata ${via} message #${i} ✓ ünïcödé ${'x'.repeat(i % 17)}`;

interface KcatRecord {
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
}

/** Reads every message currently in the topic (kcat -e stops at the end of all partitions). */
async function consumeAllWithKcat(topic: string): Promise<KcatRecord[]> {
  const out = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-J'], undefined, 60_000);
  return out
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as KcatRecord);
}

/** Exactly COUNT messages with the expected keys/values, and per-partition order kept. */
function assertExactMessages(records: KcatRecord[], via: string): void {
  assert.equal(records.length, COUNT, `expected exactly ${COUNT} messages, got ${records.length}`);
  const byKey = new Map(records.map((r) => [r.key, r]));
  assert.equal(byKey.size, COUNT, 'duplicate keys consumed');
  for (let i = 0; i < COUNT; i++) {
    const r = byKey.get(keyOf(i));
    assert.ok(r, `message ${keyOf(i)} missing`);
    assert.equal(r.payload, valueOf(i, via), `payload of ${keyOf(i)}`);
  }
  const partitions = new Map<number, KcatRecord[]>();
  for (const r of records) partitions.set(r.partition, [...(partitions.get(r.partition) ?? []), r]);
  for (const [p, rs] of partitions) {
    const idx = rs.sort((a, b) => a.offset - b.offset).map((r) => Number(r.key?.slice(4)));
    assert.deepEqual(idx, [...idx].sort((a, b) => a - b), `partition ${p} lost produce order`);
  }
}

function kafkaClient(): Kafka {
  return new Kafka({
    clientId: 'strata-kafka-broker-test',
    brokers: BROKERS.split(','),
    logLevel: process.env.STRATA_TEST_KAFKA_DEBUG ? logLevel.INFO : logLevel.NOTHING,
    retry: { retries: 8 },
  });
}

test('kcat: 100 messages produced to a fresh (auto-created) topic are consumed back exactly', { timeout: 120_000 }, async () => {
  await requireBroker();
  const topic = freshTopic('kcat');
  const input = Array.from({ length: COUNT }, (_, i) => `${keyOf(i)}\t${valueOf(i, 'kcat')}\n`).join('');
  await kcat(['-P', '-t', topic, '-K', '\t', '-X', 'acks=all'], input);

  const meta = JSON.parse((await kcat(['-L', '-J', '-t', topic])).toString()) as {
    topics: { topic: string; partitions: unknown[] }[];
  };
  assert.ok((meta.topics[0]?.partitions.length ?? 0) >= 1, `topic ${topic} was not auto-created`);
  assertExactMessages(await consumeAllWithKcat(topic), 'kcat');
});

test('kcat: an 8 MB message round-trips (message.max.bytes)', { timeout: 120_000 }, async () => {
  await requireBroker();
  const topic = freshTopic('big');
  const dir = await mkdtemp(join(tmpdir(), 'strata-kafka-'));
  try {
    const payload = randomBytes(8 * 1024 * 1024);
    const file = join(dir, 'payload.bin');
    await writeFile(file, payload);
    // One file = one message.
    await kcat(['-P', '-t', topic, '-p', '0', '-X', 'message.max.bytes=16000000', '-X', 'acks=all', file]);
    const out = await kcat(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-c', '1', '-e', '-q', '-f', '%s'], undefined, 60_000);
    assert.equal(out.length, payload.length, 'size of the consumed 8 MB message');
    assert.equal(createHash('sha256').update(out).digest('hex'), createHash('sha256').update(payload).digest('hex'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('kafkajs 2.2.4 → kcat: admin-created topic, 100 messages produced by kafkajs', { timeout: 120_000 }, async () => {
  await requireBroker();
  const kafka = kafkaClient();
  const topic = freshTopic('kafkajs-out');
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }), true);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: COUNT }, (_, i) => ({ key: keyOf(i), value: valueOf(i, 'kafkajs') })),
    });
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0), COUNT, 'ListOffsets total');
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  assertExactMessages(await consumeAllWithKcat(topic), 'kafkajs');
});

test('kcat → kafkajs 2.2.4: a consumer group reads and commits 100 messages', { timeout: 120_000 }, async () => {
  await requireBroker();
  const kafka = kafkaClient();
  const topic = freshTopic('kafkajs-in');
  const groupId = `${topic}-group`;
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const input = Array.from({ length: COUNT }, (_, i) => `${keyOf(i)}\t${valueOf(i, 'kcat')}\n`).join('');
    await kcat(['-P', '-t', topic, '-K', '\t', '-X', 'acks=all'], input);

    const received: KcatRecord[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`kafkajs consumer got ${received.length}/${COUNT} messages in 60 s`)),
        60_000,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            received.push({
              partition,
              offset: Number(message.offset),
              key: message.key?.toString('utf8') ?? null,
              payload: message.value?.toString('utf8') ?? null,
            });
            if (received.length >= COUNT) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect(); // commits the resolved offsets (OffsetCommit)
    assertExactMessages(received, 'kcat');

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] }); // OffsetFetch
    const total = committed[0]?.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    assert.equal(total, COUNT, 'committed offsets of the group');
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
});
