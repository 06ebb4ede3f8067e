import type { DuckDBConnection } from '@duckdb/node-api';
import type { StatePaths } from '../core/state.ts';
import type { TableFreshness } from '../observability/freshness.ts';

/** Some partitions of a table: `column` (a DATE) in `values` (YYYY-MM-DD). */
export interface PartitionFilter {
  column: string;
  values: readonly string[];
}

/**
 * Where the tables live, and the three ways they are written. Every write is idempotent for the
 * same input and atomic for a reader: a re-delivered batch, a re-run chunk or a restart after a
 * crash gives the same tables. Relations are DuckDB relations (a temp table, a view, a subquery)
 * on `conn`. Each call returns the partition values it wrote.
 */
export interface Warehouse {
  /** `local` (Parquet files in a folder) or a catalog mode. */
  readonly kind: string;
  /** A folder or a catalog address, for logs and `/readyz`. */
  readonly location: string;
  /** Engine state: run history, locks, caches, schedules. */
  readonly state: StatePaths;

  /** Prepares a DuckDB connection to read and write the tables (extensions, catalogs). */
  connect(conn: DuckDBConnection): Promise<void>;
  /** Leftovers of writers that died mid-write are removed (at start). */
  recover(): Promise<void>;

  /** SQL reading the table (only some partitions), or undefined when it holds no rows there. */
  scan(conn: DuckDBConnection, table: string, filter?: PartitionFilter): Promise<string | undefined>;
  /** The table's rows, as many files or snapshots as it takes, for `strata query`: `<layer>.<name>` views. */
  attach(conn: DuckDBConnection): Promise<string[]>;
  /** Runs a read (which lists what it reads itself, e.g. through `attach`) so that it sees each table whole, never mid-write. */
  consistent<T>(read: () => Promise<T>): Promise<T>;
  /** Tables that hold rows, `layer.name`. */
  tables(): Promise<string[]>;

  /** Adds rows, filed by the batch they came from (its `_batch_id` column, else `batchId`): a re-sent batch replaces its own rows. */
  append(conn: DuckDBConnection, relation: string, table: string, opts: { partitionBy?: string; batchId: string }): Promise<string[]>;
  /** Merges rows by `key` into what the table holds: the greatest `orderBy` wins. The relation holds one row per key. */
  upsert(conn: DuckDBConnection, relation: string, table: string, opts: { partitionBy?: string; key: readonly string[]; orderBy: readonly string[] }): Promise<string[]>;
  /** Replaces the partitions the relation has rows in (all of the table when it is not partitioned). */
  replace(conn: DuckDBConnection, relation: string, table: string, opts: { partitionBy?: string }): Promise<string[]>;

  /** The newest partition of each table of a layer, and when it was written (freshness metrics). */
  freshness(layer: 'gold'): Promise<TableFreshness[]>;
}
