/**
 * How the local layout names partitions and batch files: the one place these names are built and
 * parsed (the in-process engine, the Spark engine's inputs and the freshness scan all use it).
 */

/** The one data file of a replaceable partition: replacing it is a single atomic rename. */
export const DATA_FILE = 'data.parquet';

/** The folder Hive partitioning (DuckDB and Spark) writes NULL partition values to. */
export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

/** A batch id usable in a file name. */
export function fileSafe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 180);
}

/** The file a batch's rows are appended as, in each partition it touches. */
export function batchFileName(batchId: string): string {
  return `part-${fileSafe(batchId)}.parquet`;
}

/** `date=2025-01-02`: values are URL-encoded as DuckDB writes them (dates need none). */
export function partitionDirName(column: string, value: string): string {
  return `${column}=${value === HIVE_NULL ? value : encodeURIComponent(value)}`;
}

/** The partition value a data file sits in (`…/<column>=<value>/<file>`), decoded; undefined if none. */
export function partitionOf(file: string, column?: string): string | undefined {
  const parts = file.split('/');
  const dir = parts[parts.length - 2];
  const eq = dir?.indexOf('=') ?? -1;
  if (!dir || eq < 1 || (column && dir.slice(0, eq) !== column)) return undefined;
  return decodeURIComponent(dir.slice(eq + 1));
}

/** The distinct partition values of a list of files, sorted; Hive's NULL partition left out. */
export function partitionValues(files: readonly string[], column?: string): string[] {
  const out = new Set<string>();
  for (const f of files) {
    const v = partitionOf(f, column);
    if (v !== undefined && v !== HIVE_NULL) out.add(v);
  }
  return [...out].sort();
}
