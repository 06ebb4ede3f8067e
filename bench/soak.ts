/**
 * Soak benchmark (issue 8, "Memory over time"): runs the real `strata run` service as a child process
 * against the real Kafka broker, streams Open-Meteo readings into its topic at a steady rate for
 * minutes, samples the service's memory every few seconds, and fails if memory drifts upwards.
 *
 *   npm run soak -- [--rate 500] [--minutes 10] [--warmup 2] [--interval 5] [--locations 100]
 *                   [--gc-every 30] [--max-heap-drift 1] [--max-rss-drift 2] [--brokers 127.0.0.1:19092]
 *                   [--out bench/soak] [--heap-snapshots DIR] [--keep]
 *
 * Readings are made the way the Open-Meteo source makes them: the emulator's deterministic series
 * (API shape, units as the API names them) parsed by the source's own `toReadings`, one Avro
 * single-object message per location-hour keyed by location id (`readingMessages`, as
 * `strata produce open-meteo` publishes). Time advances hour by hour across all locations, as a
 * live feed does, so the warehouse keeps growing new date partitions during the run.
 *
 * Memory, every --interval seconds: RSS from /proc/PID/status and the V8 heap from the service's
 * /metrics (prom-client default metrics, `strata_nodejs_heap_size_used_bytes`). Heap used between
 * GCs is a sawtooth whose slope over minutes says little (V8 lets it grow before a major GC), so
 * every --gc-every seconds the heap is also read right after a full GC: the service runs with
 * --inspect on a random loopback port, and the soak asks it for HeapProfiler.collectGarbage, then
 * process.memoryUsage(). That is what the process retains, which is what a leak grows. Forcing GCs
 * perturbs what is measured, hence not at every sample; --gc-every 0 never forces one (the heap
 * drift is then taken between GCs). Drift is the least-squares slope in MB/min after the warm-up.
 * Exit 1 when the heap drift exceeds --max-heap-drift, the RSS drift --max-rss-drift, or the
 * service dies; results go to <out>/results.json and <out>/RESULTS.md.
 *
 * Starts the broker with scripts/kafka/kafka.sh when none answers at --brokers (127.0.0.1:<port>,
 * controller on <port>+1), and stops only a broker it started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { WebSocket } from 'undici';
import { AvroEncoder, loadSchemaFile } from '../src/avro/codec.ts';
import { readingMessages } from '../src/producers/open-meteo.ts';
import { syntheticSeries, unitOf } from '../dev/open-meteo/emulator-data.ts';
import { loadLocations } from '../src/sources/open-meteo/locations.ts';
import { toReadings } from '../src/sources/open-meteo/parse.ts';
import { POLLUTANT_VARIABLES, type Location, type Reading } from '../src/sources/open-meteo/types.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MB = 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    minutes: { type: 'string', default: '10' },
    warmup: { type: 'string' },
    interval: { type: 'string', default: '5' },
    locations: { type: 'string', default: '100' },
    'max-heap-drift': { type: 'string', default: '1' },
    'max-rss-drift': { type: 'string', default: '2' },
    'gc-every': { type: 'string', default: '30' },
    drain: { type: 'string', default: '120' },
    brokers: { type: 'string', default: process.env.STRATA_KAFKA_BROKERS ?? '127.0.0.1:19092' },
    out: { type: 'string', default: join(ROOT, 'bench/soak') },
    'heap-snapshots': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const RATE = Number(args.rate);
const MINUTES = Number(args.minutes);
// Default warm-up: a fifth of the run, at most 2 minutes (JIT, DuckDB caches, first partitions).
const WARMUP_MIN = args.warmup !== undefined ? Number(args.warmup) : Math.min(2, MINUTES / 5);
const INTERVAL_S = Number(args.interval);
const LOCATIONS = Number(args.locations);
const MAX_HEAP_DRIFT = Number(args['max-heap-drift']);
const MAX_RSS_DRIFT = Number(args['max-rss-drift']);
const GC_EVERY_S = Number(args['gc-every']);
const PASSIVE = GC_EVERY_S === 0;
const DRAIN_S = Number(args.drain);
const OUT = resolve(args.out!);
for (const [k, v] of Object.entries({ rate: RATE, minutes: MINUTES, warmup: WARMUP_MIN, interval: INTERVAL_S, locations: LOCATIONS, 'max-heap-drift': MAX_HEAP_DRIFT, 'max-rss-drift': MAX_RSS_DRIFT, 'gc-every': GC_EVERY_S, drain: DRAIN_S })) {
  if (!Number.isFinite(v) || v < 0 || (['rate', 'minutes', 'interval', 'locations'].includes(k) && v === 0)) throw new Error(`--${k}: not a valid number`);
}
if (WARMUP_MIN >= MINUTES) throw new Error('--warmup must be shorter than --minutes');

const log = (msg: string): void => void process.stderr.write(`[soak] ${msg}\n`);

// ------------------------------------------------------------------ broker

const brokers = args.brokers!;
async function brokerUp(): Promise<boolean> {
  const admin = new Kafka({ clientId: 'strata-soak', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000 }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** kafka.sh for the local broker at `brokers` (its own run folder per port, so other brokers are not touched). */
