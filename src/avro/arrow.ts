import avro from 'avsc';
import { Bool, Float64, Int32, Int64, Table, TimestampMillisecond, makeData, makeVector, type Vector } from 'apache-arrow';
import { utf8Vector } from '../arrow/columns.ts';
import type { AvroSchema } from './codec.ts';

/** Where a record came from: becomes the `_kafka_*` lineage columns of Bronze. */
export interface Lineage {
  topic: string;
  partition: number;
  offset: string;
}

/** How an Avro field type is stored; `json` (nested records, maps, arrays, bytes) is kept whole as JSON text. */
type Kind = 'double' | 'float' | 'int' | 'long' | 'timestamp' | 'boolean' | 'string' | 'enum' | 'json';

interface FieldSpec {
  /** Column name (outer fields of an exploded record get a leading `_`). */
  column: string;
  /** Avro field name. */
  field: string;
  kind: Kind;
  /** Branch index of `null` in a ["null", T] union; -1 when the field is not such a union. */
  nullAt: number;
  symbols?: readonly string[];
}

function kindOf(t: avro.Type): Kind {
  switch (t.typeName) {
    case 'string': return 'string';
    case 'enum': return 'enum';
    case 'double': return 'double';
    case 'float': return 'float';
    case 'int': return 'int';
    case 'long': return 'long';
    case 'boolean': return 'boolean';
    case 'logical:timestamp-millis':
    case 'logical:local-timestamp-millis': return 'timestamp';
    default: return 'json';
  }
}

function specFor(column: string, f: avro.types.Field): FieldSpec {
  let t = f.type;
  let nullAt = -1;
  if (t instanceof avro.types.UnwrappedUnionType) {
    const branches = t.types;
    const nulls = branches.filter((b) => b.typeName === 'null').length;
    if (branches.length !== 2 || nulls !== 1) return { column, field: f.name, kind: 'json', nullAt: -1 };
    nullAt = branches[0]!.typeName === 'null' ? 0 : 1;
    t = branches[1 - nullAt]!;
  }
  const kind = kindOf(t);
  return { column, field: f.name, kind, nullAt, symbols: kind === 'enum' ? (t as avro.types.EnumType).symbols : undefined };
}

const TWO_32 = 4294967296;

/**
 * Strings of one column read from Avro bytes, each distinct text decoded once. Readings repeat the
 * same few texts (units, source, a location's name) on every record: handing out one string per
 * text saves the UTF-8 decode and, above all, the garbage of a string per row held until the batch
 * is built. A column whose texts keep changing stops being interned.
 */
class Interner {
  private readonly byHash = new Map<number, { bytes: Buffer; text: string }[]>();
  private misses = 0;
  private off = false;
  /** The text handed out last: most columns repeat it from one record to the next. */
  private last?: { bytes: Buffer; text: string };

  text(buf: Buffer, start: number, end: number): string {
    const len = end - start;
    if (this.off || len > 512) return buf.toString('utf8', start, end);
    const last = this.last;
    if (last && last.bytes.length === len && buf.compare(last.bytes, 0, len, start, end) === 0) return last.text;
    let h = len;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 16777619);
    const bucket = this.byHash.get(h);
    if (bucket) for (const e of bucket) if (e.bytes.length === len && buf.compare(e.bytes, 0, len, start, end) === 0) return (this.last = e).text;
    const text = buf.toString('utf8', start, end);
    if (++this.misses > 4096) this.off = true; // mostly distinct texts: not worth the lookups
    else {
      const entry = (this.last = { bytes: Buffer.from(buf.subarray(start, end)), text });
      if (bucket) bucket.push(entry);
      else this.byHash.set(h, [entry]);
    }
    return text;
  }
}

/** One growing column: numbers in a typed array, strings in a JS array, and a validity byte per row. */
class Column {
  length = 0;
  /** Text columns only. */
  readonly interner?: Interner;
  private nums: Float64Array | Int32Array | Uint8Array;
  private strs: (string | null)[] = [];
  private valid = new Uint8Array(1024);

