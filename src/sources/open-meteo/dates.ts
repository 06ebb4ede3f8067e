import { DataError } from '../../core/errors.ts';

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** An inclusive range of calendar dates, both 'YYYY-MM-DD'. */
export interface DateRange {
  start: string;
  end: string;
}

/** 'YYYY-MM-DD' → epoch ms of its UTC midnight; undefined when malformed or not a real date. */
export function parseIsoDate(s: string): number | undefined {
  const m = ISO_DATE.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC silently rolls 2023-02-30 into March; the round trip rejects it.
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d ? ms : undefined;
}

export function formatIsoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Number of days in an inclusive range. */
export function daysInRange(start: string, end: string): number {
  const [s, e] = checkRange(start, end);
  return (e - s) / DAY_MS + 1;
}

/**
 * Splits [start, end] (inclusive) into consecutive ranges of at most `maxDays` days, so that a
 * long backfill becomes requests the API accepts and a failure costs one chunk, not the range.
 */
export function splitDateRange(start: string, end: string, maxDays: number): DateRange[] {
  if (!Number.isInteger(maxDays) || maxDays < 1) {
    throw new DataError('INVALID_DATE_RANGE', `maxDaysPerRequest must be a positive integer, got ${maxDays}`, { maxDays });
  }
  const [s, e] = checkRange(start, end);
  const out: DateRange[] = [];
  for (let from = s; from <= e; from += maxDays * DAY_MS) {
    const to = Math.min(from + (maxDays - 1) * DAY_MS, e);
    out.push({ start: formatIsoDate(from), end: formatIsoDate(to) });
  }
  return out;
}

function checkRange(start: string, end: string): [number, number] {
  const s = parseIsoDate(start);
  const e = parseIsoDate(end);
  if (s === undefined) throw new DataError('INVALID_DATE_RANGE', `start date '${start}' is not a valid YYYY-MM-DD date`, { start, end });
  if (e === undefined) throw new DataError('INVALID_DATE_RANGE', `end date '${end}' is not a valid YYYY-MM-DD date`, { start, end });
  if (e < s) throw new DataError('INVALID_DATE_RANGE', `end date ${end} is before start date ${start}`, { start, end });
  return [s, e];
}
