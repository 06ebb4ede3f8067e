/**
 * 4. Taxi month: a generated month of yellow trips (default 3 million, from the real sample's
 * distribution) Bronze → Silver → Gold by `strata run` in-process (the tlc source reading the file),
 * and the same SQL models in a bare DuckDB on the same Parquet: the ratio is Strata's overhead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { taxiMonthFile, taxiTopologyFor } from '../lib/data.ts';
import { ROOT } from '../lib/paths.ts';
import { runMeasured } from '../lib/proc.ts';
import { caseHeader, errorsText, fmt, fmtAuto, fmtSummary, med, rssText, runsText, table, variant } from '../lib/report.ts';
import { Service } from '../lib/service.ts';
import type { BenchCase, CaseContext, CaseResult, Variant } from '../lib/types.ts';

const TARGET_RATIO = 1.5;

export const taxiCase: BenchCase = {
  name: 'taxi',
  title: '4. Taxi month',

  async setup(ctx: CaseContext) {
    const { opts } = ctx;
    const rows = opts.taxiRows;
    const file = await taxiMonthFile(rows);
    const topology = await taxiTopologyFor(file);
    const variants: Variant[] = [
      {
        id: 'strata',
        label: 'Strata, `strata run` (taxi topology)',
        ...ctx.plan('taxi', 'strata', { warmup: 1, repeats: 3 }),
        async run() {
          const warehouse = await mkdtemp(join(ctx.workDir, 'wh-'));
          const svc = await Service.start({ dir: ctx.workDir, topologies: [topology], warehouse });
          const end = await svc.run(() => svc.rows >= rows, 60 * 60_000, `${rows} trips in Gold`);
          if (svc.rows !== rows) throw new Error(`${svc.rows} trips committed, expected ${rows}`);
          if (!opts.keep) await rm(warehouse, { recursive: true, force: true });
          // Process start to the last batch committed, as for the bare run (start to exit).
          const seconds = (svc.commits.at(-1)!.time - svc.spawnedAt) / 1000;
          return { seconds, metrics: { rows_per_s: rows / seconds }, peak_rss_mb: end.peakRssBytes / 2 ** 20, notes: { batches: svc.commits.length } };
        },
      },
      {
        id: 'bare',
        label: 'bare DuckDB, same SQL models',
        ...ctx.plan('taxi', 'bare', { warmup: 1, repeats: 3 }),
        async run() {
          const out = await mkdtemp(join(ctx.workDir, 'bare-'));
          const r = await runMeasured(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/workers/taxi-bare.ts'), '--file', file, '--out', out], { timeoutMs: 60 * 60_000 });
          await rm(out, { recursive: true, force: true });
          const w = JSON.parse(r.stdout) as { rows: number; seconds: number };
          if (w.rows !== rows) throw new Error(`bare DuckDB read ${w.rows} trips, expected ${rows}`);
          return { seconds: r.seconds, metrics: { rows_per_s: rows / r.seconds, sql_seconds: w.seconds }, peak_rss_mb: r.peakRssBytes / 2 ** 20 };
        },
      },
    ];
    return { params: { rows, file: file.slice(ROOT.length) }, variants };
  },

  assess(r: CaseResult) {
    const strata = med(r, 'strata', 'seconds');
    const bare = med(r, 'bare', 'seconds');
    const ratio = strata !== undefined && bare !== undefined ? strata / bare : undefined;
    return {
      derived: ratio === undefined ? {} : ({ strata_over_bare: ratio } as Record<string, number>),
      targets: [{ what: 'Bronze → Gold time, Strata / bare DuckDB', target: `≤ ${TARGET_RATIO}×`, measured: ratio === undefined ? '–' : `${fmtAuto(ratio)}×`, met: ratio === undefined ? null : ratio <= TARGET_RATIO }],
    };
  },

  render(r: CaseResult) {
    const p = r.params as { rows: number; file: string };
    const rows = r.variants.map((v) => [v.label, runsText(v), fmtSummary(v.summary.seconds), fmtSummary(v.summary.rows_per_s, (n) => fmt(n)), rssText(v)]);
    const batches = variant(r, 'strata')?.runs.find((x) => !x.warmup)?.notes?.batches;
    const sql = med(r, 'bare', 'sql_seconds');
    return `## ${r.title}\n\n${caseHeader(r)}\n` +
      `${fmt(p.rows)} yellow trips generated from the real sample's distribution (\`${p.file}\`, scripts/generate-taxi-month.ts), Bronze → Silver (and rejects) → Gold. ` +
      `Strata: \`strata run\` with the taxi topology reading that file${batches ? ` (${batches} batch${batches === 1 ? '' : 'es'})` : ''}, from process start to the last batch committed. ` +
      `Bare DuckDB: the same SQL models over the whole file in one DuckDB, each table written once (bench/workers/taxi-bare.ts), process start to exit${sql !== undefined ? `; ${fmtAuto(sql)} s of it is the SQL` : ''}.\n\n` +
      table(['run', 'runs', 'seconds', 'rows/s', 'peak RSS per run, MB'], rows) +
      (r.derived.strata_over_bare !== undefined ? `\nStrata / bare DuckDB: ${fmtAuto(r.derived.strata_over_bare)}× the time.\n` : '') +
      errorsText(r);
  },
};