  constructor(readonly kind: Kind) {
    this.nums = kind === 'int' ? new Int32Array(1024) : kind === 'boolean' ? new Uint8Array(1024) : new Float64Array(1024);
    if (this.textual) this.interner = new Interner();
  }

  private get textual(): boolean {
    return this.kind === 'string' || this.kind === 'enum' || this.kind === 'json';
  }

  private grow(): void {
    const cap = this.valid.length * 2;
    const valid = new Uint8Array(cap);
    valid.set(this.valid);
    this.valid = valid;
    if (this.textual) return;
    const nums = new (this.nums.constructor as Float64ArrayConstructor)(cap);
    nums.set(this.nums as Float64Array);
    this.nums = nums;
  }

  pushNull(): void {
    if (this.length === this.valid.length) this.grow();
    this.valid[this.length] = 0;
    if (this.textual) this.strs.push(null);
    this.length++;
  }

  pushNumber(v: number): void {
    if (this.length === this.valid.length) this.grow();
    this.valid[this.length] = 1;
    this.nums[this.length++] = v;
  }

  pushString(s: string): void {
    if (this.length === this.valid.length) this.grow();
    this.valid[this.length++] = 1;
    this.strs.push(s);
  }

  /** A JS value as the decoded record holds it. */
  pushValue(v: unknown): void {
    if (v === null || v === undefined) return this.pushNull();
    switch (this.kind) {
      case 'string':
      case 'enum':
        return this.pushString(v as string);
      case 'json':
        return this.pushString(JSON.stringify(v, (_k, x: unknown) => (Buffer.isBuffer(x) ? x.toString('base64') : x)));
      case 'boolean':
        return this.pushNumber(v ? 1 : 0);
      case 'timestamp':
        return this.pushNumber(Math.trunc(v instanceof Date ? v.getTime() : Number(v)));
      default:
        return this.pushNumber(Number(v));
    }
  }

  /** The last value pushed, `times` more times. */
  repeatLast(times: number): void {
    if (!times) return;
    const i = this.length - 1;
    const ok = this.valid[i]!;
    for (let k = 0; k < times; k++) {
      if (this.length === this.valid.length) this.grow();
      this.valid[this.length] = ok;
      if (this.textual) this.strs.push(this.strs[i]!);
      else this.nums[this.length] = this.nums[i]!;
      this.length++;
    }
  }

  truncate(n: number): void {
    this.length = n;
    if (this.textual) this.strs.length = n;
  }

  vector(): Vector {
    const n = this.length;
    if (this.textual) return utf8Vector(this.strs);
    let nullCount = 0;
    for (let i = 0; i < n; i++) nullCount += 1 - this.valid[i]!;
    let nullBitmap: Uint8Array | undefined;
    if (nullCount) {
      nullBitmap = new Uint8Array(((n + 63) >> 6) << 3);
      for (let i = 0; i < n; i++) if (this.valid[i]) nullBitmap[i >> 3]! |= 1 << (i & 7);
    }
    const nulls = { nullCount, nullBitmap };
    switch (this.kind) {
      case 'int':
        return makeVector(makeData({ type: new Int32(), length: n, data: (this.nums as Int32Array).slice(0, n), ...nulls }));
      case 'double':
      case 'float':
        return makeVector(makeData({ type: new Float64(), length: n, data: (this.nums as Float64Array).slice(0, n), ...nulls }));
      case 'boolean': {
        const bits = new Uint8Array(((n + 63) >> 6) << 3);
        for (let i = 0; i < n; i++) if (this.nums[i]) bits[i >> 3]! |= 1 << (i & 7);
        return makeVector(makeData({ type: new Bool(), length: n, data: bits, ...nulls }));
      }
      default: {
        // Safe integers → 64-bit two's complement words (little-endian), with no BigInt per value.
        const data = new BigInt64Array(n);
        const words = new Int32Array(data.buffer);
        const nums = this.nums as Float64Array;
        for (let i = 0; i < n; i++) {
          const v = nums[i]!;
          const hi = Math.floor(v / TWO_32);
          words[2 * i] = (v - hi * TWO_32) | 0;
          words[2 * i + 1] = hi;
        }
        return this.kind === 'timestamp'
          ? makeVector(makeData({ type: new TimestampMillisecond(), length: n, data, ...nulls }))
          : makeVector(makeData({ type: new Int64(), length: n, data, ...nulls }));
      }
    }
  }
}

