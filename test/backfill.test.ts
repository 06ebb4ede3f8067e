import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { RunHistory } from '../src/runtime/runs.ts';
import { LocalWarehouse } from '../src/warehouse/local/local.ts';
import { checkWindow, splitWindow } from '../src/backfill/plan.ts';
import { tableSnapshot } from './support/pipeline-harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/strata.mjs');
let emu: OpenMeteoEmulator;

before(async () => {
  emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await emu.close();
});

async function env(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  return { ...process.env, STRATA_WAREHOUSE: await mkdtemp(join(tmpdir(), 'strata-bf-')), STRATA_OPEN_METEO_BASE_URL: emu.url, STRATA_LOG_LEVEL: 'warn', STRATA_LOG_FORMAT: 'json', ...extra };
}

/** Runs the CLI without blocking this process: the emulator it talks to lives in this event loop. */
async function strata(e: NodeJS.ProcessEnv, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { status, stdout, stderr };
}

const GOLD = ['gold.aqi_hourly', 'gold.aqi_daily', 'silver.air_quality_hourly'];
async function snapshot(wh: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of GOLD) out[t] = await tableSnapshot(new LocalWarehouse(wh), t, t.startsWith('silver') ? ['_ingested_at', '_batch_id'] : []);
  return out;
}

test('chunking: monthly chunks are calendar months clipped to the window; weekly chunks end on Sundays', () => {
  assert.deepEqual(splitWindow({ start: '2024-01-15', end: '2024-03-02' }, 'monthly'), [
    { start: '2024-01-15', end: '2024-01-31' }, { start: '2024-02-01', end: '2024-02-29' }, { start: '2024-03-01', end: '2024-03-02' },
  ]);
  assert.deepEqual(splitWindow({ start: '2024-01-03', end: '2024-01-16' }, 'weekly'), [
    { start: '2024-01-03', end: '2024-01-07' }, { start: '2024-01-08', end: '2024-01-14' }, { start: '2024-01-15', end: '2024-01-16' },
  ]);
  assert.equal(splitWindow({ start: '2024-01-01', end: '2025-10-16' }, 'monthly').length, 22);
  assert.equal(splitWindow({ start: '2024-02-27', end: '2024-03-01' }, 'daily').length, 4);
  assert.throws(() => checkWindow('2024-02-30', '2024-03-01'), /--start-date: "2024-02-30" is not a date/);
});

test('bad requests are refused before any work, with a clear message', async () => {
  const e = await env();
  const cases: [string[], RegExp][] = [
    [['--topology', 'air_quality', '--start-date', '2024-03-01', '--end-date', '2024-02-01'], /--start-date 2024-03-01 is after --end-date 2024-02-01/],
    [['--topology', 'air_quality', '--start-date', '2024-13-01', '--end-date', '2024-12-01'], /--start-date: "2024-13-01" is not a date/],
    [['--topology', 'air_quality', '--start-date', '2024-01-01', '--end-date', '2999-01-01'], /--end-date 2999-01-01 is in the future/],
    [['--topology', 'nope', '--start-date', '2024-01-01', '--end-date', '2024-01-02'], /unknown topology "nope"/],
    [['--topology', 'air_quality', '--start-date', '2024-01-01', '--end-date', '2024-01-02', '--engine', 'fast'], /Allowed choices are auto, duckdb, spark/],
  ];
  for (const [args, msg] of cases) {
    const r = await strata(e, ['backfill', ...args]);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
  }
  assert.equal(new LocalWarehouse(e.STRATA_WAREHOUSE!).root.length > 0, true);
  assert.deepEqual(await new RunHistory(new LocalWarehouse(e.STRATA_WAREHOUSE!).state).list(), [], 'nothing was recorded: no work started');

  // An overlapping backfill on the same topology (a live process holds the lock) is refused.
  const holder = spawn('sleep', ['30']);
  try {
    await mkdir(join(e.STRATA_WAREHOUSE!, '_state', 'locks'), { recursive: true });
    await writeFile(join(e.STRATA_WAREHOUSE!, '_state', 'locks', 'backfill-air_quality.json'), JSON.stringify({ pid: holder.pid, run: 'backfill-other', since: 'now' }));
    const r = await strata(e, ['backfill', '--topology', 'air_quality', '--start-date', '2024-01-01', '--end-date', '2024-01-02']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`already running \\(pid ${holder.pid}, run backfill-other`));
  } finally {
    holder.kill('SIGKILL');
  }
});

