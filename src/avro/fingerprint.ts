import avro from 'avsc';

/**
 * The schema's Parsing Canonical Form (Avro spec): full names, only the attributes that affect
 * parsing, fixed order, no whitespace. avsc's `schema()` of a type parsed without logical types
 * is exactly that.
 */
export function canonicalForm(schema: avro.Schema): string {
  return JSON.stringify(avro.Type.forSchema(schema).schema());
}

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;
let table: bigint[] | undefined;

function crcTable(): bigint[] {
  if (table) return table;
  table = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
    table.push(fp);
  }
  return table;
}

/** CRC-64-AVRO ("Rabin") fingerprint of a string's UTF-8 bytes, as an unsigned 64-bit integer. */
export function rabin64(text: string): bigint {
  const t = crcTable();
  let fp = EMPTY;
  for (const b of Buffer.from(text, 'utf8')) fp = (fp >> 8n) ^ t[Number((fp ^ BigInt(b)) & 0xffn)]!;
  return fp;
}

/** The 8 fingerprint bytes of single-object encoding: the Rabin fingerprint, little-endian. */
export function fingerprintBytes(schema: avro.Schema): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(rabin64(canonicalForm(schema)));
  return b;
}
