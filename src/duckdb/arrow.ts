import {
  BIGINT, BOOLEAN, DATE, DOUBLE, INTEGER, TIMESTAMP, VARCHAR,
  DuckDBBigIntVector, DuckDBDataChunk, DuckDBDoubleVector, DuckDBIntegerVector, DuckDBTimestampVector, DuckDBTypeId, DuckDBVarCharVector,
  dateValue, timestampValue,
  type DuckDBConnection, type DuckDBResultReader, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import {
  Bool, DateDay, Float64, Int32, Int64, Table, TimeUnit, TimestampMillisecond, Type, Utf8, vectorFromArray,
  type Data, type DataType, type Vector,
} from 'apache-arrow';
import { EngineError } from '../core/errors.ts';
import { ident } from './instance.ts';

/** Fewest rows for which dictionary columns are loaded as codes (measured: below it, as strings is faster). */
const DICTIONARY_MIN_ROWS = 16_384;
/** DuckDB's vector size: a data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;
const MS_PER_DAY = 86_400_000;

interface ColumnCodec {
  duck: DuckDBType;
  sqlType: string;
  toDuck: (v: unknown) => DuckDBValue;
}

function codecFor(type: DataType, column: string): ColumnCodec {
  switch (type.typeId) {
    case Type.Float:
      return { duck: DOUBLE, sqlType: 'DOUBLE', toDuck: (v) => v as number };
    case Type.Int:
      return (type as unknown as { bitWidth: number }).bitWidth === 64
        ? { duck: BIGINT, sqlType: 'BIGINT', toDuck: (v) => BigInt(v as bigint | number) }
        : { duck: INTEGER, sqlType: 'INTEGER', toDuck: (v) => v as number };
    case Type.Utf8:
    case Type.LargeUtf8:
      return { duck: VARCHAR, sqlType: 'VARCHAR', toDuck: (v) => v as string };
    case Type.Bool:
      return { duck: BOOLEAN, sqlType: 'BOOLEAN', toDuck: (v) => v as boolean };
    case Type.Timestamp:
      // Arrow JS reads timestamps as epoch milliseconds; DuckDB TIMESTAMP is microseconds.
      return { duck: TIMESTAMP, sqlType: 'TIMESTAMP', toDuck: (v) => timestampValue(BigInt(Math.round(Number(v))) * 1000n) };
    case Type.Date:
      return { duck: DATE, sqlType: 'DATE', toDuck: (v) => dateValue(Math.floor(Number(v instanceof Date ? v.getTime() : v) / MS_PER_DAY)) };
    default:
      throw new EngineError('ARROW_TYPE_UNSUPPORTED', `column "${column}": Arrow type ${String(type)} is not supported`, { column });
  }
}

/**
 * The dictionary of a dictionary-encoded string column, when every chunk of it shares one (as the
 * builders of src/arrow/columns.ts make them): loaded as integer codes and looked up in SQL.
 */
function sharedDictionary(vec: Vector): string[] | undefined {
  if (vec.type.typeId !== Type.Dictionary || !vec.data.length) return undefined;
  const dict = vec.data[0]!.dictionary;
  if (!dict || dict.type.typeId !== Type.Utf8 || vec.data.some((d) => d.dictionary !== dict)) return undefined;
  if (!vec.data.every((d) => d.values instanceof Int32Array)) return undefined;
  return dict.toArray() as string[];
}

/**
 * Loads an Arrow table into a new DuckDB temp table, column-wise through data chunks
 * (the node API has no Arrow import, and row-wise appends are an order of magnitude slower).
 * Dictionary-encoded strings cross as integer codes: a string per distinct value, not per row.
 */
export async function arrowToDuckDB(conn: DuckDBConnection, name: string, table: Table): Promise<void> {
  const fields = table.schema.fields;
  const columns = fields.map((f) => table.getChild(f.name)!);
  // Loading codes costs a few statements per column: below this many rows plain strings are cheaper.
  const dicts = columns.map((c) => (table.numRows >= DICTIONARY_MIN_ROWS ? sharedDictionary(c) : undefined));
  const codecs = fields.map((f, i) => (dicts[i] && table.numRows > 0 ? CODES : codecFor(f.type.typeId === Type.Dictionary ? f.type.dictionary : f.type, f.name)));
  const staged = dicts.some(Boolean) && table.numRows > 0 ? `${name}__codes` : name;
  const cols = fields.map((f, i) => `${ident(f.name)} ${codecs[i]!.sqlType}`).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(staged)} (${cols})`);
  if (table.numRows === 0) return;
  await append(conn, staged, table.numRows, columns, codecs);
  if (staged === name) return;
  // Each dictionary goes in as a one-column table (appended, so any string is safe: no SQL
  // literal), read back once as a list, and indexed by the codes: a projection, rows keep their order.
  const dictTables: string[] = [];
  const select: string[] = [];
  for (const [i, f] of fields.entries()) {
    const d = dicts[i];
    if (!d) {
      select.push(ident(f.name));
      continue;
    }
    const t = `${name}__dict${i}`;
    dictTables.push(t);
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(t)} (code INTEGER, value VARCHAR)`);
    const appender = await conn.createAppender(t, 'main', 'temp');
    try {
      for (let start = 0; start < d.length; start += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, d.length - start);
        const chunk = DuckDBDataChunk.create([INTEGER, VARCHAR], n);
        chunk.setColumnValues(0, Array.from({ length: n }, (_, k) => start + k));
        chunk.setColumnValues(1, d.slice(start, start + n));
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    select.push(`(SELECT COALESCE(list(value ORDER BY code), CAST([] AS VARCHAR[])) FROM ${ident(t)})[${ident(f.name)} + 1] AS ${ident(f.name)}`);
  }
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(name)} AS SELECT ${select.join(', ')} FROM ${ident(staged)}`);
  for (const t of [staged, ...dictTables]) await conn.run(`DROP TABLE ${ident(t)}`);
}

/** The dictionary index of row `row` (null when the row is null); get() would decode it. */
function codeAt(vec: Vector, row: number): number | null {
  let base = 0;
  for (const d of vec.data) {
    if (row < base + d.length) {
      const i = row - base;
      const bit = d.offset + i;
      if (d.nullCount && d.nullBitmap?.length && (d.nullBitmap[bit >> 3]! & (1 << (bit & 7))) === 0) return null;
      return (d.values as Int32Array)[i]!;
    }
    base += d.length;
  }
  return null;
}

/** Dictionary codes: Arrow's Int32 indices, copied as they are. */
const CODES: ColumnCodec = { duck: INTEGER, sqlType: 'INTEGER', toDuck: (v) => v as number };

async function append(conn: DuckDBConnection, name: string, numRows: number, columns: Vector[], codecs: ColumnCodec[]): Promise<void> {
  const appender = await conn.createAppender(name, 'main', 'temp');
  try {
    for (let start = 0; start < numRows; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, numRows - start);
      const chunk = DuckDBDataChunk.create(codecs.map((c) => c.duck), n);
      columns.forEach((vec, ci) => {
        if (!fillFast(chunk, ci, vec, start, n)) {
          const codec = codecs[ci]!;
          const values: DuckDBValue[] = new Array(n);
          for (let r = 0; r < n; r++) {
            const v: unknown = codec === CODES ? codeAt(vec, start + r) : vec.get(start + r);
            values[r] = v === null || v === undefined ? null : codec.toDuck(v);
          }
          chunk.setColumnValues(ci, values);
        }
      });
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/**
 * The Data holding rows [start, start + n) of `vec`, when they sit in one, and the row's index in
 * it. Arrow JS hands out `values`/`valueOffsets` of a sliced Data already sliced, but its validity
 * bitmap whole: bit = data.offset + index.
 */
function slice(vec: Vector, start: number, n: number): { data: Data; at: number } | undefined {
  let base = 0;
  for (const d of vec.data) {
    if (start >= base && start + n <= base + d.length) return { data: d, at: start - base };
    base += d.length;
  }
  return undefined;
}

/**
 * The typed array a fixed-width DuckDB vector stages its values in before flush() copies them to
 * DuckDB. Private in the node API's typings but its documented write path (setItem fills it); the
 * round-trip tests in test/arrow-duckdb.test.ts catch a change of that layout.
 */
function itemsOf<T>(v: unknown): T {
  return (v as { items: T }).items;
}

/**
 * Copies a column straight from Arrow's typed arrays into DuckDB's vector: no JS value per cell
 * for numbers, one decode per distinct run for strings. False when the column needs the generic path.
 */
function fillFast(chunk: DuckDBDataChunk, ci: number, vec: Vector, start: number, n: number): boolean {
  const s = slice(vec, start, n);
  if (!s) return false;
  const { data, at } = s;
  const typeId = data.type.typeId;
  const out = chunk.getColumnVector(ci);
  const valid = (i: number): boolean => {
    if (!data.nullCount || !data.nullBitmap?.length) return true;
    const bit = data.offset + at + i;
    return (data.nullBitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
  };
  if (out instanceof DuckDBDoubleVector && typeId === Type.Float && data.values instanceof Float64Array) {
    itemsOf<Float64Array>(out).set((data.values as Float64Array).subarray(at, at + n));
  } else if (out instanceof DuckDBIntegerVector && (typeId === Type.Int || typeId === Type.Dictionary) && data.values instanceof Int32Array) {
    itemsOf<Int32Array>(out).set((data.values as Int32Array).subarray(at, at + n));
  } else if (out instanceof DuckDBBigIntVector && typeId === Type.Int && data.values instanceof BigInt64Array) {
    itemsOf<BigInt64Array>(out).set((data.values as BigInt64Array).subarray(at, at + n));
  } else if (out instanceof DuckDBTimestampVector && typeId === Type.Timestamp && data.values instanceof BigInt64Array && (data.type as TimestampMillisecond).unit === TimeUnit.MILLISECOND) {
    // Arrow milliseconds → DuckDB microseconds.
    const src = data.values as BigInt64Array;
    const dst = itemsOf<BigInt64Array>(out);
    for (let i = 0; i < n; i++) dst[i] = src[at + i]! * 1000n;
  } else if (out instanceof DuckDBVarCharVector && typeId === Type.Dictionary && data.values instanceof Int32Array && data.dictionary) {
    // Dictionary strings as strings (a small batch): each distinct value decoded once per chunk.
    const dict = data.dictionary;
    const codes = data.values;
    const seen = new Map<number, string>();
    for (let i = 0; i < n; i++) {
      if (!valid(i)) {
        out.setItem(i, null);
        continue;
      }
      const code = codes[at + i]!;
      let v = seen.get(code);
      if (v === undefined) seen.set(code, (v = dict.get(code) as string));
      out.setItem(i, v);
    }
    out.flush();
    return true;
  } else if (out instanceof DuckDBVarCharVector && typeId === Type.Utf8) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = Buffer.from(data.values.buffer, data.values.byteOffset, data.values.byteLength);
    let prevStart = -1;
    let prevEnd = -1;
    let prev: string | null = null;
    for (let i = 0; i < n; i++) {
      if (!valid(i)) {
        out.setItem(i, null);
        continue;
      }
      const a = offsets[at + i]!;
      const b = offsets[at + i + 1]!;
      // Runs of the same value (ids, units, sources) are decoded once.
      if (prev === null || b - a !== prevEnd - prevStart || bytes.compare(bytes, prevStart, prevEnd, a, b) !== 0) prev = bytes.toString('utf8', a, b);
      prevStart = a;
      prevEnd = b;
      out.setItem(i, prev);
    }
    out.flush();
    return true;
  } else {
    return false;
  }
  if (data.nullCount) for (let i = 0; i < n; i++) if (!valid(i)) out.setItem(i, null);
  out.flush();
  return true;
}

/** Reads a DuckDB result into an Arrow table, column by column. */
export function duckDBToArrow(reader: DuckDBResultReader): Table {
  const names = reader.columnNames();
  const types = reader.columnTypes();
  const cols = reader.getColumnsJS();
  const vectors: Record<string, Vector> = {};
  names.forEach((name, i) => {
    vectors[name] = toArrowVector(types[i]!, cols[i] ?? [], name);
  });
  return new Table(vectors);
}

function toArrowVector(type: DuckDBType, values: readonly unknown[], column: string): Vector {
  switch (type.typeId) {
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DECIMAL:
      return vectorFromArray(values.map((v) => (v === null ? null : Number(v))), new Float64());
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.TINYINT:
      return vectorFromArray(values as (number | null)[], new Int32());
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
      return vectorFromArray(values.map((v) => (v === null ? null : BigInt(v as bigint))), new Int64());
    case DuckDBTypeId.VARCHAR:
      return vectorFromArray(values as (string | null)[], new Utf8());
    case DuckDBTypeId.BOOLEAN:
      return vectorFromArray(values as (boolean | null)[], new Bool());
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return vectorFromArray(values.map((v) => (v === null ? null : (v as Date).getTime())), new TimestampMillisecond());
    case DuckDBTypeId.DATE:
      return vectorFromArray(values.map((v) => (v === null ? null : (v as Date))), new DateDay());
    default:
      throw new EngineError('DUCKDB_TYPE_UNSUPPORTED', `column "${column}": DuckDB type ${type.toString()} cannot be moved to Arrow`, { column });
  }
}
