export interface TableFreshness {
  /** e.g. gold.aqi_daily */
  table: string;
  /** The newest partition's value, e.g. 2025-10-16 or 2025-10. */
  newest: string;
  /** Start of that day or month, Unix seconds (UTC). */
  newestStart: number;
  /** When that partition was last written, Unix seconds. */
  writtenAt: number;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

/** Unix seconds of the start (UTC) of a partition value, or undefined when it is not a day or month. */
export function partitionStart(value: string): number | undefined {
  let m = DAY.exec(value);
  if (m) return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 1000;
  m = MONTH.exec(value);
  if (m) return Date.UTC(Number(m[1]), Number(m[2]) - 1, 1) / 1000;
  return undefined;
}
