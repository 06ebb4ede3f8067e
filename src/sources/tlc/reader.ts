import { basename } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataError } from '../../core/errors.ts';
import { ident, lit } from '../../duckdb/instance.ts';
import { conversion, describeType, type Conversion } from './cast.ts';
import { CANONICAL_COLUMNS, detectService, type Service } from './columns.ts';
import { detectFormat, type TlcFormat } from './format.ts';
import { firstLine, stageCsv } from './staging.ts';

/**
 * A TLC trip file, checked and ready to be read in batches by DuckDB.
 *
 * `openTlcFile` validates the whole file before anything is read from it — format, required
 * columns, types, and (where a type could hold bad values, as every CSV column can) every value —
 * so a bad file fails before its first batch and nothing of it lands. A CSV is first copied, as
 * text and in file order, into a Parquet file in the cache, so both formats are then read the same
 * way: `read_parquet(…, file_row_number = true)`, a batch being a range of row numbers (DuckDB
 * skips the other row groups), converted to the canonical Bronze columns in SQL. Rows never pass
 * through JavaScript.
 */
export interface TlcFile {
  /** The file as given (for messages). */
  path: string;
  /** Its name as published, e.g. yellow_tripdata_2025-01.parquet: `_source_file`, and batch ids. */
  name: string;
  format: TlcFormat;
  service: Service;
  rows: number;
  /** A DuckDB table expression yielding batch `index` (rows index·batchRows+1 …) in the canonical columns plus lineage. */
  scan(index: number, batchRows: number): string;
}

export interface OpenOptions {
  /** Where CSV files are staged as Parquet (reused while the CSV is unchanged). */
  stagingDir: string;
}

export async function openTlcFile(conn: DuckDBConnection, path: string, opts: OpenOptions): Promise<TlcFile> {
  const name = basename(path);
  const format = await detectFormat(path);
  const data = format === 'csv' ? await stageCsv(conn, path, opts.stagingDir) : path;
  const columns = await describeColumns(conn, path, data);
  const service = detectService([...columns.keys()]);
  if (!service) {
    throw new DataError('TLC_COLUMN_MISSING', `${path}: missing column tpep_pickup_datetime (yellow) or lpep_pickup_datetime (green); the file has: ${[...columns.values()].map((c) => c.name).join(', ')}`, { file: path, column: 'tpep_pickup_datetime' });
  }
  const select = projection(path, columns, service);
  await checkValues(conn, path, format, data, select.checks, select.read);
  const rows = Number((await conn.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata(${lit(data)})`)).getRowsJS()[0]![0]);
  const list = [`${lit(service)} AS service`, ...select.exprs].join(',\n  ');
  return {
    path,
    name,
    format,
    service,
    rows,
    scan: (index, batchRows) => {
      const first = index * batchRows;
      return `(SELECT
  ${list},
  ${lit(name)} AS _source_file,
  CAST(${index} AS INTEGER) AS _batch_index,
  file_row_number + 1 AS _row_number
FROM read_parquet(${lit(data)}, file_row_number = true)
WHERE file_row_number >= ${first} AND file_row_number < ${first + batchRows})`;
    },
  };
}

/** Source columns by lower-cased name → { name as in the file, DuckDB type }. */
async function describeColumns(conn: DuckDBConnection, path: string, data: string): Promise<Map<string, { name: string; type: string }>> {
  let rows;
  try {
    rows = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${lit(data)})`)).getRowsJS();
  } catch (err) {
    throw new DataError('TLC_FILE_UNREADABLE', `${path}: cannot read the file's schema: ${firstLine(err)}`, { file: path }, { cause: err });
  }
  const out = new Map<string, { name: string; type: string }>();
  for (const [n, t] of rows) out.set(String(n).toLowerCase(), { name: String(n), type: String(t) });
  return out;
}

interface Check {
  column: string;
  target: string;
  bad: string;
}

/** The canonical SELECT list for a file; throws for missing required columns and impossible types. */
function projection(path: string, columns: Map<string, { name: string; type: string }>, service: Service): { exprs: string[]; checks: Check[]; read: string[] } {
  const exprs: string[] = [];
  const checks: Check[] = [];
  const read: string[] = [];
  const missing: string[] = [];
  for (const c of CANONICAL_COLUMNS) {
    const from = c.from[service];
    const src = from ? columns.get(from.toLowerCase()) : undefined;
    if (!src) {
      if (c.required && from) missing.push(from);
      exprs.push(`CAST(NULL AS ${c.type}) AS ${c.name}`);
      continue;
    }
    const conv: Conversion | undefined = conversion(ident(src.name), src.type, c.type);
    if (!conv) {
      throw new DataError('TLC_COLUMN_TYPE', `${path}: column ${src.name} has type ${src.type}, which cannot hold ${describeType(c.type)} (${c.name})`, { file: path, column: src.name, type: src.type });
    }
    exprs.push(`${conv.expr} AS ${c.name}`);
    read.push(src.name);
    if (conv.bad) checks.push({ column: src.name, target: describeType(c.type), bad: conv.bad });
  }
  if (missing.length) {
    throw new DataError('TLC_COLUMN_MISSING', `${path}: missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the file has: ${[...columns.values()].map((c) => c.name).join(', ')}`, { file: path, column: missing[0], missing });
  }
  return { exprs, checks, read };
}

/**
 * One pass over the file: the first value of each checked column that does not convert. The pass
 * also decodes every column the batches read (the hash), even when no value needs a check: a
 * Parquet file with a damaged page (bad compressed data, say) fails here, naming the file, rather
 * than in the middle of its batches with DuckDB's bare error.
 */
async function checkValues(conn: DuckDBConnection, path: string, format: TlcFormat, data: string, checks: Check[], read: string[]): Promise<void> {
  const touch = read.length ? [`max(hash(${read.map(ident).join(', ')})) AS touched`] : [];
  const aggs = checks.flatMap((c, i) => [
    `count(*) FILTER (WHERE ${c.bad}) AS n${i}`,
    `arg_min(CAST(${ident(c.column)} AS VARCHAR), file_row_number) FILTER (WHERE ${c.bad}) AS v${i}`,
    `min(file_row_number) FILTER (WHERE ${c.bad}) AS r${i}`,
  ]);
  let row: unknown[];
  try {
    row = (await conn.runAndReadAll(`SELECT ${[...aggs, ...touch].join(', ')} FROM read_parquet(${lit(data)}, file_row_number = true)`)).getRowsJS()[0]!;
  } catch (err) {
    throw new DataError('TLC_FILE_UNREADABLE', `${path}: cannot read the file: ${firstLine(err)}`, { file: path }, { cause: err });
  }
  for (let i = 0; i < checks.length; i++) {
    const n = Number(row[i * 3]);
    if (!n) continue;
    const c = checks[i]!;
    const r = Number(row[i * 3 + 2]) + 1;
    const where = format === 'csv' ? `row ${r} (line ${r + 1})` : `row ${r}`;
    throw new DataError(
      'TLC_COLUMN_TYPE',
      `${path}: column ${c.column}: value ${JSON.stringify(String(row[i * 3 + 1]))} in ${where} is not ${c.target}${n > 1 ? ` (${n} such values)` : ''}`,
      { file: path, column: c.column, row: r, count: n },
    );
  }
}

