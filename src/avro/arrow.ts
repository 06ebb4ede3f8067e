import avro from 'avsc';
import { Bool, Float64, Int32, Int64, Table, TimestampMillisecond, Utf8, type DataType, type Vector } from 'apache-arrow';
import { int32Vector, int64Vector, utf8Vector, vectorOf } from '../arrow/columns.ts';
import type { AvroSchema } from './codec.ts';

/** Where a record came from: becomes the `_kafka_*` lineage columns of Bronze. */
export interface Lineage {
  topic: string;
  partition: number;
  offset: string;
}

interface Column {
  name: string;
  arrow: () => DataType;
  convert: (v: unknown) => unknown;
}

const asIs = (v: unknown): unknown => v;

/** Arrow column for an Avro field type (a nullable union ["null", T] maps like T). */
function columnFor(name: string, t: avro.Type): Column {
  if (t instanceof avro.types.UnwrappedUnionType) {
    const branches = t.types.filter((b) => b.typeName !== 'null');
    if (branches.length === 1) return columnFor(name, branches[0]!);
  }
  switch (t.typeName) {
    case 'string':
    case 'enum':
      return { name, arrow: () => new Utf8(), convert: asIs };
    case 'double':
    case 'float':
      return { name, arrow: () => new Float64(), convert: asIs };
    case 'int':
      return { name, arrow: () => new Int32(), convert: asIs };
    case 'long':
      return { name, arrow: () => new Int64(), convert: (v) => (v === null || v === undefined ? null : BigInt(v as number)) };
    case 'boolean':
      return { name, arrow: () => new Bool(), convert: asIs };
    case 'logical:timestamp-millis':
    case 'logical:local-timestamp-millis':
      return { name, arrow: () => new TimestampMillisecond(), convert: asIs };
    default:
      // Nested records, maps, arrays, bytes: kept whole as JSON text, nothing is dropped.
      return { name, arrow: () => new Utf8(), convert: (v) => (v === null || v === undefined ? null : JSON.stringify(v, (_k, x: unknown) => (Buffer.isBuffer(x) ? x.toString('base64') : x))) };
  }
}

/**
 * How records of a schema become rows. A record with one array-of-records field (a batch, like
 * strata.tlc.TripBatch) is exploded: one row per item, with the outer fields repeated as lineage
 * columns named `_<field>` and the item's position as `_row_number` (first_row + i + 1 when the
 * record has `first_row`, else i + 1); any other record is one row.
 */
export class ArrowLayout {
  private readonly explode?: avro.types.Field;
  private readonly itemColumns: Column[] = [];
  private readonly outerColumns: Column[] = [];
  private readonly hasFirstRow: boolean = false;

  constructor(readonly schema: AvroSchema) {
    const rec = schema.type as avro.types.RecordType;
    const arrays = rec.fields.filter((f) => f.type instanceof avro.types.ArrayType && (f.type as avro.types.ArrayType).itemsType instanceof avro.types.RecordType);
    if (arrays.length === 1) {
      this.explode = arrays[0]!;
      const items = (this.explode.type as avro.types.ArrayType).itemsType as avro.types.RecordType;
      for (const f of items.fields) this.itemColumns.push(columnFor(f.name, f.type));
    }
    for (const f of rec.fields) if (f !== this.explode) this.outerColumns.push(columnFor(this.explode ? `_${f.name}` : f.name, f.type));
    this.hasFirstRow = rec.fields.some((f) => f.name === 'first_row');
  }

  /** Rows one record contributes. */
  rowsOf(value: Record<string, unknown>): number {
    return this.explode ? ((value[this.explode.name] as unknown[] | undefined)?.length ?? 0) : 1;
  }

  toArrow(records: readonly { value: Record<string, unknown>; lineage: Lineage }[]): Table {
    const cols: Record<string, unknown[]> = {};
    const all = [...this.itemColumns, ...this.outerColumns];
    for (const c of all) cols[c.name] = [];
    const rowNumber: bigint[] = [];
    const topic: string[] = [];
    const partition: number[] = [];
    const offset: bigint[] = [];
    for (const { value, lineage } of records) {
      const items = this.explode ? ((value[this.explode.name] as Record<string, unknown>[] | undefined) ?? []) : [value];
      const off = BigInt(lineage.offset);
      items.forEach((item, i) => {
        for (const c of this.itemColumns) cols[c.name]!.push(c.convert(item[c.name] ?? null));
        for (const c of this.outerColumns) cols[c.name]!.push(c.convert(value[this.explode ? c.name.slice(1) : c.name] ?? null));
        rowNumber.push(BigInt((this.hasFirstRow ? Number(value.first_row) : 0) + i + 1));
        topic.push(lineage.topic);
        partition.push(lineage.partition);
        offset.push(off);
      });
    }
    const vectors: Record<string, Vector> = {};
    for (const c of all) vectors[c.name] = vectorOf(cols[c.name]!, c.arrow());
    if (this.explode) vectors._row_number = int64Vector(rowNumber);
    vectors._kafka_topic = utf8Vector(topic);
    vectors._kafka_partition = int32Vector(partition);
    vectors._kafka_offset = int64Vector(offset);
    return new Table(vectors);
  }
}
