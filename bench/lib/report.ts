/** JSON results per case and the Markdown document built from them. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Summary } from './stats.ts';
import type { BenchCase, CaseResult, TargetCheck, VariantResult } from './types.ts';

export function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || Number.isNaN(n)) return '–';
  if (n === Infinity) return '∞';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Enough significant digits for a figure of any size (0.0123, 1.23, 123, 12,345). */
export function fmtAuto(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return fmt(n);
  const a = Math.abs(n);
  return fmt(n, a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

/** "median (min–max)", or just the value for one run. */
export function fmtSummary(s: Summary | undefined, f: (n: number) => string = fmtAuto): string {
  if (!s || !s.n) return '–';
  if (s.n === 1 || s.min === s.max) return f(s.median);
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

export function runsText(v: VariantResult): string {
  const measured = v.runs.filter((r) => !r.warmup).length;
  return `${measured}${v.warmup ? ` + ${v.warmup} warm-up` : ''}`;
}

/** Peak RSS of every measured run, MB, in run order. */
export function rssText(v: VariantResult): string {
  const runs = v.runs.filter((r) => !r.warmup);
  return runs.length ? runs.map((r) => fmt(r.peak_rss_mb)).join(' · ') : '–';
}

export function metText(t: TargetCheck): string {
  return t.met === null ? 'not measured' : t.met ? 'met' : '**not met**';
}

export function variant(r: CaseResult, id: string): VariantResult | undefined {
  const v = r.variants.find((x) => x.id === id);
  return v && !v.error && v.runs.some((x) => !x.warmup) ? v : undefined;
}

export function med(r: CaseResult, id: string, metric: string): number | undefined {
  return variant(r, id)?.summary[metric]?.median;
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

/** Errors of failed variants, as a list under the case's table. */
export function errorsText(r: CaseResult): string {
  const failed = r.variants.filter((v) => v.error);
  const lines = [...(r.error ? [`- **case failed**: ${oneLine(r.error)}`] : []), ...failed.map((v) => `- **${v.label} failed**: ${oneLine(v.error!)}`)];
  return lines.length ? `\n${lines.join('\n')}\n` : '';
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').slice(0, 400);
}

export function caseHeader(r: CaseResult): string {
  const m = r.machine;
  return `_${r.quick ? '**quick mode (small sizes, not comparable with the targets)** · ' : ''}run ${r.started_at.slice(0, 16).replace('T', ' ')} UTC on commit \`${m.git_commit}\`${m.git_dirty ? ' (with uncommitted changes)' : ''}, load average ${m.load_average_1m} at start · \`${r.command}\`_\n`;
}

export async function writeCaseResult(dir: string, r: CaseResult): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${r.case}.json`);
  await writeFile(`${file}.tmp`, JSON.stringify(r, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
  return file;
}

/** Every case's latest result in `dir`, in the cases' order. */
export async function readCaseResults(dir: string, cases: readonly BenchCase[]): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const c of cases) {
    const f = join(dir, `${c.name}.json`);
    if (existsSync(f)) out.push(JSON.parse(await readFile(f, 'utf8')) as CaseResult);
  }
  return out;
}

export function renderDocument(results: CaseResult[], cases: readonly BenchCase[], jsonDir: string): string {
  if (!results.length) return '# Strata benchmarks\n\nNo results yet: run `npm run bench`.\n';
  const newest = [...results].sort((a, b) => b.started_at.localeCompare(a.started_at))[0]!;
  const m = newest.machine;
  const parts: string[] = [];
  parts.push('# Strata benchmarks\n');
  parts.push(`Written by \`npm run bench\` (bench/run.ts) from the latest result of each case (\`${jsonDir}/<case>.json\`); do not edit by hand. ` +
    'Figures are medians over the measured runs, with min–max in brackets; each run comes after the warm-up runs shown. ' +
    'Peak RSS is that of the measured process tree, per measured run, in MB (2^20 bytes); MB/s are 10^6 bytes per second.\n');
  parts.push(table(['machine', ''], [
    ['CPU', `${m.cores} cores, ${m.cpu_model}`],
    ['memory', `${m.memory_gib} GiB`],
    ['kernel', m.kernel],
    ['Node.js', m.node],
    ['DuckDB', `${m.duckdb} (@duckdb/node-api ${m.duckdb_node_api})`],
    ['Spark', m.spark],
    ['Kafka broker', `${m.kafka}; kcat ${m.kcat}`],
    ['date, commit', `${m.date.slice(0, 10)}, \`${m.git_commit}\`${m.git_dirty ? ' (with uncommitted changes)' : ''} (of the newest case; each case shows its own)`],
  ]));
  const targets = results.flatMap((r) => r.targets.map((t) => [`${cases.find((c) => c.name === r.case)?.title ?? r.case}${r.quick ? ' (quick)' : ''}`, t.what, t.target, t.measured, metText(t)]));
  if (targets.length) parts.push('## Targets (issue 9)\n\n' + table(['case', 'measure', 'target', 'measured', ''], targets));
  for (const r of results) {
    const c = cases.find((x) => x.name === r.case);
    if (c) parts.push(c.render(r));
  }
  parts.push(memorySection(results, cases));
  return parts.join('\n');
}

/** 5. Memory: the peak RSS of every case and variant in one place. */
function memorySection(results: CaseResult[], cases: readonly BenchCase[]): string {
  const rows = results.flatMap((r) =>
    r.variants
      .filter((v) => v.runs.some((x) => !x.warmup))
      .map((v) => [cases.find((c) => c.name === r.case)?.title ?? r.case, v.label, fmtSummary(v.summary.peak_rss_mb, (n) => fmt(n)), rssText(v)]),
  );
  return '## 5. Memory\n\nPeak RSS of each measured process tree (Strata: the `strata` process and its children, e.g. spark-submit and its JVM and Python workers).\n\n' +
    table(['case', 'run', 'peak RSS, MB: median (min–max)', 'each run'], rows);
}

/** Everything from this line on in RESULTS.md is hand-written narrative (how to run, where the time goes) and survives a regeneration. */
export const NARRATIVE_MARKER = '<!-- narrative: hand-written below this line; npm run bench keeps it -->';

export async function writeDocument(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const old = await readFile(file, 'utf8').catch(() => '');
  const at = old.indexOf(NARRATIVE_MARKER);
  if (at >= 0) text = `${text.trimEnd()}\n\n${old.slice(at)}`;
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}