function kafkaSh(cmd: 'start' | 'stop'): number | null {
  const port = Number(/^(?:127\.0\.0\.1|localhost):(\d+)$/.exec(brokers)?.[1]);
  if (!port) throw new Error(`no broker answers at ${brokers}, and scripts/kafka/kafka.sh only starts one on 127.0.0.1:<port>`);
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1) };
  return spawnSync('bash', [join(ROOT, 'scripts/kafka/kafka.sh'), cmd], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] }).status;
}
let startedBroker = false;
if (!(await brokerUp())) {
  log(`no broker answers at ${brokers}: starting one with scripts/kafka/kafka.sh start`);
  const status = kafkaSh('start');
  if (status !== 0) throw new Error(`scripts/kafka/kafka.sh start exited with ${status}`);
  startedBroker = true;
}

// ------------------------------------------------------------------ readings

/** Config locations first, then synthetic ones spread over the globe (UTC zones keep them valid anywhere). */
async function soakLocations(n: number): Promise<Location[]> {
  const real = await loadLocations(join(ROOT, 'config/locations.jsonl'));
  const out = real.slice(0, n);
  for (let i = out.length; i < n; i++) {
    out.push({ id: `soak_${i}`, name: `Soak ${i}`, latitude: Math.round((-55 + ((i * 37) % 125)) * 1e4) / 1e4, longitude: Math.round((-175 + ((i * 71) % 350)) * 1e4) / 1e4, timezone: 'UTC' });
  }
  return out;
}

const HOUR_MS = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const locations = await soakLocations(LOCATIONS);

/** One day of API-shaped responses (unixtime axis), parsed by the source's parser, in hour order across locations. */
function day(d: number): Reading[] {
  const start = T0 + d * 24 * HOUR_MS;
  const perLocation = locations.map((loc) => {
    const hourly: Record<string, unknown> = { time: Array.from({ length: 24 }, (_, h) => (start + h * HOUR_MS) / 1000) };
    const units: Record<string, string> = { time: 'unixtime' };
    for (const v of POLLUTANT_VARIABLES) {
      hourly[v] = syntheticSeries(v, loc.latitude, loc.longitude, start, 24);
      units[v] = unitOf(v) ?? '';
    }
    const requestUrl = `http://soak.invalid/v1/air-quality?latitude=${loc.latitude}&longitude=${loc.longitude}`;
    return toReadings({ utc_offset_seconds: 0, hourly_units: units, hourly }, loc, { source: 'soak', requestUrl, fetchedAt: start + 24 * HOUR_MS });
  });
  const out: Reading[] = [];
  for (let h = 0; h < 24; h++) for (const rs of perLocation) out.push(rs[h]!);
  return out;
}

// ------------------------------------------------------------------ service

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const prefix = `soak${Date.now().toString(36)}.`;
const topic = `${prefix}strata.open_meteo.readings`;
const kafka = new Kafka({ clientId: 'strata-soak', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8 } });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });

