import { lit } from './instance.ts';

/**
 * How Strata reads a seed or relation CSV (a small static table), spelled out rather than left to
 * DuckDB's defaults: a header line, comma-separated, double-quoted with `""` escapes, and only an
 * empty field is NULL — strings such as `NA`, `N/A` or `NV` (the TLC zone lookup's "Unknown" rows)
 * stay strings. Column types are detected from the whole file (sample_size = -1), so a value late in
 * the file cannot contradict a type guessed from its first lines.
 */
export function seedCsvSql(file: string): string {
  return `read_csv(${lit(file)}, header = true, delim = ',', quote = '"', escape = '"', nullstr = '', auto_detect = true, sample_size = -1)`;
}
