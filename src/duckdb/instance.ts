import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DuckDBSettings {
  threads?: number;
  memory_limit?: string;
  /** Where DuckDB spills when a query exceeds memory_limit. */
  temp_directory?: string;
}

/**
 * One in-memory DuckDB per process. In-memory on purpose: the warehouse is Parquet files, so no
 * database file is ever locked and other processes (strata query, Spark, pandas) can read it.
 */
export async function openDuckDB(settings: DuckDBSettings = {}): Promise<DuckDBInstance> {
  const options: Record<string, string> = {};
  if (settings.threads) options.threads = String(settings.threads);
  if (settings.memory_limit) options.memory_limit = settings.memory_limit;
  if (settings.temp_directory) options.temp_directory = settings.temp_directory;
  // DuckDB (1.3+) keeps what it reads from files in an "external file cache" that is only freed
  // under memory_limit pressure. The warehouse gets new files with every batch and replaces
  // partitions, so the cache grew steadily (~0.7 MB/min in `npm run soak`) with entries for files
  // never read again; the OS page cache already serves re-reads of local files.
  options.enable_external_file_cache = 'false';
  const db = await DuckDBInstance.create(':memory:', options);
  const conn = await db.connect();
  // Timestamps in the warehouse are UTC; make sure TIMESTAMPTZ maths never picks up the host's zone.
  await conn.run("SET TimeZone = 'UTC'");
  conn.closeSync();
  return db;
}

/** Quotes a SQL string literal. */
export function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Quotes an identifier (already validated by the schema; quoting keeps reserved words safe). */
export function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** A SQL list literal of file paths, for read_parquet([...]). */
export function fileList(files: readonly string[]): string {
  return `[${files.map(lit).join(', ')}]`;
}

export async function scalar<T>(conn: DuckDBConnection, sql: string): Promise<T> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowsJS()[0]?.[0] as T;
}
