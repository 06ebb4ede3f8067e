import { StrataError } from '../core/errors.ts';
import { addDays } from '../core/dates.ts';
import type { DateWindow } from '../sources/source.ts';

export type ChunkSize = 'daily' | 'weekly' | 'monthly';
export type EngineChoice = 'auto' | 'duckdb' | 'spark';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A date the user typed: YYYY-MM-DD and a real calendar day, or a BackfillError saying which flag is wrong. */
export function parseDay(value: string, flag: string): string {
  const t = Date.parse(`${value}T00:00:00Z`);
  if (!DATE_RE.test(value) || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value) {
    throw new StrataError('BACKFILL_BAD_DATE', `${flag}: "${value}" is not a date (expected YYYY-MM-DD, e.g. 2024-01-31)`, { flag, value });
  }
  return value;
}

/** Checks a window before any work: ordered, not in the future. */
export function checkWindow(start: string, end: string, today: string = new Date().toISOString().slice(0, 10)): DateWindow {
  parseDay(start, '--start-date');
  parseDay(end, '--end-date');
  if (start > end) throw new StrataError('BACKFILL_BAD_WINDOW', `--start-date ${start} is after --end-date ${end}`, { start, end });
  if (end > today) throw new StrataError('BACKFILL_FUTURE_WINDOW', `--end-date ${end} is in the future (today is ${today} UTC); history only goes up to today`, { end, today });
  return { start, end };
}

/** Splits a window into chunks: days; ISO weeks (Monday–Sunday); calendar months — clipped to the window. */
export function splitWindow(w: DateWindow, size: ChunkSize): DateWindow[] {
  const out: DateWindow[] = [];
  for (let s = w.start; s <= w.end; ) {
    let e: string;
    if (size === 'daily') e = s;
    else if (size === 'weekly') {
      const dow = new Date(`${s}T00:00:00Z`).getUTCDay(); // 0 = Sunday
      e = addDays(s, (7 - dow) % 7);
    } else {
      const d = new Date(`${s}T00:00:00Z`);
      e = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
    }
    if (e > w.end) e = w.end;
    out.push({ start: s, end: e });
    s = addDays(e, 1);
  }
  return out;
}

export interface PlannedChunk extends DateWindow {
  id: string;
  estimatedRecords: number;
}

export interface BackfillPlan {
  topology: string;
  window: DateWindow;
  chunk: ChunkSize;
  chunks: PlannedChunk[];
  estimatedRecords: number;
  basis: string;
  engine: 'duckdb' | 'spark';
  engineReason: string;
}

export function chooseEngine(requested: EngineChoice, records: number, threshold: number): { engine: 'duckdb' | 'spark'; reason: string } {
  if (requested !== 'auto') return { engine: requested, reason: `--engine ${requested}` };
  return records > threshold
    ? { engine: 'spark', reason: `auto: ${records.toLocaleString('en')} records > threshold ${threshold.toLocaleString('en')}` }
    : { engine: 'duckdb', reason: `auto: ${records.toLocaleString('en')} records ≤ threshold ${threshold.toLocaleString('en')} (in-process)` };
}

/** The plan as printed before a backfill starts. */
export function formatPlan(p: BackfillPlan): string {
  const lines = [
    `Backfill plan: topology ${p.topology}, ${p.window.start} → ${p.window.end}, ${p.chunks.length} ${p.chunk} chunk(s)`,
    `  estimated source records: ${p.estimatedRecords.toLocaleString('en')} (${p.basis})`,
    `  engine: ${p.engine} — ${p.engineReason}`,
  ];
  const show = p.chunks.length <= 12 ? p.chunks : [...p.chunks.slice(0, 5), undefined, ...p.chunks.slice(-5)];
  for (const c of show) lines.push(c ? `  ${c.id}  ${c.start} → ${c.end}  ~${c.estimatedRecords.toLocaleString('en')} records` : '  …');
  return lines.join('\n') + '\n';
}
