// Observability end to end, with real parts: two `strata run` processes (the embedded default,
// polling the Open-Meteo emulator with injected HTTP 500s; and one consuming the real Kafka test
// broker fed by `strata produce` plus a few malformed messages), a `strata backfill` in a third
// process writing the first one's run history, and a real Prometheus (Debian's package, started by
// scripts/prometheus/prometheus.sh) scraping both every second. Then every PromQL query of every
// Grafana dashboard runs against Prometheus's HTTP API and must be valid and return series; the
// dashboards' structure is checked; `promtool check metrics` passes on live scrapes. The report
// lists each panel with the number of series its query returned and how its data was produced.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { parse } from 'yaml';
import { DASHBOARDS, DATASOURCE, renderDashboards } from '../scripts/grafana/dashboards.ts';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { BIN, BROKERS, freePort, freshName, kafkaClient, produce, requireBroker, ROOT, run, testConfig, waitFor } from './support/kafka.ts';

const PROMETHEUS_SH = join(ROOT, 'scripts/prometheus/prometheus.sh');
/** Template variables → values for a query sent to Prometheus (what Grafana would substitute). */
const SUBSTITUTIONS: [RegExp, string][] = [
  [/\$__rate_interval|\$\{__rate_interval\}/g, '1m'],
  [/\$__interval|\$\{__interval\}/g, '15s'],
  [/\$__range|\$\{__range\}/g, '1h'],
  [/\$(topology|operator|source)\b|\$\{(topology|operator|source)\}/g, '.*'],
];
/** Metrics defined for the Kafka code to increment, but not incremented by any code path yet (checked below). */

interface Proc {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

const procs: Proc[] = [];
const emulators: OpenMeteoEmulator[] = [];
let promEnv: NodeJS.ProcessEnv | undefined;
let promUrl = '';
let embedded: Proc;
let kafka: Proc;
let embeddedWarehouse = '';
let backfillStderr = '';
/** The first embedded process (its poll met the injected 500s): /metrics after the backfill, /readyz, stderr. */
let first: { metrics: string; ready: { status: number; body: Record<string, unknown> }; stderr: string; exit: number | null };

function substitute(expr: string): string {
  return SUBSTITUTIONS.reduce((e, [re, v]) => e.replace(re, v), expr);
}

function startStrataProcess(env: NodeJS.ProcessEnv, port: number): Proc {
  const child = spawn(process.execPath, [BIN, 'run'], { cwd: ROOT, env: { ...env, STRATA_METRICS_PORT: String(port), STRATA_LOG_FORMAT: 'json' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const p = { child, url: `http://127.0.0.1:${port}`, stderr: () => err };
  procs.push(p);
  return p;
}

async function stopProcess(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function json<T>(url: string): Promise<T> {
  const r = await fetch(url);
  return (await r.json()) as T;
}

/** Sum of a metric's samples on a Strata /metrics page (optionally only lines matching `match`). */
async function metric(p: Proc, name: string, match?: RegExp): Promise<number> {
  const text = await fetch(`${p.url}/metrics`).then((r) => r.text()).catch(() => '');
  let sum = 0;
  for (const line of text.split('\n')) if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && (!match || match.test(line))) sum += Number(line.split(' ').pop());
  return sum;
}

interface PromResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string] }[] };
}

