/**
 * `npm run bench -- --quick` on the two cheapest cases (taxi; stream on the real broker with kcat):
 * the JSON results and RESULTS.md are written, with plausible non-zero figures. Output goes to a
 * temporary folder (--out), never over bench/RESULTS.md.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CaseResult } from '../bench/lib/types.ts';
import { BROKERS, requireBroker } from './support/kafka.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('npm run bench -- --quick taxi stream: JSON per case and RESULTS.md with plausible figures', { timeout: 5 * 60_000 }, async () => {
  await requireBroker();
  const out = await mkdtemp(join(tmpdir(), 'strata-bench-smoke-'));
  const args = ['run', 'bench', '--', 'taxi', 'stream', '--quick', '--out', out, '--brokers', BROKERS, '--taxi-rows', '20000', '--taxi-stream-rows', '20000', '--om-readings', '2000'];
  const child = spawn('npm', args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const t0 = Date.now();
  const code = await new Promise<number | null>((r) => child.once('close', r));
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(code, 0, output.slice(-4000));
  console.log(`# quick bench of taxi + stream: ${seconds.toFixed(0)} s`);

  const read = async (name: string): Promise<CaseResult> => JSON.parse(await readFile(join(out, `${name}.json`), 'utf8')) as CaseResult;
  const taxi = await read('taxi');
  const stream = await read('stream');
  for (const r of [taxi, stream]) {
    assert.equal(r.quick, true);
    assert.equal(r.error, undefined);
    assert.equal(r.machine.cores, cpus().length);
    assert.match(r.machine.git_commit, /^[0-9a-f]{12}$/);
    assert.match(r.machine.duckdb, /^v\d+\.\d+/);
    for (const v of r.variants) {
      assert.equal(v.error, undefined, `${r.case}.${v.id}: ${v.error}`);
      assert.equal(v.runs.filter((x) => !x.warmup).length, 1, `${r.case}.${v.id}: one measured run in quick mode`);
      assert.equal(v.runs.filter((x) => x.warmup).length, 0, `${r.case}.${v.id}: no warm-up in quick mode`);
      const run = v.runs[0]!;
      assert.ok(run.seconds > 0 && run.seconds < 300, `${r.case}.${v.id}: ${run.seconds} s`);
      // A node process with DuckDB needs tens of MB at least; kcat a few.
      assert.ok(run.peak_rss_mb > (v.id.endsWith('kcat') ? 1 : 50) && run.peak_rss_mb < 8192, `${r.case}.${v.id}: peak RSS ${run.peak_rss_mb} MB`);
      for (const [k, s] of Object.entries(v.summary)) assert.ok(Number.isFinite(s.median) && s.median > 0, `${r.case}.${v.id}.${k} = ${s.median}`);
    }
    assert.ok(r.targets.length > 0 && r.targets.every((t) => typeof t.met === 'boolean'), `${r.case}: every target assessed: ${JSON.stringify(r.targets)}`);
  }
  assert.deepEqual(taxi.variants.map((v) => v.id), ['strata', 'bare']);
  assert.ok(taxi.derived.strata_over_bare! > 0);
  assert.deepEqual(stream.variants.map((v) => v.id), ['om-strata', 'om-kcat', 'taxi-strata', 'taxi-kcat']);
  assert.ok(stream.derived.om_strata_over_kcat! > 0 && stream.derived.taxi_strata_over_kcat! > 0);
  // The figures follow from the sizes: records/s × seconds = the records in the topic.
  const om = stream.variants.find((v) => v.id === 'om-strata')!.runs[0]!;
  assert.ok(Math.abs(om.metrics.records_per_s! * om.seconds - 2000) < 1, JSON.stringify(om));

  const md = await readFile(join(out, 'RESULTS.md'), 'utf8');
  assert.ok(existsSync(join(out, 'RESULTS.md')));
  for (const heading of ['## Targets (issue 9)', '## 1. Stream throughput', '## 4. Taxi month', '## 5. Memory']) assert.ok(md.includes(heading), `${heading} in:\n${md}`);
  assert.match(md, new RegExp(`\\| CPU \\| ${cpus().length} cores`));
  assert.match(md, /quick mode/);
  assert.match(md, /Strata \/ kcat: Open-Meteo [\d.]+ %, taxi [\d.]+ %/);
  assert.match(md, /Strata \/ bare DuckDB: [\d.]+× the time/);
  assert.match(md, /\| (met|\*\*not met\*\*) \|/);
});
