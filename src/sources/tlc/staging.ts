import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DataError } from '../../core/errors.ts';
import { lit } from '../../duckdb/instance.ts';

/**
 * Copies a CSV, every field as text and in file order, into a Parquet file under `dir` (named by
 * the CSV's path, size and mtime, so an unchanged CSV is staged once). Text, because types are
 * checked and converted afterwards with errors that name the column and row; written aside and
 * renamed, so a failed staging leaves nothing behind.
 */
export async function stageCsv(conn: DuckDBConnection, path: string, dir: string): Promise<string> {
  const st = await stat(path);
  const key = createHash('sha256').update(`${path}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 16);
  const staged = join(dir, `${basename(path)}-${key}.parquet`);
  if (existsSync(staged)) return staged;
  const header = await csvHeader(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${staged}.${process.pid}.tmp`;
  // The columns come from the header, so DuckDB does not sniff: a short last line (a truncated
  // file) is then an error naming the line rather than a failed guess at the dialect.
  const columns = `{${header.map((h) => `${lit(h)}: 'VARCHAR'`).join(', ')}}`;
  try {
    // Comma, double quotes, header; only an empty field is NULL. Insertion order is preserved, so
    // the staged file's row numbers are the CSV's.
    await conn.run(
      `COPY (SELECT * FROM read_csv(${lit(path)}, header = true, delim = ',', quote = '"', escape = '"', nullstr = '', auto_detect = false, columns = ${columns}))
       TO ${lit(tmp)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    await rename(tmp, staged);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new DataError('TLC_CSV_INVALID', `${path}: ${describeCsvError(err)}`, { file: path }, { cause: err });
  }
  return staged;
}

/** The header's column names (first line; BOM, CR and quotes removed). */
async function csvHeader(path: string): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    const nl = text.indexOf('\n');
    const line = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
    const names = line.split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
    const seen = new Set<string>();
    for (const n of names) {
      if (!n) throw new DataError('TLC_CSV_INVALID', `${path}: the header line has an empty column name: ${JSON.stringify(line.slice(0, 200))}`, { file: path });
      if (seen.has(n.toLowerCase())) throw new DataError('TLC_CSV_INVALID', `${path}: the header names column ${n} twice`, { file: path, column: n });
      seen.add(n.toLowerCase());
    }
    return names;
  } finally {
    await fh.close();
  }
}

/** DuckDB's CSV error, said in one line: which line, how many fields, the line itself. */
function describeCsvError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const line = /CSV Error on Line: (\d+)/.exec(msg)?.[1];
  const fields = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(msg);
  const original = /Original Line: ?(.*)/.exec(msg)?.[1];
  if (line && fields) {
    return `line ${line} has ${fields[2]} fields where the header has ${fields[1]} (a truncated or malformed CSV): ${JSON.stringify((original ?? '').slice(0, 120))}`;
  }
  return `not a readable CSV: ${firstLine(err)}`;
}

/** The first lines of an error's message (DuckDB's can run to dozens of lines of hints). */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n').filter(Boolean).slice(0, 3).join(' ');
}