async function promQuery(expr: string): Promise<PromResult> {
  const r = await fetch(`${promUrl}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query: expr }) });
  return (await r.json()) as PromResult;
}

async function promScalar(expr: string): Promise<number> {
  const r = await promQuery(expr);
  return r.data?.result.length ? Number(r.data.result[0]!.value![1]) : NaN;
}

function promtoolCheck(text: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.ok(!r.error, `promtool is not installed (apt-get install prometheus; npm test does): ${r.error?.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

before(async () => {
  await requireBroker();
  // One emulator fails the first 4 requests with HTTP 500 (one location of the embedded service's
  // first poll fails for good after its retries); the other answers everything.
  const faulty = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1', fault: { mode: '500', count: 4 } });
  const clean = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  emulators.push(faulty, clean);
  const [embeddedPort, kafkaPort, promPort] = [await freePort(), await freePort(), await freePort()];

  // Prometheus first, so it sees the counters move from their first values.
  const dir = await mkdtemp(join(tmpdir(), 'strata-prom-'));
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: strata
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['127.0.0.1:${embeddedPort}']
        labels: { mode: embedded }
      - targets: ['127.0.0.1:${kafkaPort}']
        labels: { mode: kafka }
`,
  );
  promEnv = { ...process.env, PROMETHEUS_PORT: String(promPort), PROMETHEUS_CONFIG: config, PROMETHEUS_DATA_DIR: join(dir, 'data'), STRATA_CACHE_DIR: dir };
  const started = await run('bash', [PROMETHEUS_SH, 'start'], { env: promEnv, timeoutMs: 180_000 });
  assert.equal(started.code, 0, `prometheus.sh start failed: ${started.stderr}`);
  promUrl = started.stdout.toString().trim().split('\n').pop()!;

  embeddedWarehouse = await mkdtemp(join(tmpdir(), 'strata-obs-'));
  const base = { ...process.env };
  delete base.STRATA_KAFKA_BROKERS;
  delete base.STRATA_CONFIG;
  const firstEmbedded = startStrataProcess({ ...base, STRATA_WAREHOUSE: embeddedWarehouse, STRATA_OPEN_METEO_BASE_URL: faulty.url }, embeddedPort);

  const prefix = freshName('obs');
  const { file: kafkaConfig } = await testConfig({ prefix });
  const kafkaEnv: NodeJS.ProcessEnv = { ...base, STRATA_CONFIG: kafkaConfig, STRATA_KAFKA_BROKERS: BROKERS };
  delete kafkaEnv.STRATA_WAREHOUSE;
  kafka = startStrataProcess(kafkaEnv, kafkaPort);

  // Kafka: readings from the producer CLI, plus malformed messages from another producer.
  const day = (n: number): string => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  const produced = produce(kafkaConfig, ['open-meteo', '--locations', 'config/locations.jsonl', '--start-date', day(2), '--end-date', day(1), '--base-url', clean.url]);
  const producer = kafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic: `${prefix}strata.open_meteo.readings`, acks: -1, messages: [{ key: 'bad-1', value: Buffer.from('{"not":"avro"}') }, { key: 'bad-2', value: Buffer.alloc(0) }, { key: 'bad-3', value: Buffer.from([0xc3, 0x01, 1, 2, 3]) }] });
  await producer.disconnect();
  const summary = await produced;
  const messages = Number(summary.messages);
  assert.ok(messages > 0, JSON.stringify(summary));

  // The embedded service: seeds, then its first scheduled poll (one location fails for good).
  const scheduledRun = (p: Proc, status: string) => async (): Promise<true | undefined> => {
    const r = await json<{ runs: { status: string }[] }>(`${p.url}/runs?kind=scheduled`).catch(() => undefined);
    return r?.runs.some((x) => x.status === status) ? true : undefined;
  };
  await waitFor('the embedded service to finish its first scheduled run', scheduledRun(firstEmbedded, 'failed'), 90_000, 500);
  const readyz = await fetch(`${firstEmbedded.url}/readyz`);
  const ready = { status: readyz.status, body: (await readyz.json()) as Record<string, unknown> };

  // A backfill in another process, on the embedded service's warehouse: the service reads it back from the run history.
  const backfill = await run(process.execPath, [BIN, 'backfill', '--topology', 'air_quality', '--start-date', '2024-03-01', '--end-date', '2024-03-02', '--chunk', 'daily'], {
    env: { ...base, STRATA_WAREHOUSE: embeddedWarehouse, STRATA_OPEN_METEO_BASE_URL: clean.url, STRATA_LOG_FORMAT: 'json' },
    timeoutMs: 120_000,
  });
  backfillStderr = backfill.stderr;
  assert.equal(backfill.code, 0, `strata backfill failed: ${backfill.stderr.slice(-2000)}`);
  await waitFor('the embedded service to read the backfill from the run history', async () => ((await metric(firstEmbedded, 'strata_backfill_chunks_total', /status="ok"/)) >= 2 ? true : undefined), 10_000, 200);
  await new Promise((r) => setTimeout(r, 1500)); // scraped by Prometheus

  // Restart the embedded service: its next poll succeeds (the faults are used up); what the
  // run history holds (the failed poll, the backfill) is counted again by the new process.
  const metricsText = await (await fetch(`${firstEmbedded.url}/metrics`)).text();
  await stopProcess(firstEmbedded);
  first = { metrics: metricsText, ready, stderr: firstEmbedded.stderr(), exit: firstEmbedded.child.exitCode };
  embedded = startStrataProcess({ ...base, STRATA_WAREHOUSE: embeddedWarehouse, STRATA_OPEN_METEO_BASE_URL: clean.url }, embeddedPort);
  await waitFor('the restarted service to finish a successful scheduled run', scheduledRun(embedded, 'ok'), 90_000, 500);

  await waitFor('the Kafka service to consume every message', async () => ((await metric(kafka, 'strata_topic_messages_total')) >= messages + 3 ? true : undefined), 90_000, 500);
  // Prometheus has scraped the end state of both.
  await waitFor('Prometheus to see the backfill chunks and the dead letters', async () => {
    const chunks = await promScalar('sum(strata_backfill_chunks_total{status="ok"})');
    const dead = await promScalar('sum(strata_topic_messages_total{result="dead_letter"})');
    const polled = await promScalar('count(strata_scheduled_run_last_success_timestamp_seconds)');
    return chunks >= 2 && dead >= 3 && polled >= 1 ? true : undefined;
  }, 30_000, 500);
  await new Promise((r) => setTimeout(r, 2500)); // a couple more scrapes, so rates over the last minute see the end
}, { timeout: 300_000 });

after(async () => {
  await Promise.all(procs.map(stopProcess));
  if (promEnv) await run('bash', [PROMETHEUS_SH, 'stop'], { env: promEnv, timeoutMs: 30_000 });
  await Promise.all(emulators.map((e) => e.close()));
});

test('promtool check metrics passes on live scrapes of both services (process metrics included)', async () => {
  for (const p of [embedded, kafka]) {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    const r = promtoolCheck(text);
    assert.equal(r.status, 0, r.out);
    assert.equal(r.out, '', `promtool reports: ${r.out}`);
    assert.doesNotMatch(text, /^strata_nodejs_active_\w+_total/m, 'the _total gauges promtool rejects are dropped');
    for (const name of ['strata_nodejs_eventloop_lag_seconds', 'strata_process_resident_memory_bytes', 'strata_nodejs_gc_duration_seconds_count', 'strata_build_info']) assert.match(text, new RegExp(`^${name}`, 'm'), name);
    for (const line of text.split('\n')) if (line && !line.startsWith('#')) assert.match(line, /^strata_/, `every metric is prefixed: ${line}`);
  }
});

test('the HTTP clients, scheduled runs, backfill chunks, freshness and dead letters are counted from the real code paths', async () => {
  const sum = (text: string, name: string, match?: RegExp): number =>
    text.split('\n').filter((l) => l.startsWith(`${name}{`) && (!match || match.test(l))).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  // The first process: its poll met 4 injected HTTP 500s; the backfill ran in another process meanwhile.
  const f = (name: string, match?: RegExp): number => sum(first.metrics, name, match);
  assert.equal(f('strata_http_client_requests_total', /status="500"/), 4, 'the 4 injected 500s');
  assert.equal(f('strata_http_client_retries_total', /client="open_meteo"/), 3, '3 retries of the failing location');
  assert.equal(f('strata_http_client_errors_total', /status="500"/), 1, 'the location that failed for good');
  assert.ok(f('strata_http_client_request_duration_seconds_count') >= 8);
  assert.equal(f('strata_scheduled_runs_total', /status="failed"/), 1, 'the poll is recorded as failed (one location)');
  assert.equal(f('strata_backfill_chunks_total', /topology="air_quality",engine="duckdb",status="ok"/), 2, 'two daily chunks, run by another process');
  assert.equal(f('strata_backfill_runs_total', /topology="air_quality",engine="duckdb",status="ok"/), 1);
  assert.ok(f('strata_backfill_rows_total', /stage="in"/) > 0);
  assert.ok(f('strata_backfill_last_success_timestamp_seconds') > Date.now() / 1000 - 300);
  assert.ok(f('strata_records_rejected_total', /topology="taxi"/) > 0, 'taxi quality rules reject some sample trips');
  assert.equal(first.exit, 0, 'SIGTERM drains and exits 0');

  // The restarted process: a successful poll, and the run history (failed poll, backfill) counted again.
  const m = (name: string, match?: RegExp): Promise<number> => metric(embedded, name, match);
  assert.equal(await m('strata_scheduled_runs_total', /status="ok"/), 1);
  assert.equal(await m('strata_scheduled_runs_total', /status="failed"/), 1, 'the failed poll, read back from the run history');
  assert.equal(await m('strata_backfill_chunks_total', /status="ok"/), 2, 'the backfill chunks, read back from the run history');
  assert.ok((await m('strata_scheduled_run_last_success_timestamp_seconds')) > Date.now() / 1000 - 300);
  assert.equal(await m('strata_http_client_errors_total'), 0);
  assert.ok((await m('strata_gold_partition_age_seconds', /gold\.aqi_daily/)) < 600, 'gold written minutes ago at most');
  assert.ok((await m('strata_gold_newest_partition_timestamp_seconds', /gold\.aqi_hourly/)) > Date.now() / 1000 - 3 * 86_400);
  assert.ok((await metric(kafka, 'strata_dead_letters_total', /source="readings_kafka"/)) >= 3, 'malformed messages dead-lettered');
  assert.ok((await metric(kafka, 'strata_topic_messages_total', /result="dead_letter"/)) >= 3);
  assert.ok((await metric(kafka, 'strata_batch_duration_seconds_count')) > 0);

  // Logs: JSON lines carrying topology, run and batch ids (and chunk ids in a backfill).
  const committed = first.stderr.split('\n').filter((l) => l.includes('"msg":"batch committed"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(committed.some((l) => l.topology === 'air_quality' && String(l.run).startsWith('scheduled-air_quality-readings-') && typeof l.batch === 'string'), 'a polled batch logs its run id');
  const chunkLines = backfillStderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(chunkLines.some((l) => l.chunk === 'chunk-001' && String(l.run).startsWith('backfill-') && l.topology === 'air_quality' && typeof l.batch === 'string'), 'backfill batch logs carry run, chunk and batch ids');
});

test('/healthz, /readyz (JSON that says what is wrong) and /runs', async () => {
  const health = await fetch(`${embedded.url}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');
  assert.equal(first.ready.status, 503, 'the last poll failed for one location');
  const body = first.ready.body as { status: string; failing: string[]; checks: { name: string; ok: boolean; detail: string }[] };
  assert.equal(body.status, 'not ready');
  assert.match(body.failing.join('\n'), /source:air_quality\.readings: last poll failed: .*HTTP 500/);
  assert.ok(body.checks.some((c) => c.name === 'last_batch:air_quality' && c.ok && /last batch committed \d+ s ago/.test(c.detail)), JSON.stringify(body.checks));
  const now = await fetch(`${embedded.url}/readyz`);
  assert.equal(now.status, 200, `ready again after a successful poll: ${await now.clone().text()}`);
  assert.equal((await fetch(`${kafka.url}/readyz`)).status, 200, 'the Kafka service is ready (consumer connected; dead letters do not make it unready)');

  const runs = await json<{ runs: { id: string; kind: string; topology: string; status: string; parent?: string }[] }>(`${embedded.url}/runs?topology=air_quality`);
  assert.ok(runs.runs.every((r) => r.topology === 'air_quality'));
  const kinds = new Set(runs.runs.map((r) => r.kind));
  for (const k of ['scheduled', 'backfill', 'chunk']) assert.ok(kinds.has(k), `/runs lists ${k} runs`);
  const bf = runs.runs.find((r) => r.kind === 'backfill')!;
  const chunks = await json<{ runs: { parent?: string; status: string }[] }>(`${embedded.url}/runs?kind=chunk&parent=${encodeURIComponent(bf.id)}`);
  assert.deepEqual(chunks.runs.map((r) => r.status), ['ok', 'ok']);
  assert.equal((await json<{ runs: unknown[] }>(`${embedded.url}/runs?limit=1`)).runs.length, 1);
  assert.equal((await fetch(`${embedded.url}/runs?kind=nope`)).status, 400);
  assert.equal((await json<{ runs: unknown[] }>(`${embedded.url}/runs?topology=no_such`)).runs.length, 0);
  const missing = await fetch(`${embedded.url}/nope`);
  assert.equal(missing.status, 404);
  assert.deepEqual(((await missing.json()) as { endpoints: string[] }).endpoints, ['/metrics', '/healthz', '/readyz', '/runs']);
});

test('dashboards: generated from scripts/grafana/dashboards.ts, unique panel ids, provisioned data source, units, template variables', () => {
  const dir = join(ROOT, 'grafana/dashboards');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const rendered = renderDashboards();
  assert.deepEqual(files, [...rendered.keys()].sort(), 'one JSON file per dashboard');
  for (const f of files) assert.equal(readFileSync(join(dir, f), 'utf8'), rendered.get(f), `${f} is out of date: node --import tsx scripts/grafana/dashboards.ts`);

  const ds = (parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources/prometheus.yaml'), 'utf8')) as { datasources: { uid: string; type: string }[] }).datasources;
  assert.deepEqual(ds.map((d) => ({ uid: d.uid, type: d.type })), [DATASOURCE]);
  const uids = new Set<string>();
  for (const f of files) {
    const d = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { uid: string; title: string; panels: Record<string, unknown>[]; templating: { list: Record<string, unknown>[] } };
    assert.ok(!uids.has(d.uid), `dashboard uid ${d.uid} unique`);
    uids.add(d.uid);
    const ids = d.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${f}: panel ids are unique`);
    const vars = d.templating.list.map((v) => v.name);
    assert.ok(vars.includes('topology'), `${f}: a topology variable`);
    for (const v of d.templating.list) assert.deepEqual(v.datasource, DATASOURCE, `${f}: variable ${String(v.name)} uses the provisioned data source`);
    for (const p of d.panels) {
      if (p.type === 'row') continue;
      const where = `${f}: panel "${String(p.title)}"`;
      assert.deepEqual(p.datasource, DATASOURCE, `${where}: data source`);
      const unit = (p.fieldConfig as { defaults: { unit?: string } }).defaults.unit;
      assert.ok(unit && unit.length > 0, `${where}: a unit`);
      assert.ok(typeof p.description === 'string' && p.description.length > 10, `${where}: a description`);
      const targets = p.targets as { expr: string; datasource: unknown }[];
      assert.ok(targets.length > 0, `${where}: queries`);
      for (const t of targets) {
        assert.deepEqual(t.datasource, DATASOURCE, `${where}: target data source`);
        for (const m of t.expr.matchAll(/\$\{?(\w+)/g)) assert.ok(m[1]!.startsWith('__') || vars.includes(m[1]!), `${where}: $${m[1]} is a variable of the dashboard`);
      }
    }
    if (f === 'strata-topology.json') assert.ok(vars.includes('operator'), 'the topology dashboard has an operator variable');
  }
  assert.deepEqual([...uids].sort(), DASHBOARDS.map((d) => d.uid).sort());
});

/** How a panel's data was produced in this test, from the metrics its queries read. */
function provenance(exprs: string[]): string {
  const all = exprs.join(' ');
  if (all.includes('strata_spark_')) return 'zero-initialised per topology (no Spark run in this test; real ones are counted from run records with engine "spark")';
  if (/strata_consumer_|strata_topic_messages|strata_dead_letters/.test(all)) return 'Kafka service (real broker, strata produce + malformed messages)';
  if (all.includes('strata_backfill_')) return 'strata backfill in another process, read back from the run history';
  return 'embedded service (a poll with injected HTTP 500s, a restart, a clean poll)';
}

test('every dashboard query is valid PromQL and returns series from Prometheus scraping the live services', async (t) => {
  const report: string[] = [];
  const problems: string[] = [];
  let panels = 0;
  for (const [file, text] of renderDashboards()) {
    const d = JSON.parse(text) as { title: string; panels: { id: number; type: string; title: string; targets?: { refId: string; expr: string }[] }[]; templating: { list: { name: string; definition: string }[] } };
    for (const v of d.templating.list) {
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(v.definition);
      assert.ok(m, `${file}: variable ${v.name}: label_values(metric{…}, label)`);
      const r = await json<{ status: string; data: string[] }>(`${promUrl}/api/v1/label/${m[2]}/values?${new URLSearchParams({ 'match[]': substitute(m[1]!) })}`);
      report.push(`${d.title} | variable $${v.name} | ${r.data?.length ?? 0} values: ${(r.data ?? []).join(', ')}`);
      if (r.status !== 'success' || !r.data?.length) problems.push(`${file}: variable ${v.name} (${v.definition}) has no values`);
    }
    for (const p of d.panels) {
      if (!p.targets) continue;
      panels++;
      const counts: string[] = [];
      let series = 0;
      for (const target of p.targets) {
        const expr = substitute(target.expr);
        const r = await promQuery(expr);
        if (r.status !== 'success') {
          problems.push(`${file}: "${p.title}" ${target.refId}: invalid query: ${r.error} — ${expr}`);
          continue;
        }
        const n = r.data!.result.length;
        series += n;
        const values = r.data!.result.map((s) => Number(s.value?.[1])).filter(Number.isFinite);
        counts.push(`${target.refId}=${n}${values.length ? ` (max ${+Math.max(...values).toPrecision(4)})` : ''}`);
        if (n === 0) problems.push(`${file}: "${p.title}" ${target.refId} returned no series — ${expr}`);
      }
      report.push(`${d.title} | #${p.id} ${p.title} | ${series} series [${counts.join(', ')}] | ${provenance(p.targets.map((x) => x.expr))}`);
    }
  }
  t.diagnostic('dashboard | panel | series returned [per query] | data produced by');
  for (const line of report) t.diagnostic(line);
  t.diagnostic(`${panels} panels checked against ${promUrl}`);
  assert.deepEqual(problems, []);
});