test('the seed window (2024-01-01 → 2025-10-16, 22 monthly chunks): SIGKILL mid-way, --resume finishes, gold equals a straight run', async () => {
  const args = ['backfill', '--topology', 'air_quality', '--start-date', '2024-01-01', '--end-date', '2025-10-16'];
  const straight = await env();
  const t0 = Date.now();
  const r = await strata(straight, args);
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  assert.match(r.stdout, /22 monthly chunk\(s\)/);
  assert.match(r.stdout, /: ok — 22 ok, 0 failed, 0 skipped/);
  const straightSeconds = (Date.now() - t0) / 1000;

  const killed = await env();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: killed, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    // Kill hard once a few chunks are done: mid-stream, with a chunk in flight.
    if ((err.match(/ ok \d+ records/g) ?? []).length >= 5 && child.exitCode === null) child.kill('SIGKILL');
  });
  await new Promise((res) => child.once('exit', res));
  assert.equal(child.signalCode, 'SIGKILL', `the backfill finished before it could be killed: ${err.slice(-500)}`);

  const resumed = await strata(killed, [...args, '--resume']);
  assert.equal(resumed.status, 0, resumed.stderr.slice(-3000));
  const m = /: ok — (\d+) ok, 0 failed, (\d+) skipped/.exec(resumed.stdout);
  assert.ok(m, resumed.stdout);
  assert.ok(Number(m[2]) >= 5, `completed chunks were skipped: ${m[0]}`);
  assert.equal(Number(m[1]) + Number(m[2]), 22);

  assert.deepEqual(await snapshot(killed.STRATA_WAREHOUSE!), await snapshot(straight.STRATA_WAREHOUSE!), 'resumed tables equal the straight run');

  // Run history shows every chunk: 22 ok in the straight run; in the killed+resumed pair, each chunk ok once.
  const h = new RunHistory(new LocalWarehouse(killed.STRATA_WAREHOUSE!).state);
  const chunks = await h.list({ kind: 'chunk' });
  const okKeys = new Set(chunks.filter((c) => c.status === 'ok').map((c) => String(c.params?.key)));
  assert.equal(okKeys.size, 22);
  const runsOut = await strata(killed, ['runs', '--kind', 'backfill', '--format', 'json']);
  const backfills = JSON.parse(runsOut.stdout) as { status: string }[];
  assert.equal(backfills.length, 2);
  assert.equal(backfills[0]!.status, 'ok');
  assert.equal(backfills[1]!.status, 'running', 'the killed run stays visible as it was left');
  console.log(`# straight 22-month backfill (8 locations, emulated API): ${straightSeconds.toFixed(1)} s`);
});

test('re-running a completed window changes nothing; --skip-bronze rebuilds Silver and Gold from Bronze alone', async () => {
  const e = await env();
  const args = ['backfill', '--topology', 'air_quality', '--start-date', '2024-02-25', '--end-date', '2024-03-05', '--chunk', 'weekly'];
  assert.equal((await strata(e, args)).status, 0);
  const first = await snapshot(e.STRATA_WAREHOUSE!);
  assert.equal((await strata(e, args)).status, 0);
  assert.deepEqual(await snapshot(e.STRATA_WAREHOUSE!), first);
  const before = emu.requests;
  const r = await strata(e, [...args, '--skip-bronze']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(emu.requests, before, '--skip-bronze made no API request');
  assert.deepEqual(await snapshot(e.STRATA_WAREHOUSE!), first);
});

test('a failing chunk is retried, then recorded as failed while the others continue; the webhook hears of it; --fail-fast stops', async () => {
  const posts: string[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      posts.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  const cfgDir = await mkdtemp(join(tmpdir(), 'strata-cfg-'));
  const cfg = join(cfgDir, 'config.yaml');
  const base = await readFile(join(ROOT, 'config/default.yaml'), 'utf8');
  await writeFile(cfg, `${base.replace('topologies: [topologies]', `topologies: [${join(ROOT, 'topologies')}]`)}\nbackfill:\n  retries: 2\n  retry_backoff_ms: 10\nruns:\n  webhook_url: http://127.0.0.1:${(hook.address() as { port: number }).port}/hook\n`);
  // A locations file where one location is outside the API's range: its chunks fail with HTTP 400 every time.
  const locs = join(cfgDir, 'locations.jsonl');
  await writeFile(locs, [
    '{"id":"hcmc","name":"Ho Chi Minh City","latitude":10.8231,"longitude":106.6297,"timezone":"Asia/Ho_Chi_Minh"}',
  ].join('\n'));
  const e = await env();
  // Transient: 500 on the first four requests — more than the HTTP client's own retries (3 in
  // config/default.yaml), so the first chunk's first attempt fails and the chunk retry succeeds.
  emu.setFault({ mode: '500', count: 4 });
  const ok = await strata(e, ['backfill', '--config', cfg, '--topology', 'air_quality', '--start-date', '2024-01-01', '--end-date', '2024-01-14', '--chunk', 'weekly', '--locations', locs]);
  emu.setFault('none');
  assert.equal(ok.status, 0, ok.stderr.slice(-2000));
  const h = new RunHistory(new LocalWarehouse(e.STRATA_WAREHOUSE!).state);
  assert.ok((await h.list({ kind: 'chunk' })).some((c) => (c.attempts ?? 0) >= 2 && c.status === 'ok'), 'a chunk needed a second attempt');

  // Persistent: the emulator refuses dates before 2013 (HTTP 400), so the first chunk fails, the next succeeds.
  const bad = await strata(e, ['backfill', '--config', cfg, '--topology', 'air_quality', '--start-date', '2012-12-31', '--end-date', '2013-01-10', '--chunk', 'weekly', '--locations', locs]);
  const runs = await h.list({ kind: 'chunk' });
  const failed = runs.filter((c) => c.status === 'failed');
  assert.equal(failed.length, 1, `expected one failed chunk: ${bad.stdout}\n${bad.stderr.slice(-1000)}`);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /failed — \d+ ok, 1 failed/);
  assert.match(failed[0]!.error ?? '', /hcmc|400|range/i);
  assert.equal(failed[0]!.attempts, 2);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(posts.length, 1, 'one webhook POST for the failed backfill');
  assert.match(posts[0]!, /"event":"run_failed"/);

  const ff = await strata(e, ['backfill', '--config', cfg, '--topology', 'air_quality', '--start-date', '2012-12-31', '--end-date', '2013-01-10', '--chunk', 'weekly', '--locations', locs, '--fail-fast']);
  assert.equal(ff.status, 1);
  assert.match(ff.stdout, /failed — 0 ok, 1 failed/);
  hook.close();
});
