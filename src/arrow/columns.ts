import {
  Dictionary, Float64, Int32, Int64, TimestampMillisecond, Utf8, makeData, makeVector, vectorFromArray,
  type DataType, type Vector,
} from 'apache-arrow';

/**
 * Arrow vectors from plain JS arrays, straight into typed arrays. apache-arrow's vectorFromArray
 * goes through a generic builder with a dispatch per value, which made building a batch cost
 * several times more than decoding it; these build the buffers directly.
 */

/** A validity bitmap for `values` (undefined when nothing is null, as Arrow allows). */
function validity(values: ArrayLike<unknown>): { nullBitmap?: Uint8Array; nullCount: number } {
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === null || values[i] === undefined) nullCount++;
  if (!nullCount) return { nullCount };
  const nullBitmap = new Uint8Array(((values.length + 63) >> 6) << 3);
  for (let i = 0; i < values.length; i++) if (values[i] !== null && values[i] !== undefined) nullBitmap[i >> 3]! |= 1 << (i & 7);
  return { nullBitmap, nullCount };
}

/** Numbers copied into a typed array (nulls left as 0, masked by the validity bitmap). */
function numbers<A extends Float64Array | Int32Array>(values: ArrayLike<unknown>, data: A): A {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) data[i] = v as number;
  }
  return data;
}

export function float64Vector(values: ArrayLike<unknown>): Vector<Float64> {
  return makeVector(makeData({ type: new Float64(), length: values.length, data: numbers(values, new Float64Array(values.length)), ...validity(values) }));
}

export function int32Vector(values: ArrayLike<unknown>): Vector<Int32> {
  return makeVector(makeData({ type: new Int32(), length: values.length, data: numbers(values, new Int32Array(values.length)), ...validity(values) }));
}

/** Int64 from numbers or bigints. */
export function int64Vector(values: ArrayLike<unknown>): Vector<Int64> {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) data[i] = typeof v === 'bigint' ? v : BigInt(v as number);
  }
  return makeVector(makeData({ type: new Int64(), length: values.length, data, ...validity(values) }));
}

/** Timestamps from epoch milliseconds (numbers) or Dates. */
export function timestampMsVector(values: ArrayLike<unknown>): Vector<TimestampMillisecond> {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) data[i] = BigInt(Math.trunc(v instanceof Date ? v.getTime() : Number(v)));
  }
  return makeVector(makeData({ type: new TimestampMillisecond(), length: values.length, data, ...validity(values) }));
}

/** Plain UTF-8 strings (offsets + bytes), each distinct string encoded once. */
function plainUtf8(values: ArrayLike<unknown>): Vector<Utf8> {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const seen = new Map<string, Buffer>();
  const parts: Buffer[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) {
      const s = v as string;
      let b = seen.get(s);
      if (!b) {
        b = Buffer.from(s, 'utf8');
        if (seen.size < 4096) seen.set(s, b);
      }
      parts.push(b);
      bytes += b.length;
    }
    offsets[i + 1] = bytes;
  }
  const data = new Uint8Array(bytes);
  let at = 0;
  for (const b of parts) {
    data.set(b, at);
    at += b.length;
  }
  return makeVector(makeData({ type: new Utf8(), length: n, data, valueOffsets: offsets, ...validity(values) }));
}

/** Most distinct values a string column may have to be dictionary-encoded. */
const MAX_DICTIONARY = 1024;

/**
 * UTF-8 strings. Batches repeat the same strings (ids, units, sources, lineage) row after row: a
 * column with few distinct values is dictionary-encoded (Int32 codes + the distinct strings), which
 * is cheaper to build here and to load into DuckDB; other columns are plain.
 */
export function utf8Vector(values: ArrayLike<unknown>): Vector<Utf8> | Vector<Dictionary<Utf8, Int32>> {
  const n = values.length;
  const codes = new Int32Array(n);
  const index = new Map<string, number>();
  const dict: string[] = [];
  let prev: unknown;
  let prevCode = -1;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (v === prev) {
      codes[i] = prevCode;
      continue;
    }
    let c = index.get(v as string);
    if (c === undefined) {
      if (dict.length >= MAX_DICTIONARY || dict.length > n / 4 + 8) return plainUtf8(values);
      c = dict.length;
      dict.push(v as string);
      index.set(v as string, c);
    }
    codes[i] = c;
    prev = v;
    prevCode = c;
  }
  const type = new Dictionary(new Utf8(), new Int32());
  return makeVector(makeData({ type, length: n, data: codes, dictionary: plainUtf8(dict), ...validity(values) }));
}

/** A vector of `type` from JS values, through the fast builders where there is one. */
export function vectorOf(values: ArrayLike<unknown>, type: DataType): Vector {
  if (type instanceof Float64) return float64Vector(values);
  if (type instanceof Int32) return int32Vector(values);
  if (type instanceof Int64) return int64Vector(values);
  if (type instanceof TimestampMillisecond) return timestampMsVector(values);
  if (type instanceof Utf8) return utf8Vector(values);
  return vectorFromArray(values as unknown[], type);
}

/** `values[i]` repeated `counts[i]` times, as a dictionary-encoded column (one code per row). */
export function repeatedUtf8(values: readonly string[], counts: readonly number[]): Vector<Dictionary<Utf8, Int32>> {
  const n = counts.reduce((a, b) => a + b, 0);
  const codes = new Int32Array(n);
  let at = 0;
  counts.forEach((count, i) => {
    codes.fill(i, at, at + count);
    at += count;
  });
  return makeVector(makeData({ type: new Dictionary(new Utf8(), new Int32()), length: n, data: codes, dictionary: plainUtf8(values) }));
}
