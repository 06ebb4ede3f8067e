// The metrics registry, run-history metrics, gold freshness and log redaction, in-process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Counter, Gauge, Histogram } from 'prom-client';
import { partitionStart } from '../src/observability/freshness.ts';
import { LocalWarehouse } from '../src/warehouse/local/local.ts';
import { createLogger } from '../src/observability/logger.ts';
import { Metrics } from '../src/observability/metrics.ts';
import type { RunRecord } from '../src/core/runs.ts';
import { RunHistoryTail } from '../src/runtime/runs-tail.ts';
import { Schedule } from '../src/core/schedule.ts';

test('every Strata metric, with a sample for each of its labels, passes promtool check metrics', async () => {
  const m = new Metrics().withProcessMetrics();
  for (const metric of m.registry.getMetricsAsArray()) {
    const { name, help, labelNames } = metric as unknown as { name: string; help: string; labelNames: string[] };
    assert.match(name, /^strata_[a-z0-9_]+$/, name);
    if (!name.startsWith('strata_nodejs_') && !name.startsWith('strata_process_')) assert.ok(help.length >= 20 && /[.)]$/.test(help), `${name}: a help text a user understands ("${help}")`);
    const labels = Object.fromEntries(labelNames.map((l) => [l, `x_${l}`]));
    if (metric instanceof Counter) metric.inc(labels, 2);
    else if (metric instanceof Gauge) metric.set(labels, 1.5);
    else if (metric instanceof Histogram) metric.observe(labels, 0.3);
  }
  const text = await m.scrape();
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.ok(!r.error, `promtool is not installed (apt-get install prometheus; npm test does): ${r.error?.message}`);
  assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'promtool has nothing to say');
  assert.equal(r.status, 0);
  for (const name of ['strata_consumer_lag_messages', 'strata_consumer_commits_total', 'strata_consumer_rebalances_total', 'strata_dead_letters_total', 'strata_spark_escalations_total']) {
    assert.match(text, new RegExp(`^# HELP ${name} `, 'm'), name);
  }
});

const at = (iso: string): string => new Date(iso).toISOString();

test('run records count once each, by kind and status; timestamps only move forward', async () => {
  const m = new Metrics();
  const chunk: RunRecord = { id: 'b1/chunk-001', kind: 'chunk', parent: 'b1', topology: 't', engine: 'duckdb', status: 'running', started_at: at('2024-01-01T00:00:00Z') };
  m.observeRun(chunk); // running: not counted yet
  const done = { ...chunk, status: 'ok' as const, attempts: 2, ended_at: at('2024-01-01T00:00:30Z'), rows_in: 100, rows_out: 80, rows_rejected: 3 };
  m.observeRun(done);
  m.observeRun(done); // seen again (in-process, then from the history file)
  m.observeRun({ ...done, id: 'b1/chunk-000', ended_at: at('2023-12-31T00:00:00Z') }); // older: last success stays
  m.observeRun({ id: 'b1', kind: 'backfill', topology: 't', engine: 'spark', status: 'failed', started_at: at('2024-01-01T00:00:00Z'), ended_at: at('2024-01-01T01:00:00Z') });
  m.observeRun({ id: 's1', kind: 'scheduled', topology: 't', params: { source: 'readings' }, status: 'ok', started_at: at('2024-01-02T00:00:00Z'), ended_at: at('2024-01-02T00:00:05Z'), rows_in: 42 });
  const text = await m.scrape();
  const value = (series: string): number => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
  assert.equal(value('strata_backfill_chunks_total{topology="t",engine="duckdb",status="ok"}'), 2);
  assert.equal(value('strata_backfill_chunk_retries_total{topology="t",engine="duckdb"}'), 2);
  assert.equal(value('strata_backfill_rows_total{topology="t",engine="duckdb",stage="in"}'), 200);
  assert.equal(value('strata_backfill_chunk_duration_seconds_count{topology="t",engine="duckdb"}'), 2);
  assert.equal(value('strata_backfill_last_success_timestamp_seconds{topology="t"}'), Date.parse('2024-01-01T00:00:30Z') / 1000);
  assert.equal(value('strata_backfill_runs_total{topology="t",engine="spark",status="failed"}'), 1);
  assert.equal(value('strata_spark_escalations_total{topology="t",outcome="failed"}'), 1);
  assert.equal(value('strata_spark_job_duration_seconds_sum{topology="t",outcome="failed"}'), 3600);
  assert.equal(value('strata_scheduled_runs_total{topology="t",source="readings",status="ok"}'), 1);
  assert.equal(value('strata_scheduled_run_rows_total{topology="t",source="readings"}'), 42);
  assert.equal(value('strata_scheduled_run_last_success_timestamp_seconds{topology="t",source="readings"}'), Date.parse('2024-01-02T00:00:05Z') / 1000);

  m.initTopology('u', { operators: ['bronze'], sources: ['s'], scheduledSources: ['s'], topicSources: ['k'] });
  const init = await m.scrape();
  for (const series of ['strata_spark_escalations_total{topology="u",outcome="ok"} 0', 'strata_batches_total{topology="u",status="failed"} 0', 'strata_topic_messages_total{topology="u",source="k",result="dead_letter"} 0', 'strata_scheduled_runs_total{topology="u",source="s",status="skipped"} 0']) {
    assert.ok(init.includes(series), series);
  }
});

