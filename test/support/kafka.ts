// Helpers for tests against the real Kafka broker (scripts/kafka/kafka.sh start; `npm test` starts it).
// A missing broker or kcat is a FAILURE with instructions, never a skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './net.ts';

export { freePort };

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin/strata.mjs');
export const BROKERS = process.env.STRATA_TEST_KAFKA_BROKERS ?? '127.0.0.1:19092';
const HINT = 'Start the test broker with `scripts/kafka/kafka.sh start` (npm test does), or point STRATA_TEST_KAFKA_BROKERS at a running broker.';

export interface ProcResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout: Buffer.concat(out), stderr: err })));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

export async function kcat(args: string[], input?: string | Buffer, brokers = BROKERS): Promise<Buffer> {
  const r = await run('kcat', ['-b', brokers, ...args], { input });
  if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} exited with ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

let checked: Promise<void> | undefined;
export function requireBroker(): Promise<void> {
  checked ??= (async () => {
    const v = await run('kcat', ['-V'], { timeoutMs: 10_000 }).catch(() => undefined);
    if (!v || v.code !== 0) throw new Error(`kcat is not installed (apt-get install kcat). ${HINT}`);
    const r = await run('kcat', ['-b', BROKERS, '-L', '-J', '-m', '5'], { timeoutMs: 20_000 });
    let brokers = 0;
    try {
      brokers = (JSON.parse(r.stdout.toString()) as { brokers?: unknown[] }).brokers?.length ?? 0;
    } catch {
      /* not JSON */
    }
    if (r.code !== 0 || brokers < 1) throw new Error(`No Kafka broker reachable at ${BROKERS}. ${HINT} (kcat: ${r.stderr.trim().split('\n').pop()})`);
  })();
  return checked;
}

export function freshName(tag: string): string {
  return `t${Date.now().toString(36)}${randomBytes(2).toString('hex')}-${tag}.`;
}

export function kafkaClient(brokers = BROKERS): Kafka {
  return new Kafka({ clientId: 'strata-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8 } });
}


export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 60_000, every = 300): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export interface StrataProcess {
  child: ChildProcess;
  env: NodeJS.ProcessEnv;
  url: string;
  config: string;
  stderr: () => string;
  /** A counter's value on /metrics (sum over the series matching `match`), or 0. */
  metric(name: string, match?: RegExp): Promise<number>;
  exited(): Promise<number | null>;
}

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

/** A service config for one test: its own warehouse, topic prefix, and the given topologies. */
export async function testConfig(opts: { prefix: string; topologies?: string[]; warehouse?: string }): Promise<{ file: string; warehouse: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-kafka-'));
  const warehouse = opts.warehouse ?? join(dir, 'warehouse');
  const topologies = opts.topologies ?? [join(ROOT, 'topologies/air_quality.yaml')];
  const file = join(dir, 'config.yaml');
  await writeFile(file, `service: { name: test, warehouse: ${JSON.stringify(warehouse)}, topologies: ${JSON.stringify(topologies)}, shutdown_timeout_ms: 20000 }
kafka: { topic_prefix: ${JSON.stringify(opts.prefix)}, session_timeout_ms: 6000, max_backoff_ms: 2000 }
`);
  return { file, warehouse };
}

export async function startStrata(config: string, brokers = BROKERS, extraEnv: NodeJS.ProcessEnv = {}): Promise<StrataProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, STRATA_CONFIG: config, STRATA_KAFKA_BROKERS: brokers, STRATA_METRICS_PORT: String(port), STRATA_LOG_FORMAT: 'json', ...extraEnv };
  delete env.STRATA_WAREHOUSE;
  const child = spawn(process.execPath, [BIN, 'run'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    env,
    url,
    config,
    stderr: () => err,
    metric: async (name, match) => {
      const text = await fetch(`${url}/metrics`).then((r) => r.text()).catch(() => '');
      let sum = 0;
      for (const line of text.split('\n')) if (line.startsWith(name) && (!match || match.test(line))) sum += Number(line.split(' ').pop());
      return sum;
    },
    exited: () => (child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)))),
  };
}

/** `strata query --format json` with the test's config. */
export function query<T = Record<string, unknown>>(config: string, sql: string): T[] {
  const r = spawnSync(process.execPath, [BIN, 'query', '--format', 'json', sql], { cwd: ROOT, env: { ...process.env, STRATA_CONFIG: config, STRATA_WAREHOUSE: '' }, encoding: 'utf8' });
  if (r.status !== 0) return [];
  return JSON.parse(r.stdout) as T[];
}

/** `strata produce …` with the test's config; resolves to its JSON summary. */
export async function produce(config: string, args: string[], brokers = BROKERS): Promise<Record<string, unknown>> {
  const r = await run(process.execPath, [BIN, 'produce', ...args], { env: { ...process.env, STRATA_CONFIG: config, STRATA_KAFKA_BROKERS: brokers }, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`strata produce ${args.join(' ')} exited with ${r.code}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.toString().trim().split('\n').pop()!) as Record<string, unknown>;
}