const dir = await mkdtemp(join(tmpdir(), 'strata-soak-'));
const configFile = join(dir, 'config.yaml');
await writeFile(configFile, `service: { name: soak, warehouse: ${JSON.stringify(join(dir, 'warehouse'))}, topologies: [${JSON.stringify(join(ROOT, 'topologies/air_quality.yaml'))}] }
kafka: { topic_prefix: ${JSON.stringify(prefix)} }
`);
const port = await freePort();
const metricsUrl = `http://127.0.0.1:${port}/metrics`;
const nodeFlags: string[] = PASSIVE ? [] : ['--inspect=127.0.0.1:0'];
if (args['heap-snapshots']) {
  await mkdir(resolve(args['heap-snapshots']), { recursive: true });
  nodeFlags.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${resolve(args['heap-snapshots'])}`);
}
const env: NodeJS.ProcessEnv = { ...process.env, STRATA_CONFIG: configFile, STRATA_KAFKA_BROKERS: brokers, STRATA_METRICS_HOST: '127.0.0.1', STRATA_METRICS_PORT: String(port), STRATA_LOG_FORMAT: 'json', STRATA_LOG_LEVEL: 'info' };
delete env.STRATA_WAREHOUSE;
const child: ChildProcess = spawn(process.execPath, [...nodeFlags, join(ROOT, 'bin/strata.mjs'), 'run'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
const pid = child.pid!;
let exited: number | null | undefined;
child.once('exit', (code) => (exited = code));

// The service's log: rows committed per batch, errors kept (the last few lines only: minutes of logs).
let committed = 0;
let batches = 0;
let joinedAt = 0;
let inspectorUrl: string | undefined;
const tail: string[] = [];
const errors: string[] = [];
let buf = '';
child.stderr!.on('data', (d: Buffer) => {
  buf += d.toString();
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    tail.push(line);
    if (tail.length > 40) tail.shift();
    inspectorUrl ??= /^Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { msg?: string; level?: number; rows?: number; time?: number; sink?: string };
    if (e.msg === 'kafka consumer joined its group' && !joinedAt) joinedAt = e.time ?? Date.now();
    if (e.msg === 'batch committed' && e.sink === undefined) {
      committed += e.rows ?? 0;
      batches++;
    }
    if ((e.level ?? 0) >= 50 && errors.length < 20) errors.push(line.slice(0, 500));
  }
});

async function metricsText(): Promise<string | undefined> {
  return fetch(metricsUrl, { signal: AbortSignal.timeout(3000) }).then((r) => (r.ok ? r.text() : undefined)).catch(() => undefined);
}
function metric(text: string | undefined, name: string): number | null {
  if (!text) return null;
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** A minimal Chrome DevTools Protocol client over the service's inspector socket. */
class Inspector {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const w = msg.id === undefined ? undefined : this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id!);
      if (msg.error) w.reject(new Error(msg.error.message));
      else w.resolve(msg.result);
    });
  }

  static open(url: string): Promise<Inspector> {
    return new Promise((res, rej) => {
      const ws = new WebSocket(url);
      ws.addEventListener('open', () => res(new Inspector(ws)), { once: true });
      ws.addEventListener('error', () => rej(new Error(`cannot open the inspector at ${url}`)), { once: true });
    });
  }

  call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      setTimeout(() => this.waiting.delete(id) && reject(new Error(`${method}: no answer in 30 s`)), 30_000).unref();
    });
  }

  /**
   * DuckDB's own accounting (duckdb_memory(), MB per tag, summed over the service's instances),
   * read over a fresh connection to each DuckDBInstance found on the heap. The handles live in an
   * object group released at once, so probing never keeps anything alive in the service.
   */
  async duckdbMemory(): Promise<Record<string, number> | undefined> {
    const group = { objectGroup: 'soak' };
    try {
      const proto = await this.call<{ result: { objectId?: string } }>('Runtime.evaluate', { expression: "require('@duckdb/node-api').DuckDBInstance.prototype", includeCommandLineAPI: true, ...group });
      if (!proto.result.objectId) return undefined;
      const found = await this.call<{ objects: { objectId: string } }>('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId, ...group });
      const r = await this.call<{ result: { value?: string } }>('Runtime.callFunctionOn', {
        objectId: found.objects.objectId, awaitPromise: true, returnByValue: true, ...group,
        functionDeclaration: `async function () {
          const out = {};
          for (const db of this) {
            const c = await db.connect();
            try {
              const rows = (await c.runAndReadAll('SELECT tag, memory_usage_bytes FROM duckdb_memory()')).getRowsJS();
              for (const [tag, bytes] of rows) out[tag] = (out[tag] ?? 0) + Number(bytes) / 1048576;
            } finally { c.closeSync(); }
          }
          return JSON.stringify(out);
        }`,
      });
      return r.result.value ? (JSON.parse(r.result.value) as Record<string, number>) : undefined;
    } finally {
      await this.call('Runtime.releaseObjectGroup', group).catch(() => {});
    }
  }

  /** process.memoryUsage() of the service right after a full, forced GC. */
  async memoryAfterGc(): Promise<NodeJS.MemoryUsage> {
    await this.call('HeapProfiler.collectGarbage');
    const r = await this.call<{ result: { value: string } }>('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    return JSON.parse(r.result.value) as NodeJS.MemoryUsage;
  }

  close(): void {
    this.ws.close();
  }
}

const t = Date.now();
while (!joinedAt) {
  if (exited !== undefined) throw new Error(`strata run exited with ${exited} before joining its group:\n${tail.join('\n')}`);
  if (Date.now() - t > 120_000) throw new Error(`strata run did not join its consumer group in 2 minutes:\n${tail.join('\n')}`);
  await new Promise((r) => setTimeout(r, 200));
}
const inspector = PASSIVE ? undefined : await Inspector.open(inspectorUrl ?? '');
log(`service pid ${pid} joined its group; streaming ${RATE} readings/s of ${LOCATIONS} locations for ${MINUTES} min (warm-up ${WARMUP_MIN} min) to ${topic}`);

// ------------------------------------------------------------------ sampling

interface Sample {
  t_s: number;
  rss_mb: number | null;
  hwm_mb: number | null;
  /** Right after a forced full GC (null between them); with --gc-every 0, as scraped. */
  heap_used_mb: number | null;
  heap_total_mb: number | null;
  external_mb: number | null;
  array_buffers_mb: number | null;
  /** strata_nodejs_heap_size_used_bytes as scraped, between GCs. */
  heap_used_scraped_mb: number | null;
  /** DuckDB's buffer-managed memory (duckdb_memory()), total and its external file cache; with the post-GC reads. */
  duckdb_mb: number | null;
  duckdb_file_cache_mb: number | null;
  produced: number;
  committed: number;
  lag: number | null;
}
const samples: Sample[] = [];
let produced = 0;
const startedAt = Date.now();

async function procStatus(): Promise<{ rss: number | null; hwm: number | null }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) / 1024 : null;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

let sampling = false;
let lastGc = 0;
let duckdbTags: Record<string, number> | undefined;
async function sample(): Promise<void> {
  if (sampling) return; // a slow GC or scrape must not stack samples
  sampling = true;
  try {
    const text = await metricsText();
    const mb = (name: string): number | null => {
      const v = metric(text, name);
      return v === null ? null : v / MB;
    };
    const scraped = mb('strata_nodejs_heap_size_used_bytes');
    const gcDue = inspector !== undefined && exited === undefined && Date.now() - lastGc >= GC_EVERY_S * 1000 - 500;
    const mem = gcDue ? await inspector.memoryAfterGc().catch(() => undefined) : undefined;
    const duck = gcDue ? await inspector.duckdbMemory().catch(() => undefined) : undefined;
    if (duck) duckdbTags = duck;
    if (gcDue) lastGc = Date.now();
    const p = await procStatus();
    samples.push({
      t_s: (Date.now() - startedAt) / 1000, rss_mb: p.rss, hwm_mb: p.hwm,
      heap_used_mb: mem ? mem.heapUsed / MB : PASSIVE ? scraped : null,
      heap_total_mb: mem ? mem.heapTotal / MB : PASSIVE ? mb('strata_nodejs_heap_size_total_bytes') : null,
      external_mb: mem ? mem.external / MB : PASSIVE ? mb('strata_nodejs_external_memory_bytes') : null,
      array_buffers_mb: mem ? mem.arrayBuffers / MB : null,
      heap_used_scraped_mb: scraped,
      duckdb_mb: duck ? Object.values(duck).reduce((a, b) => a + b, 0) : null,
      duckdb_file_cache_mb: duck ? (duck.EXTERNAL_FILE_CACHE ?? 0) : null,
      produced, committed, lag: metric(text, 'strata_consumer_lag_messages'),
    });
  } finally {
    sampling = false;
  }
}
// ------------------------------------------------------------------ producing at a steady rate

const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const encoder = new AvroEncoder(loadSchemaFile(join(ROOT, 'schemas/avro/open_meteo_reading.avsc')));
let pending: Reading[] = [];
let nextDay = 0;
let sendSeconds = 0;
const endAt = startedAt + MINUTES * 60_000;
const snapshotAt = startedAt + WARMUP_MIN * 60_000;
let snapshotted = 0;
const snapshot = (): void => {
  if (args['heap-snapshots'] && exited === undefined) {
    child.kill('SIGUSR2');
    snapshotted++;
  }
};

await sample();
const sampler = setInterval(() => void sample(), INTERVAL_S * 1000);
let behind = 0;
while (Date.now() < endAt && exited === undefined) {
  const due = Math.floor((RATE * (Date.now() - startedAt)) / 1000) - produced;
  if (snapshotted === 0 && Date.now() >= snapshotAt) snapshot();
  if (due <= 0) {
    await new Promise((r) => setTimeout(r, 50));
    continue;
  }
  // One send per tick; capped so a slow send does not turn into a burst of many seconds' worth.
  const n = Math.min(due, Math.max(1, Math.ceil(RATE / 2)));
  if (due > RATE) behind++;
  while (pending.length < n) pending = pending.concat(day(nextDay++));
  const batch = pending.slice(0, n);
  pending = pending.slice(n);
  const s0 = performance.now();
  await producer.send({ topic, acks: -1, messages: readingMessages(encoder, batch).map((m) => ({ key: m.key, value: m.value })) });
  sendSeconds += (performance.now() - s0) / 1000;
  produced += n;
}
const loadSeconds = (Date.now() - startedAt) / 1000;
clearInterval(sampler);
while (sampling) await new Promise((r) => setTimeout(r, 50));
lastGc = 0; // the last sample is a post-GC one too
await sample();
const committedAtEnd = committed;
if (args['heap-snapshots']) {
  snapshot();
  await new Promise((r) => setTimeout(r, 20_000)); // a snapshot of a few hundred MB takes seconds to write
}
await producer.disconnect();

// Drain: how long the service takes to catch up once the load stops (0 = it kept up).
const drainStart = Date.now();
while (committed < produced && exited === undefined && Date.now() - drainStart < DRAIN_S * 1000) await new Promise((r) => setTimeout(r, 250));
const drainSeconds = committed >= produced ? (Date.now() - drainStart) / 1000 : null;

const diedEarly = exited !== undefined;
inspector?.close();
if (!diedEarly) {
  child.kill('SIGTERM');
  await new Promise((r) => (exited !== undefined ? r(undefined) : child.once('exit', r)));
}
await admin.deleteTopics({ topics: [topic] }).catch(() => {});
await admin.disconnect();
if (!args.keep) await rm(dir, { recursive: true, force: true });
if (startedBroker) kafkaSh('stop');

// ------------------------------------------------------------------ analysis

/** Least-squares slope of y (MB) over t (s), in MB per minute, with its standard error. */
function slope(points: Array<[number, number]>): { slope: number; stderr: number } | null {
  const n = points.length;
  if (n < 3) return null;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  if (sxx === 0) return null;
  const b = sxy / sxx;
  const residuals = points.reduce((s, [x, y]) => s + (y - my - b * (x - mx)) ** 2, 0);
  return { slope: b * 60, stderr: Math.sqrt(residuals / (n - 2) / sxx) * 60 };
}
/** Mean of the y values (null when none). */
const meanOf = (pts: Array<[number, number]>): number | null => (pts.length ? pts.reduce((a, [, y]) => a + y, 0) / pts.length : null);
const steady = samples.filter((s) => s.t_s >= WARMUP_MIN * 60);
type Key = 'rss_mb' | 'heap_used_mb' | 'heap_total_mb' | 'external_mb' | 'heap_used_scraped_mb' | 'duckdb_mb' | 'duckdb_file_cache_mb';
const after = PASSIVE ? '' : ' after GC';
const KEYS: Array<[Key, string]> = [['rss_mb', 'RSS'], ['heap_used_mb', `V8 heap used${after}`], ['heap_total_mb', `V8 heap total${after}`], ['external_mb', `external (Arrow, Buffers)${after}`],
  ...(PASSIVE ? [] : [['heap_used_scraped_mb', 'V8 heap used, scraped (between GCs)'], ['duckdb_mb', 'DuckDB (duckdb_memory())'], ['duckdb_file_cache_mb', 'DuckDB external file cache']] as Array<[Key, string]>)];
const round = (v: number | null | undefined, d = 1): number | null => (v == null ? null : Math.round(v * 10 ** d) / 10 ** d);
const memory = Object.fromEntries(KEYS.map(([k]) => {
  const pts = steady.filter((s) => s[k] !== null).map((s) => [s.t_s, s[k] as number] as [number, number]);
  const all = samples.map((s) => s[k]).filter((v): v is number => v !== null);
  const fit = slope(pts);
  return [k, {
    start: round(meanOf(pts.filter(([x]) => x < pts[0]![0] + 60))), end: round(meanOf(pts.filter(([x]) => x > pts.at(-1)![0] - 60))), max: round(all.length ? Math.max(...all) : null),
    min_after_warmup: round(pts.length ? Math.min(...pts.map(([, y]) => y)) : null), samples: pts.length,
    drift_mb_per_min: round(fit?.slope, 3), drift_stderr: round(fit?.stderr, 3),
  }];
})) as Record<Key, { start: number | null; end: number | null; max: number | null; min_after_warmup: number | null; samples: number; drift_mb_per_min: number | null; drift_stderr: number | null }>;
const lags = samples.map((s) => s.lag).filter((v): v is number => v !== null);
const backlog = samples.map((s) => s.produced - s.committed);
const failures: string[] = [];
if (diedEarly) failures.push(`strata run exited with ${exited} during the run`);
for (const [k, max] of [['rss_mb', MAX_RSS_DRIFT], ['heap_used_mb', MAX_HEAP_DRIFT]] as const) {
  const d = memory[k].drift_mb_per_min;
  if (d === null) failures.push(`${k}: not enough samples after the warm-up`);
  else if (d > max) failures.push(`${k} drifts ${d} MB/min (> ${max})`);
}
const keptUp = drainSeconds !== null && drainSeconds <= Math.max(30, 3 * INTERVAL_S);
const result = {
  when: new Date(startedAt).toISOString(),
  command: `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { node: process.version, cpus: (await import('node:os')).cpus().length, loadavg_1m_at_end: round((await import('node:os')).loadavg()[0], 2) },
  parameters: { rate_target: RATE, minutes: MINUTES, warmup_minutes: WARMUP_MIN, interval_s: INTERVAL_S, gc_every_s: GC_EVERY_S, locations: LOCATIONS, max_heap_drift_mb_per_min: MAX_HEAP_DRIFT, max_rss_drift_mb_per_min: MAX_RSS_DRIFT, topic_partitions: 3, batch_rows: 5000 },
  throughput: {
    duration_s: round(loadSeconds), produced, rate_achieved: Math.round(produced / loadSeconds), producer_busy_s: round(sendSeconds), producer_behind_ticks: behind,
    committed_during_load: committedAtEnd, consumed_rate: Math.round(committedAtEnd / loadSeconds), batches,
    backlog_max: Math.max(...backlog), backlog_at_end: produced - committedAtEnd, consumer_lag_max: lags.length ? Math.max(...lags) : null,
    drain_s: round(drainSeconds), kept_up: keptUp, hours_of_data: Math.floor(produced / LOCATIONS),
  },
  memory,
  rss_high_water_mb: round(samples.at(-1)?.hwm_mb),
  duckdb_memory_at_end_mb: duckdbTags ? Object.fromEntries(Object.entries(duckdbTags).filter(([, v]) => v > 0).map(([k, v]) => [k, round(v, 2)])) : null,
  verdict: failures.length ? 'FAIL' : 'PASS',
  failures,
  service_errors: errors,
  samples: samples.map((s) => ({ ...s, t_s: round(s.t_s), rss_mb: round(s.rss_mb), hwm_mb: round(s.hwm_mb), heap_used_mb: round(s.heap_used_mb), heap_total_mb: round(s.heap_total_mb), external_mb: round(s.external_mb), array_buffers_mb: round(s.array_buffers_mb), heap_used_scraped_mb: round(s.heap_used_scraped_mb), duckdb_mb: round(s.duckdb_mb, 2), duckdb_file_cache_mb: round(s.duckdb_file_cache_mb, 2) })),
};