test('RunHistoryTail reads only what was appended, waits for a line to be complete, and skips torn lines', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tail-'));
  const file = join(dir, 'runs.jsonl');
  const seen: string[] = [];
  const tail = new RunHistoryTail(file, (r) => seen.push(`${r.id}:${r.status}`));
  await tail.poll(); // no file yet
  const line = (id: string, status: string): string => `${JSON.stringify({ id, kind: 'chunk', topology: 't', status, started_at: at('2024-01-01T00:00:00Z') })}\n`;
  await writeFile(file, line('a', 'running') + line('a', 'ok'));
  await tail.poll();
  assert.deepEqual(seen, ['a:running', 'a:ok']);
  const half = line('b', 'ok');
  await appendFile(file, `{"torn": \n${half.slice(0, 10)}`);
  await tail.poll();
  assert.deepEqual(seen, ['a:running', 'a:ok'], 'an incomplete line waits');
  await appendFile(file, half.slice(10) + line('c', 'failed'));
  await Promise.all([tail.poll(), tail.poll()]);
  assert.deepEqual(seen, ['a:running', 'a:ok', 'b:ok', 'c:failed'], 'the torn line is skipped, the rest read once');
  await writeFile(file, line('d', 'ok')); // replaced by a shorter file
  await tail.poll();
  assert.deepEqual(seen.at(-1), 'd:ok');
});

test('gold freshness: newest date or month partition per gold table, its write time; NULL partitions and unpartitioned tables ignored', async () => {
  const root = await mkdtemp(join(tmpdir(), 'strata-fresh-'));
  const mk = async (rel: string, mtime?: Date): Promise<void> => {
    await mkdir(join(root, rel), { recursive: true });
    if (mtime) await utimes(join(root, rel), mtime, mtime);
  };
  await mk('gold/aqi_daily/date=2024-01-01');
  await mk('gold/aqi_daily/date=2024-01-03', new Date('2024-01-04T05:00:00Z'));
  await mk('gold/aqi_daily/date=__HIVE_DEFAULT_PARTITION__');
  await mk('gold/monthly/month=2024-02', new Date('2024-03-01T00:00:00Z'));
  await mk('gold/dim_location');
  await writeFile(join(root, 'gold/dim_location/data.parquet'), '');
  await mk('silver/ignored/date=2030-01-01');
  assert.deepEqual(await new LocalWarehouse(root).freshness('gold'), [
    { table: 'gold.aqi_daily', newest: '2024-01-03', newestStart: Date.UTC(2024, 0, 3) / 1000, writtenAt: Date.parse('2024-01-04T05:00:00Z') / 1000 },
    { table: 'gold.monthly', newest: '2024-02', newestStart: Date.UTC(2024, 1, 1) / 1000, writtenAt: Date.parse('2024-03-01T00:00:00Z') / 1000 },
  ]);
  assert.equal(partitionStart('2024-13'), Date.UTC(2024, 12, 1) / 1000); // months are not validated beyond the shape
  assert.equal(partitionStart('abc'), undefined);
  assert.deepEqual(await new LocalWarehouse(join(root, 'nothing-here')).freshness('gold'), []);

  const m = new Metrics();
  m.setFreshnessSource(() => new LocalWarehouse(root).freshness('gold'), () => Date.parse('2024-01-04T06:00:00Z'));
  const text = await m.scrape();
  assert.match(text, /^strata_gold_partition_age_seconds\{table="gold.aqi_daily"\} 3600$/m);
  assert.match(text, new RegExp(`^strata_gold_newest_partition_timestamp_seconds\\{table="gold.monthly"\\} ${Date.UTC(2024, 1, 1) / 1000}$`, 'm'));
});

test('logs are JSON lines; secrets are redacted wherever they sit', () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
  const log = createLogger({ level: 'info', pretty: false, destination: sink }).child({ topology: 'air_quality', run: 'r1', batch: 'b1', chunk: 'chunk-001' });
  log.info({ config: { kafka: { brokers: ['k:9092'], sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' } }, runs: { webhook_url: 'https://hooks.example/T/SECRET' } }, headers: { authorization: 'Bearer abc' }, token: 't0k' }, 'hello');
  const rec = JSON.parse(lines.join('')) as Record<string, any>;
  assert.equal(rec.msg, 'hello');
  for (const k of ['topology', 'run', 'batch', 'chunk']) assert.ok(rec[k], `${k} id on the line`);
  assert.equal(rec.config.kafka.sasl.password, '[redacted]');
  assert.equal(rec.config.kafka.sasl.username, 'u');
  assert.deepEqual(rec.config.kafka.brokers, ['k:9092']);
  assert.equal(rec.config.runs.webhook_url, '[redacted]');
  assert.equal(rec.headers.authorization, '[redacted]');
  assert.equal(rec.token, '[redacted]');
  assert.doesNotMatch(lines.join(''), /hunter2|SECRET|Bearer abc|t0k/);
});

test('a scheduled tick dropped while the previous run is still going is reported (counted as a skipped run)', async () => {
  const skipped: Date[] = [];
  const s = new Schedule({ cron: '0 0 1 1 *', overlap: 'skip' }, undefined, (t) => skipped.push(t));
  try {
    s.push();
    const tick = await s.next(); // the run is going
    s.push(); // a tick during the run: dropped
    assert.equal(skipped.length, 1);
    await s.done(tick!);
    s.push(); // after the run: queued, not dropped
    assert.equal(skipped.length, 1);
  } finally {
    await s.close();
  }
});
