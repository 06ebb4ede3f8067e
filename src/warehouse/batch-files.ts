import type { DuckDBConnection } from '@duckdb/node-api';
import { ident, lit } from '../duckdb/instance.ts';
import type { Warehouse } from './warehouse.ts';

/** The column that names the source batch (a Kafka offset range, a poll window) a row came from. */
export const BATCH_ID_COLUMN = '_batch_id';

/** A batch id usable in a file name. */
export function fileSafe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 180);
}

/**
 * Appends the rows of temp table `relation` to `table`, one file per source batch (per partition),
 * named after the row's `_batch_id`: re-delivering a batch — alone, or grouped with other
 * partitions' ranges differently than the first time — rewrites the same files instead of adding
 * copies. Rows without a batch id are filed under `fallbackId`. Returns the partitions written.
 */
export async function appendByBatch(
  conn: DuckDBConnection, warehouse: Warehouse, relation: string, table: string, partitionBy: string | undefined, fallbackId: string,
): Promise<string[]> {
  const cols = (await conn.runAndReadAll(`DESCRIBE ${ident(relation)}`)).getRowsJS().map((r) => String(r[0]));
  const ids = cols.includes(BATCH_ID_COLUMN)
    ? (await conn.runAndReadAll(`SELECT DISTINCT ${ident(BATCH_ID_COLUMN)} FROM ${ident(relation)} ORDER BY 1`)).getRowsJS().map((r) => (r[0] === null ? null : String(r[0])))
    : [fallbackId];
  const partitions = new Set<string>();
  for (const id of ids) {
    const rel = ids.length === 1 ? ident(relation) : `(SELECT * FROM ${ident(relation)} WHERE ${ident(BATCH_ID_COLUMN)} ${id === null ? 'IS NULL' : `= ${lit(id)}`})`;
    const written = await warehouse.write(conn, rel, table, { partitionBy, fileName: `part-${fileSafe(id ?? fallbackId)}.parquet` });
    written.forEach((p) => partitions.add(p));
  }
  return [...partitions].sort();
}
