import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from './instance.ts';

/** SQL keeping, for each key, the row greatest by `orderBy` (NULLs lose). */
export function latestByKey(from: string, key: readonly string[], orderBy: readonly string[]): string {
  const order = orderBy.map((c) => `${ident(c)} DESC NULLS LAST`).join(', ');
  return `SELECT * EXCLUDE (_rn) FROM (SELECT *, row_number() OVER (PARTITION BY ${key.map(ident).join(', ')} ORDER BY ${order}) AS _rn FROM ${from}) WHERE _rn = 1`;
}

/** The distinct non-NULL values of a DATE column, as text, sorted. */
export async function distinctValues(conn: DuckDBConnection, rel: string, col: string): Promise<string[]> {
  const r = await conn.runAndReadAll(`SELECT DISTINCT CAST(${ident(col)} AS VARCHAR) FROM ${ident(rel)} WHERE ${ident(col)} IS NOT NULL ORDER BY 1`);
  return r.getRowsJS().map((row) => String(row[0]));
}

/** Rows of a relation (a temp table or view name). */
export async function count(conn: DuckDBConnection, rel: string): Promise<number> {
  const r = await conn.runAndReadAll(`SELECT count(*) FROM ${ident(rel)}`);
  return Number(r.getRowsJS()[0]![0]);
}