/** Thrown inside the columnar reader when bytes are not what the schema says; the caller falls back to avsc. */
class Undecodable extends Error {}
const UNDECODABLE = new Undecodable('undecodable');

/**
 * A cursor over Avro binary. Reads exactly as avsc's Tap does, but throws on anything avsc would
 * reject or read differently (truncation, a long beyond 2^53, a bad union or enum index), so a
 * message read this way is one avsc would decode to the same values.
 */
class Cursor {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  long(): number {
    const buf = this.buf;
    let n = 0;
    let k = 0;
    let b: number;
    let h: number;
    do {
      if (this.pos >= buf.length) throw UNDECODABLE;
      b = buf[this.pos++]!;
      h = b & 0x80;
      n |= (b & 0x7f) << k;
      k += 7;
    } while (h && k < 28);
    if (!h) return (n >> 1) ^ -(n & 1);
    let f = n;
    let fk = 268435456;
    do {
      if (this.pos >= buf.length || fk > 2 ** 63) throw UNDECODABLE;
      b = buf[this.pos++]!;
      f += (b & 0x7f) * fk;
      fk *= 128;
    } while (b & 0x80);
    const v = (f % 2 ? -(f + 1) : f) / 2;
    // avsc's own bound ("potential precision loss" beyond it).
    if (!(v >= -9007199254740990 && v <= 9007199254740990)) throw UNDECODABLE;
    return v;
  }

