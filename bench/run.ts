/**
 * `npm run bench [-- CASE… --quick …]`: prepares each case's data, runs its variants (warm-up runs,
 * then measured runs) as child processes with their peak RSS sampled, and writes bench/results/<case>.json
 * and bench/RESULTS.md (every case's latest result). `npm run bench -- --help` lists the options.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { backfillCase } from './cases/backfill.ts';
import { latencyCase } from './cases/latency.ts';
import { streamCase } from './cases/stream.ts';
import { taxiCase } from './cases/taxi.ts';
import { kafkaVersion, machineInfo, sparkVersion } from './lib/machine.ts';
import { CACHE, ROOT } from './lib/paths.ts';
import { killAll } from './lib/proc.ts';
import { readCaseResults, renderDocument, writeCaseResult, writeDocument } from './lib/report.ts';
import { log, stopStartedServices } from './lib/services.ts';
import { summarize } from './lib/stats.ts';
import type { BenchCase, BenchOptions, CaseContext, CaseResult, RecordedRun, VariantResult } from './lib/types.ts';

const CASES: readonly BenchCase[] = [streamCase, latencyCase, backfillCase, taxiCase];

/** Sizes of a full run and of --quick (small, for development and the smoke test). */
const SIZES = {
  full: { omReadings: 100_000, omLocations: 100, taxiStreamRows: 1_000_000, latencyRate: 500, latencySeconds: 30, latencyTargetRate: 20_000, latencyTargetSeconds: 10, latencyDrainSeconds: 120, backfillStart: '2024-01-01', backfillEnd: '2025-10-16', backfillLocations: 100, taxiRows: 3_000_000 },
  quick: { omReadings: 3_000, omLocations: 10, taxiStreamRows: 20_000, latencyRate: 200, latencySeconds: 5, latencyTargetRate: 20_000, latencyTargetSeconds: 1, latencyDrainSeconds: 15, backfillStart: '2024-01-01', backfillEnd: '2024-02-29', backfillLocations: 5, taxiRows: 50_000 },
};

function positiveInt(v: string): number {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}
function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
}
function positiveNumber(v: string): number {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}
function date(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw new InvalidArgumentError('expected YYYY-MM-DD');
  return v;
}
function runsEntry(v: string, prev: Record<string, number> = {}): Record<string, number> {
  const m = /^([a-z]+(?:\.[a-z0-9-]+)?)=(\d+)$/.exec(v);
  if (!m || Number(m[2]) < 1) throw new InvalidArgumentError('expected CASE=N or CASE.VARIANT=N, e.g. backfill.spark=1');
  return { ...prev, [m[1]!]: Number(m[2]) };
}

