/**
 * 3. Backfill: a window of Open-Meteo readings (default 2024-01-01 → 2025-10-16, 100 locations).
 * Bronze is landed once from the local Open-Meteo emulator and kept in .cache/bench; each run copies
 * it into a fresh warehouse and replays Silver + Gold with `strata backfill --skip-bronze`, in-process
 * (DuckDB) and on Spark (`--engine spark`, default master local[2]: one spark-submit per monthly chunk).
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startOpenMeteoEmulator } from '../../dev/open-meteo/emulator.ts';
import { locationsFile } from '../lib/data.ts';
import { CACHE } from '../lib/paths.ts';
import { runMeasured, STRATA_BIN } from '../lib/proc.ts';
import { caseHeader, errorsText, fmt, fmtAuto, fmtSummary, med, rssText, runsText, table, variant } from '../lib/report.ts';
import { log, sparkEnv } from '../lib/services.ts';
import type { BenchCase, CaseContext, CaseResult, RunSample, TargetCheck, Variant } from '../lib/types.ts';

const TARGET_SECONDS = 60;
const TARGET_RSS_MB = 1024;
const TARGET_SPEEDUP = 10;

async function countRows(warehouse: string, table: string): Promise<number> {
  const r = await runMeasured(process.execPath, [STRATA_BIN, 'query', '--format', 'json', `SELECT count(*) AS n FROM ${table}`], { env: { ...process.env, STRATA_WAREHOUSE: warehouse, STRATA_LOG_LEVEL: 'warn' }, timeoutMs: 10 * 60_000 });
  return Number((JSON.parse(r.stdout) as { n: number }[])[0]!.n);
}

/** Bronze of the window, landed once per (locations, window) and reused by every later run. */
async function bronze(locations: string, n: number, start: string, end: string): Promise<{ warehouse: string; rows: number; seconds?: number }> {
  const dir = join(CACHE, `backfill-${n}loc-${start}-${end}`);
  const warehouse = join(dir, 'warehouse');
  const marker = join(dir, 'complete');
  if (existsSync(marker)) {
    const m = JSON.parse(await readFile(marker, 'utf8')) as { seconds: number };
    return { warehouse, rows: await countRows(warehouse, 'bronze.open_meteo_air_quality'), seconds: m.seconds };
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  try {
    log(`backfill: landing Bronze for ${n} locations, ${start} → ${end} (once; kept in ${dir})`);
    const r = await runMeasured(process.execPath, [STRATA_BIN, 'backfill', '--topology', 'air_quality', '--start-date', start, '--end-date', end, '--engine', 'duckdb', '--skip-silver', '--skip-gold', '--locations', locations, '--fail-fast'], {
      env: { ...process.env, STRATA_WAREHOUSE: warehouse, STRATA_OPEN_METEO_BASE_URL: emu.url, STRATA_LOG_LEVEL: 'warn' },
      timeoutMs: 2 * 60 * 60_000,
    });
    const rows = await countRows(warehouse, 'bronze.open_meteo_air_quality');
    await writeFile(marker, JSON.stringify({ rows, seconds: r.seconds }) + '\n');
    return { warehouse, rows, seconds: r.seconds };
  } finally {
    await emu.close();
  }
}

/** "Backfill <id>: ok — 22 ok, 0 failed, 0 skipped (resumed); 1,000 records in, 9,000 rows written, 0 rejected; 41.2 s" */
function parseSummary(stdout: string): { status: string; chunks: number; rowsIn: number; rowsOut: number; seconds: number } {
  const m = /Backfill \S+: (\w+) — (\d+) ok, (\d+) failed.*?; ([\d,]+) records in, ([\d,]+) rows written.*?; ([\d.]+) s/.exec(stdout);
  if (!m) throw new Error(`no backfill summary in the output:\n${stdout.slice(-2000)}`);
  const num = (s: string): number => Number(s.replace(/,/g, ''));
  if (m[1] !== 'ok' || num(m[3]!) > 0) throw new Error(`backfill ${m[1]}: ${m[0]}`);
  return { status: m[1]!, chunks: num(m[2]!), rowsIn: num(m[4]!), rowsOut: num(m[5]!), seconds: Number(m[6]) };
}

export const backfillCase: BenchCase = {
  name: 'backfill',
  title: '3. Backfill',

  async setup(ctx: CaseContext) {
    const { opts } = ctx;
    const locations = await locationsFile(opts.backfillLocations);
    const b = await bronze(locations, opts.backfillLocations, opts.backfillStart, opts.backfillEnd);

    const replay = async (engine: 'duckdb' | 'spark', env: NodeJS.ProcessEnv): Promise<RunSample> => {
      const warehouse = await mkdtemp(join(ctx.workDir, `wh-${engine}-`));
      await cp(join(b.warehouse, 'bronze'), join(warehouse, 'bronze'), { recursive: true });
      const r = await runMeasured(process.execPath, [STRATA_BIN, 'backfill', '--topology', 'air_quality', '--start-date', opts.backfillStart, '--end-date', opts.backfillEnd, '--engine', engine, '--skip-bronze', '--locations', locations, '--fail-fast'], {
        env: { ...env, STRATA_WAREHOUSE: warehouse, STRATA_LOG_LEVEL: 'warn' },
        timeoutMs: (engine === 'spark' ? 6 * 60 : 60) * 60_000,
        rssIntervalMs: 250,
      });
      const s = parseSummary(r.stdout);
      const gold = await countRows(warehouse, 'gold.aqi_hourly');
      if (!opts.keep) await rm(warehouse, { recursive: true, force: true });
      return {
        seconds: r.seconds,
        metrics: { bronze_rows_per_s: b.rows / r.seconds, backfill_reported_s: s.seconds },
        peak_rss_mb: r.peakRssBytes / 2 ** 20,
        notes: { chunks: s.chunks, rows_in: s.rowsIn, rows_written: s.rowsOut, gold_aqi_hourly_rows: gold },
      };
    };

    const variants: Variant[] = [];
    if (opts.backfillEngines.includes('duckdb')) {
      variants.push({ id: 'duckdb', label: 'in-process (DuckDB)', ...ctx.plan('backfill', 'duckdb', { warmup: 1, repeats: 3 }), run: () => replay('duckdb', process.env) });
    }
    if (opts.backfillEngines.includes('spark')) {
      const env = { ...(await sparkEnv()), STRATA_SPARK_MASTER: opts.sparkMaster };
      variants.push({ id: 'spark', label: `Spark ${opts.sparkMaster}`, ...ctx.plan('backfill', 'spark', { warmup: 0, repeats: 1 }), run: () => replay('spark', env) });
    }
    return {
      params: { start: opts.backfillStart, end: opts.backfillEnd, locations: opts.backfillLocations, bronze_rows: b.rows, bronze_landing_seconds: b.seconds, spark_master: opts.sparkMaster },
      variants,
    };
  },

  assess(r: CaseResult) {
    const duck = med(r, 'duckdb', 'seconds');
    const spark = med(r, 'spark', 'seconds');
    const rss = variant(r, 'duckdb')?.summary.peak_rss_mb?.max;
    const derived: Record<string, number> = {};
    if (duck !== undefined && spark !== undefined) derived.spark_over_in_process = spark / duck;
    const speedup = derived.spark_over_in_process;
    const targets: TargetCheck[] = [
      { what: 'in-process Silver + Gold replay, seconds', target: `≤ ${TARGET_SECONDS} s`, measured: duck === undefined ? '–' : `${fmtAuto(duck)} s`, met: duck === undefined ? null : duck <= TARGET_SECONDS },
      { what: 'in-process peak RSS (largest run)', target: `≤ ${fmt(TARGET_RSS_MB)} MB`, measured: rss === undefined ? '–' : `${fmt(rss)} MB`, met: rss === undefined ? null : rss <= TARGET_RSS_MB },
      { what: `speed-up over Spark ${String(r.params.spark_master)}`, target: `≥ ${TARGET_SPEEDUP}×`, measured: speedup === undefined ? '–' : `${fmtAuto(speedup)}×`, met: speedup === undefined ? null : speedup >= TARGET_SPEEDUP },
    ];
    return { derived, targets };
  },

  render(r: CaseResult) {
    const p = r.params as Record<string, number | string>;
    const rows = r.variants.map((v) => [v.label, runsText(v), fmtSummary(v.summary.seconds), fmtSummary(v.summary.bronze_rows_per_s, (n) => fmt(n)), rssText(v)]);
    const first = variant(r, 'duckdb') ?? variant(r, 'spark');
    const notes = first?.runs.find((x) => !x.warmup)?.notes ?? {};
    return `## ${r.title}\n\n${caseHeader(r)}\n` +
      `${p.start} → ${p.end}, ${fmt(Number(p.locations))} locations: ${fmt(Number(p.bronze_rows))} Bronze readings (landed once from the Open-Meteo emulator${p.bronze_landing_seconds ? ` in ${fmtAuto(Number(p.bronze_landing_seconds))} s` : ''} and reused; not timed), ` +
      `replayed to Silver and Gold with \`strata backfill --skip-bronze\` (${notes.chunks ?? '–'} monthly chunks; ${fmt(Number(notes.rows_written ?? NaN))} rows written, ${fmt(Number(notes.gold_aqi_hourly_rows ?? NaN))} in gold.aqi_hourly). ` +
      'Seconds: the whole command, process start to exit. Spark: one spark-submit per chunk; its peak RSS sums the strata process, spark-submit\'s JVM and the Python workers.\n\n' +
      table(['engine', 'runs', 'seconds', 'Bronze rows/s', 'peak RSS per run, MB'], rows) +
      (r.derived.spark_over_in_process !== undefined ? `\nSpark / in-process: ${fmtAuto(r.derived.spark_over_in_process)}× the time.\n` : '') +
      errorsText(r);
  },
};