// ------------------------------------------------------------------ report

const fmt = (v: number | null | undefined, d = 1): string => (v == null ? '—' : v.toFixed(d));
const rows = KEYS.map(([k, label]) => [label, fmt(memory[k].start), fmt(memory[k].end), fmt(memory[k].max), `${fmt(memory[k].drift_mb_per_min, 2)} ± ${fmt(memory[k].drift_stderr, 2)}`]);
const table = (head: string[], body: string[][]): string => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const tp = result.throughput;
/** Per minute of the run: means of the samples in it (post-GC values only where one was taken), counts at its end. */
const byMinute = new Map<number, Sample[]>();
for (const s of samples) byMinute.set(Math.floor(s.t_s / 60), [...(byMinute.get(Math.floor(s.t_s / 60)) ?? []), s]);
const perMinute = [...byMinute].map(([minute, ss]) => {
  const mean = (k: Key): number | null => {
    const v = ss.map((s) => s[k]).filter((x): x is number => x !== null);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };
  const last = ss.at(-1)!;
  return [String(minute + 1), fmt(mean('rss_mb')), fmt(Math.max(...ss.map((s) => s.rss_mb ?? 0))), fmt(mean('heap_used_mb')), fmt(mean('heap_total_mb')), fmt(mean('external_mb')), fmt(mean('heap_used_scraped_mb')), fmt(mean('duckdb_mb')), String(last.produced), String(last.committed)];
});
const md = `# Soak: memory over time (\`npm run soak\`)

Run ${result.when} — \`${result.command}\` — Node ${process.version}, ${result.machine.cpus} CPUs (shared), load average ${result.machine.loadavg_1m_at_end} at the end.
\`strata run\` (air_quality topology) consumed Open-Meteo readings from Kafka (${LOCATIONS} locations, 3 partitions, one Avro message per location-hour).

**${result.verdict}**${failures.length ? `: ${failures.join('; ')}` : ` — after the ${WARMUP_MIN}-minute warm-up the V8 heap drifts less than ${MAX_HEAP_DRIFT} MB/min and RSS less than ${MAX_RSS_DRIFT} MB/min`}.

| throughput | |
|---|---|
| duration (load) | ${fmt(loadSeconds / 60, 1)} min |
| rate target / achieved | ${RATE} / ${tp.rate_achieved} messages/s |
| messages produced / committed to Gold during the load | ${tp.produced} / ${tp.committed_during_load} (${tp.consumed_rate} messages/s, ${tp.batches} batches) |
| backlog (produced − committed) max / at the end | ${tp.backlog_max} / ${tp.backlog_at_end} messages |
| consumer lag (strata_consumer_lag_messages) max | ${tp.consumer_lag_max ?? '—'} |
| drained after the load stopped in | ${tp.drain_s === null ? `not within ${DRAIN_S} s` : `${tp.drain_s} s`} (kept up: ${tp.kept_up ? 'yes' : 'no'}) |
| data streamed | ${tp.hours_of_data} hours of every location |

Memory in MB, sampled every ${INTERVAL_S} s${PASSIVE ? '' : `; "after GC": right after a full GC forced through the inspector every ${GC_EVERY_S} s`}. Start and end: means of the first and the last minute after the warm-up; drift: least-squares slope after the warm-up.

${table(['', 'start', 'end', 'max', 'drift MB/min (± std. error)'], rows)}

RSS high-water mark (VmHWM): ${fmt(result.rss_high_water_mb)} MB.${result.duckdb_memory_at_end_mb ? ` DuckDB memory by tag at the end (MB): ${Object.entries(result.duckdb_memory_at_end_mb).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}.` : ''}

Per minute (means of its samples; counts at its end):

${table(['minute', 'RSS mean', 'RSS max', `heap used${after}`, `heap total${after}`, `external${after}`, 'heap used, scraped', 'DuckDB', 'produced', 'committed'], perMinute)}
${errors.length ? `\nService errors (first ${errors.length}):\n\n\`\`\`\n${errors.join('\n')}\n\`\`\`\n` : ''}`;

await mkdir(OUT, { recursive: true });
await writeFile(join(OUT, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(join(OUT, 'RESULTS.md'), md);
process.stdout.write(`\n${table(['', 'start', 'end', 'max', 'drift MB/min (± std. error)'], rows)}\n\n`);
process.stdout.write(`rate ${tp.rate_achieved}/s (target ${RATE}) for ${fmt(loadSeconds / 60, 1)} min; consumed ${tp.consumed_rate}/s; backlog max ${tp.backlog_max}, drained in ${tp.drain_s ?? `>${DRAIN_S}`} s\n`);
process.stdout.write(`${result.verdict}${failures.length ? `: ${failures.join('; ')}` : ''} — ${relative(process.cwd(), join(OUT, 'RESULTS.md'))}\n`);
if (args.keep) log(`kept ${dir}`);
process.exit(failures.length ? 1 : 0);