const program = new Command()
  .name('npm run bench --')
  .description('Strata benchmarks: writes bench/results/<case>.json and bench/RESULTS.md')
  .argument('[cases...]', `cases to run (default: all): ${CASES.map((c) => c.name).join(', ')}`)
  .option('--quick', 'small sizes, one run per variant, no warm-up (development, smoke test)')
  .option('--repeats <n>', 'measured runs of every variant (default: per variant, e.g. 3; Spark 1)', positiveInt)
  .option('--warmup <n>', 'warm-up runs before them (default: per variant, 1 or 0)', nonNegativeInt)
  .option('--runs <case.variant=n>', 'measured runs of one case or variant, e.g. backfill.spark=2 or taxi=5 (repeatable)', runsEntry)
  .option('--out <dir>', 'write <case>.json and RESULTS.md into this folder instead of bench/results/ and bench/RESULTS.md')
  .option('--brokers <list>', 'Kafka bootstrap servers (default: $STRATA_KAFKA_BROKERS or 127.0.0.1:19092, started if down)')
  .option('--keep', 'keep the scratch warehouses (under .cache/bench/work/)')
  .addOption(new Option('--om-readings <n>', 'stream: Open-Meteo readings in the topic').argParser(positiveInt))
  .addOption(new Option('--om-locations <n>', 'stream, latency: locations the readings cycle through').argParser(positiveInt))
  .addOption(new Option('--taxi-stream-rows <n>', 'stream: taxi trips in the topic').argParser(positiveInt))
  .addOption(new Option('--latency-rate <r>', 'latency: offered records/s that Strata sustains').argParser(positiveNumber))
  .addOption(new Option('--latency-seconds <s>', 'latency: seconds of load at that rate').argParser(positiveNumber))
  .addOption(new Option('--latency-target-rate <r>', 'latency: the target rate, records/s').argParser(positiveNumber))
  .addOption(new Option('--latency-target-seconds <s>', 'latency: seconds of load at the target rate').argParser(positiveNumber))
  .addOption(new Option('--latency-drain-seconds <s>', 'latency: how long to wait for Gold after the load ends').argParser(positiveNumber))
  .addOption(new Option('--backfill-start <date>', 'backfill: first day').argParser(date))
  .addOption(new Option('--backfill-end <date>', 'backfill: last day').argParser(date))
  .addOption(new Option('--backfill-locations <n>', 'backfill: locations').argParser(positiveInt))
  .addOption(new Option('--backfill-engines <list>', 'backfill: engines to run, comma-separated').default('duckdb,spark').argParser((v) => {
    const list = v.split(',').map((s) => s.trim()).filter(Boolean);
    if (!list.length || list.some((e) => e !== 'duckdb' && e !== 'spark')) throw new InvalidArgumentError('expected duckdb, spark or duckdb,spark');
    return list;
  }))
  .option('--spark-master <master>', 'backfill: spark.master of the Spark runs', 'local[2]')
  .addOption(new Option('--taxi-rows <n>', 'taxi: trips in the generated month').argParser(positiveInt))
  .showHelpAfterError();

program.parse(process.argv);
const raw = program.opts<Partial<BenchOptions> & { quick?: boolean; runs?: Record<string, number>; out?: string; keep?: boolean; backfillEngines: string[]; sparkMaster: string }>();
const names = program.args.length ? program.args : CASES.map((c) => c.name);
for (const n of names) if (!CASES.some((c) => c.name === n)) program.error(`unknown case "${n}" (cases: ${CASES.map((c) => c.name).join(', ')})`);
for (const key of Object.keys(raw.runs ?? {})) if (!names.includes(key.split('.')[0]!)) program.error(`--runs ${key}: case not selected`);

const quick = Boolean(raw.quick);
const sizes = quick ? SIZES.quick : SIZES.full;
const pick = <K extends keyof typeof sizes>(k: K): (typeof sizes)[K] => (raw[k] as (typeof sizes)[K] | undefined) ?? sizes[k];
const opts: BenchOptions = {
  quick,
  repeats: raw.repeats,
  warmup: raw.warmup,
  runs: raw.runs ?? {},
  out: raw.out ? resolve(raw.out) : join(ROOT, 'bench/results'),
  markdown: raw.out ? join(resolve(raw.out), 'RESULTS.md') : join(ROOT, 'bench/RESULTS.md'),
  brokers: raw.brokers ?? process.env.STRATA_KAFKA_BROKERS ?? '127.0.0.1:19092',
  keep: Boolean(raw.keep),
  omReadings: pick('omReadings'),
  omLocations: pick('omLocations'),
  taxiStreamRows: pick('taxiStreamRows'),
  latencyRate: pick('latencyRate'),
  latencySeconds: pick('latencySeconds'),
  latencyTargetRate: pick('latencyTargetRate'),
  latencyTargetSeconds: pick('latencyTargetSeconds'),
  latencyDrainSeconds: pick('latencyDrainSeconds'),
  backfillStart: pick('backfillStart'),
  backfillEnd: pick('backfillEnd'),
  backfillLocations: pick('backfillLocations'),
  backfillEngines: raw.backfillEngines,
  sparkMaster: raw.sparkMaster,
  taxiRows: pick('taxiRows'),
};
if (opts.backfillStart > opts.backfillEnd) program.error(`--backfill-start ${opts.backfillStart} is after --backfill-end ${opts.backfillEnd}`);

const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, '');