  int(): number {
    const v = this.long();
    if (v !== (v | 0)) throw UNDECODABLE;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) throw UNDECODABLE;
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  float(): number {
    if (this.pos + 4 > this.buf.length) throw UNDECODABLE;
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  boolean(): boolean {
    if (this.pos >= this.buf.length) throw UNDECODABLE;
    return this.buf[this.pos++] !== 0;
  }

  string(interner?: Interner): string {
    const len = this.long();
    if (len < 0 || this.pos + len > this.buf.length) throw UNDECODABLE;
    const s = interner ? interner.text(this.buf, this.pos, this.pos + len) : this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** True when the ["null", T] union's branch is null. */
  isNull(spec: FieldSpec): boolean {
    if (spec.nullAt < 0) return false;
    const b = this.long();
    if (b !== 0 && b !== 1) throw UNDECODABLE;
    return b === spec.nullAt;
  }

  /** One value of a non-null kind, as a JS value. */
  value(spec: FieldSpec, interner?: Interner): unknown {
    switch (spec.kind) {
      case 'string': return this.string(interner);
      case 'enum': {
        const s = spec.symbols![this.long()];
        if (s === undefined) throw UNDECODABLE;
        return s;
      }
      case 'double': return this.double();
      case 'float': return this.float();
      case 'int': return this.int();
      case 'boolean': return this.boolean();
      case 'long':
      case 'timestamp': return this.long();
      default: throw UNDECODABLE;
    }
  }

  /** One value straight into its column. */
  into(spec: FieldSpec, col: Column): void {
    if (this.isNull(spec)) return col.pushNull();
    switch (spec.kind) {
      case 'double': return col.pushNumber(this.double());
      case 'long':
      case 'timestamp': return col.pushNumber(this.long());
      case 'int': return col.pushNumber(this.int());
      case 'float': return col.pushNumber(this.float());
      case 'boolean': return col.pushNumber(this.boolean() ? 1 : 0);
      default: return col.pushString(this.value(spec, col.interner) as string);
    }
  }
}

/** Checks a decoded record beyond its schema: the problem, or undefined (see sources/topic/validate.ts). */
export type RowsValidator = (value: Record<string, unknown>, rows: number) => string | undefined;

/** Outcome of appending one encoded record. */
export type Appended = { rows: number } | { invalid: string } | undefined;

/**
 * How records of a schema become rows. A record with one array-of-records field (a batch, like
 * strata.tlc.TripBatch) is exploded: one row per item, with the outer fields repeated as lineage
 * columns named `_<field>` and the item's position as `_row_number` (first_row + i + 1 when the
 * record has `first_row`, else i + 1); any other record is one row.
 */
export class ArrowLayout {
  readonly explode?: string;
  readonly itemFields: FieldSpec[] = [];
  /** Fields of the record in schema order; for an exploded record, all but the array. */
  readonly outerFields: FieldSpec[] = [];
  /** Every field in the record's order, the array included (as undefined). */
  readonly order: (FieldSpec | undefined)[] = [];
  readonly hasFirstRow: boolean;
  /**
   * Whether messages written with this very schema can be decoded straight into columns (a record,
   * exploded or not, of primitive fields): no avsc object per record or item, which dominated
   * reading batches.
   */
  readonly columnar: boolean;

  constructor(readonly schema: AvroSchema) {
    const rec = schema.type as avro.types.RecordType;
    const arrays = rec.fields.filter((f) => f.type instanceof avro.types.ArrayType && (f.type as avro.types.ArrayType).itemsType instanceof avro.types.RecordType);
    const explode = arrays.length === 1 ? arrays[0]! : undefined;
    if (explode) {
      this.explode = explode.name;
      const items = (explode.type as avro.types.ArrayType).itemsType as avro.types.RecordType;
      for (const f of items.fields) this.itemFields.push(specFor(f.name, f));
    }
    for (const f of rec.fields) {
      if (f === explode) {
        this.order.push(undefined);
        continue;
      }
      const spec = specFor(explode ? `_${f.name}` : f.name, f);
      this.outerFields.push(spec);
      this.order.push(spec);
    }
    this.hasFirstRow = rec.fields.some((f) => f.name === 'first_row');
    this.columnar = [...this.itemFields, ...this.outerFields].every((s) => s.kind !== 'json');
  }

  /** Rows one decoded record contributes. */
  rowsOf(value: Record<string, unknown>): number {
    return this.explode ? ((value[this.explode] as unknown[] | undefined)?.length ?? 0) : 1;
  }

  builder(): RowBuilder {
    return new RowBuilder(this);
  }

  /** A table of decoded records (tests, small inputs). */
  toArrow(records: readonly { value: Record<string, unknown>; lineage: Lineage }[]): Table {
    const b = this.builder();
    for (const r of records) b.appendValue(r.value, r.lineage);
    return b.finish();
  }
}

/** Rows of one batch, built column by column from decoded records or straight from Avro bytes. */
export class RowBuilder {
  private readonly items: Column[];
  private readonly outer: Column[];
  private readonly rowNumber = new Column('long');
  private readonly topic = new Column('string');
  private readonly partition = new Column('int');
  private readonly offset = new Column('long');

  constructor(private readonly layout: ArrowLayout) {
    this.items = layout.itemFields.map((s) => new Column(s.kind));
    this.outer = layout.outerFields.map((s) => new Column(s.kind));
  }

  get rows(): number {
    return this.topic.length;
  }

  private lineage(l: Lineage, rows: number, firstRow: number): void {
    if (!rows) return;
    this.topic.pushString(l.topic);
    this.topic.repeatLast(rows - 1);
    this.partition.pushNumber(l.partition);
    this.partition.repeatLast(rows - 1);
    this.offset.pushNumber(Number(l.offset)); // exact below 2^53 (nine quadrillion messages per partition)
    this.offset.repeatLast(rows - 1);
    if (this.layout.explode) for (let i = 0; i < rows; i++) this.rowNumber.pushNumber(firstRow + i + 1);
  }

  /** A record decoded by avsc. */
  appendValue(value: Record<string, unknown>, lineage: Lineage): void {
    const L = this.layout;
    const list = L.explode ? ((value[L.explode] as Record<string, unknown>[] | undefined) ?? []) : [value];
    const rows = list.length;
    if (!rows) return;
    if (L.explode) {
      L.itemFields.forEach((s, c) => {
        const col = this.items[c]!;
        for (const item of list) col.pushValue(item[s.field]);
      });
    }
    L.outerFields.forEach((s, c) => {
      this.outer[c]!.pushValue(value[s.field]);
      this.outer[c]!.repeatLast(rows - 1);
    });
    this.lineage(lineage, rows, L.hasFirstRow ? Number(value.first_row) : 0);
  }

  /**
   * Decodes the Avro record at `buf[offset..]` (written with the layout's own schema) straight into
   * the columns. Undefined when the bytes are not a record avsc would read the same way (the caller
   * then decodes them with avsc for the exact error); `invalid` when `validate` rejects the record.
   * Either way nothing of the message stays in the columns.
   */
  appendEncoded(buf: Buffer, offset: number, lineage: Lineage, validate?: RowsValidator): Appended {
    const L = this.layout;
    if (!L.columnar) return undefined;
    const mark = this.items.map((c) => c.length);
    const cur = new Cursor(buf);
    cur.pos = offset;
    const outer: Record<string, unknown> = {};
    let rows = 0;
    try {
      for (let f = 0, o = 0; f < L.order.length; f++) {
        const spec = L.order[f];
        if (spec) {
          outer[spec.field] = cur.isNull(spec) ? null : cur.value(spec, this.outer[o]!.interner);
          o++;
          continue;
        }
        for (let n = cur.long(); n !== 0; n = cur.long()) {
          if (n < 0) {
            n = -n;
            cur.long(); // the block's size in bytes
          }
          for (let i = 0; i < n; i++) {
            for (let c = 0; c < L.itemFields.length; c++) cur.into(L.itemFields[c]!, this.items[c]!);
          }
          rows += n;
        }
      }
      if (cur.pos !== buf.length) throw UNDECODABLE;
      if (!L.explode) rows = 1;
    } catch (err) {
      this.items.forEach((c, i) => c.truncate(mark[i]!));
      if (err instanceof Undecodable || err instanceof RangeError) return undefined;
      throw err;
    }
    const problem = validate?.(outer, rows);
    if (problem) {
      this.items.forEach((c, i) => c.truncate(mark[i]!));
      return { invalid: problem };
    }
    if (rows) {
      L.outerFields.forEach((s, c) => {
        this.outer[c]!.pushValue(outer[s.field]);
        this.outer[c]!.repeatLast(rows - 1);
      });
      this.lineage(lineage, rows, L.hasFirstRow ? Number(outer.first_row) : 0);
    }
    return { rows };
  }

  /** The rows as an Arrow table, with `extra` columns (one value per row) appended. */
  finish(extra: Record<string, Vector> = {}): Table {
    const L = this.layout;
    const vectors: Record<string, Vector> = {};
    L.itemFields.forEach((s, c) => (vectors[s.column] = this.items[c]!.vector()));
    L.outerFields.forEach((s, c) => (vectors[s.column] = this.outer[c]!.vector()));
    if (L.explode) vectors._row_number = this.rowNumber.vector();
    vectors._kafka_topic = this.topic.vector();
    vectors._kafka_partition = this.partition.vector();
    vectors._kafka_offset = this.offset.vector();
    return new Table({ ...vectors, ...extra });
  }
}
