/** Summary statistics of benchmark samples. Percentiles use linear interpolation between ranks. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

function sorted(xs: readonly number[]): number[] {
  return [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
}

/** The p-th percentile (0..100) of `xs`; NaN for no finite value. */
export function percentile(xs: readonly number[], p: number): number {
  const s = sorted(xs);
  if (!s.length) return NaN;
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);
export const p50 = median;
export const p99 = (xs: readonly number[]): number => percentile(xs, 99);
export const min = (xs: readonly number[]): number => sorted(xs)[0] ?? NaN;
export const max = (xs: readonly number[]): number => sorted(xs).at(-1) ?? NaN;

export function summarize(xs: readonly number[]): Summary {
  return { median: median(xs), min: min(xs), max: max(xs), n: sorted(xs).length };
}