function plan(caseName: string, variantId: string, defaults: { warmup: number; repeats: number }): { warmup: number; repeats: number } {
  const repeats = opts.runs[`${caseName}.${variantId}`] ?? opts.runs[caseName] ?? opts.repeats ?? (quick ? 1 : defaults.repeats);
  const warmup = opts.warmup ?? (quick ? 0 : defaults.warmup);
  return { warmup, repeats };
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    interrupted = true;
    log(`${sig}: stopping the runs in progress`);
    killAll('SIGTERM');
    setTimeout(() => killAll('SIGKILL'), 10_000).unref();
  });
}

const workRoot = join(CACHE, 'work', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
let failures = 0;
try {
  const machine = await machineInfo();
  for (const c of CASES.filter((x) => names.includes(x.name))) {
    if (interrupted) break;
    const workDir = join(workRoot, c.name);
    await mkdir(workDir, { recursive: true });
    const ctx: CaseContext = { opts, workDir, plan };
    const result: CaseResult = { case: c.name, title: c.title, quick, command, started_at: new Date().toISOString(), finished_at: '', machine: { ...machine }, params: {}, variants: [], derived: {}, targets: [], notes: [] };
    log(`${c.name}: preparing`);
    let cleanup: (() => Promise<void>) | undefined;
    try {
      const setup = await c.setup(ctx);
      cleanup = setup.cleanup;
      result.params = setup.params;
      result.notes = setup.notes ?? [];
      for (const v of setup.variants) {
        const vr: VariantResult = { id: v.id, label: v.label, warmup: v.warmup, repeats: v.repeats, runs: [], summary: {} };
        result.variants.push(vr);
        for (let i = 0; i < v.warmup + v.repeats && !interrupted; i++) {
          const warmup = i < v.warmup;
          const what = `${c.name}.${v.id} ${warmup ? `warm-up ${i + 1}/${v.warmup}` : `run ${i - v.warmup + 1}/${v.repeats}`}`;
          log(`${what}…`);
          try {
            const s = await v.run(i, warmup);
            vr.runs.push({ ...s, index: i, warmup });
            log(`${what}: ${s.seconds.toFixed(2)} s, peak RSS ${Math.round(s.peak_rss_mb)} MB`);
          } catch (err) {
            vr.error = interrupted ? 'interrupted' : (err as Error).message;
            log(`${what} failed: ${vr.error}`);
            failures++;
            break;
          }
        }
        vr.summary = summarizeRuns(vr.runs.filter((r) => !r.warmup));
      }
    } catch (err) {
      result.error = (err as Error).message;
      log(`${c.name} failed: ${result.error}`);
      failures++;
    } finally {
      await cleanup?.().catch((e: Error) => log(`${c.name}: clean-up failed: ${e.message}`));
      if (!opts.keep) await rm(workDir, { recursive: true, force: true });
    }
    // Set up by the case itself when they were not there at the start (a fresh machine).
    result.machine.spark = sparkVersion();
    result.machine.kafka = kafkaVersion(Number(/:(\d+)$/.exec(opts.brokers)?.[1] ?? 19092));
    Object.assign(result, c.assess(result));
    result.finished_at = new Date().toISOString();
    const file = await writeCaseResult(opts.out, result);
    await writeDocument(opts.markdown, renderDocument(await readCaseResults(opts.out, CASES), CASES, opts.out.startsWith(ROOT) ? relative(ROOT, opts.out) : opts.out));
    log(`${c.name}: done → ${file}, ${opts.markdown}`);
  }
} finally {
  killAll('SIGKILL');
  await stopStartedServices();
  if (!opts.keep) await rm(workRoot, { recursive: true, force: true });
}
process.exitCode = interrupted ? 130 : failures ? 1 : 0;

function summarizeRuns(runs: RecordedRun[]): VariantResult['summary'] {
  const keys = new Set(runs.flatMap((r) => Object.keys(r.metrics)));
  const out: VariantResult['summary'] = { seconds: summarize(runs.map((r) => r.seconds)), peak_rss_mb: summarize(runs.map((r) => r.peak_rss_mb)) };
  for (const k of keys) out[k] = summarize(runs.map((r) => r.metrics[k] ?? NaN));
  return out;
}
