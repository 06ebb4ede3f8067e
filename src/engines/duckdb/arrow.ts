import {
  BIGINT, BOOLEAN, DATE, DOUBLE, INTEGER, TIMESTAMP, VARCHAR,
  DuckDBDataChunk, DuckDBTypeId, dateValue, timestampValue,
  type DuckDBConnection, type DuckDBResultReader, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import {
  Bool, DateDay, Float64, Int32, Int64, Table, TimestampMillisecond, Type, Utf8, vectorFromArray,
  type DataType, type Vector,
} from 'apache-arrow';
import { EngineError } from '../../errors.ts';
import { ident } from './instance.ts';

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
 * Loads an Arrow table into a new DuckDB temp table, column-wise through data chunks
 * (the node API has no Arrow import, and row-wise appends are an order of magnitude slower).
 */
export async function arrowToDuckDB(conn: DuckDBConnection, name: string, table: Table): Promise<void> {
  const fields = table.schema.fields;
  const codecs = fields.map((f) => codecFor(f.type, f.name));
  const cols = fields.map((f, i) => `${ident(f.name)} ${codecs[i]!.sqlType}`).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(name)} (${cols})`);
  if (table.numRows === 0) return;
  const appender = await conn.createAppender(name, 'main', 'temp');
  try {
    const vectors = fields.map((f) => table.getChild(f.name)!);
    for (let start = 0; start < table.numRows; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, table.numRows - start);
      const chunk = DuckDBDataChunk.create(codecs.map((c) => c.duck), n);
      vectors.forEach((vec, ci) => {
        const codec = codecs[ci]!;
        const values: DuckDBValue[] = new Array(n);
        for (let r = 0; r < n; r++) {
          const v: unknown = vec.get(start + r);
          values[r] = v === null || v === undefined ? null : codec.toDuck(v);
        }
        chunk.setColumnValues(ci, values);
      });
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
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
