import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { ArrowLayout } from '../src/avro/arrow.ts';
import { AvroDecoder, AvroEncoder, loadSchemaFile, loadSchemas, parseSchema } from '../src/avro/codec.ts';
import { canonicalForm, rabin64 } from '../src/avro/fingerprint.ts';
import { reading } from './support/readings.ts';

const path = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const V1 = loadSchemaFile(path('../schemas/avro/open_meteo_reading.avsc'));
const V2 = loadSchemaFile(path('fixtures/avro/open_meteo_reading.v2.avsc'));
const TAXI = loadSchemaFile(path('../schemas/avro/taxi_trip_batch.avsc'));


test('fingerprints are the Avro spec\'s CRC-64-AVRO of the parsing canonical form', () => {
  // Vectors from the Avro project's share/test/data/schema-tests.txt.
  const vectors: [avro.Schema, bigint][] = [
    ['null', 7195948357588979594n],
    ['int', 8247732601305521295n],
    [{ fields: [], type: 'record', name: 'foo', namespace: 'x.y' } as avro.Schema, 5916914534497305771n],
    [{ name: 'PigValue', type: 'record', fields: [{ name: 'value', type: ['null', 'int', 'long', 'PigValue'] }] } as avro.Schema, -1759257747318642341n],
    [{ fields: [{ type: 'boolean', aliases: [], name: 'f1', default: true }, { order: 'descending', name: 'f2', doc: 'Hello', type: 'int' }], type: 'record', name: 'foo' } as avro.Schema, -4860222112080293046n],
  ];
  for (const [schema, want] of vectors) assert.equal(BigInt.asIntN(64, rabin64(canonicalForm(schema))), want, canonicalForm(schema));
  // Docs and logical types do not change the version: only what affects parsing does.
  assert.notEqual(V1.id, V2.id);
});

test('a Reading round-trips; timestamp-millis takes a Date or epoch ms and decodes to epoch ms', () => {
  const enc = new AvroEncoder(V1);
  const r = reading();
  const bytes = enc.encode({ ...r, fetched_at: new Date(r.fetched_at) });
  assert.deepEqual([...bytes.subarray(0, 2)], [0xc3, 0x01]);
  assert.equal(bytes.subarray(2, 10).toString('hex'), V1.id);
  const d = new AvroDecoder(V1).decode(bytes);
  assert.ok(d.ok);
  assert.deepEqual({ ...d.value }, r);
  assert.throws(() => enc.encode({ ...r, ts_utc: 'yesterday' }), /does not fit strata\.open_meteo\.Reading/);
});

test('schema evolution: a v2 reader (field added with a default) accepts v1 messages; an unknown version is refused', () => {
  const v1bytes = new AvroEncoder(V1).encode(reading());
  const v2reader = new AvroDecoder(V2, [V1]);
  const d = v2reader.decode(v1bytes);
  assert.ok(d.ok, JSON.stringify(d));
  assert.equal(d.value.data_quality, null, 'the added field takes its default');
  assert.equal(d.value.pm2_5, 30.1);
  assert.equal(d.writer.id, V1.id);
  // v2 messages: a v1 reader that was told of v2 reads them (the new field is skipped)…
  const v2bytes = new AvroEncoder(V2).encode({ ...reading(), data_quality: 'ok' });
  const d1 = new AvroDecoder(V1, [V2]).decode(v2bytes);
  assert.ok(d1.ok);
  assert.equal('data_quality' in d1.value, false);
  // …one that was not refuses them by fingerprint, before touching the body.
  const d2 = new AvroDecoder(V1).decode(v2bytes);
  assert.deepEqual(d2.ok ? 'decoded' : d2.reason, 'unknown_schema_version');
  // The folder of shipped schemas holds both record types; a taxi batch is a known schema of the wrong record.
  const all = loadSchemas([path('../schemas/avro')]);
  const taxiBytes = new AvroEncoder(TAXI).encode({ source_file: 'f.parquet', batch_index: 0, batch_count: null, first_row: 0, trips: [] });
  const d3 = new AvroDecoder(V1, all).decode(taxiBytes);
  assert.equal(d3.ok ? 'decoded' : d3.reason, 'schema_mismatch');
});

test('undecodable bytes are classified, never thrown', () => {
  const dec = new AvroDecoder(V1, [], 4096);
  const good = new AvroEncoder(V1).encode(reading());
  const cases: [Buffer | null, string][] = [
    [null, 'empty_message'],
    [Buffer.alloc(0), 'empty_message'],
    [Buffer.alloc(5000, 1), 'oversized_message'],
    [Buffer.from('{"location_id":"hcmc"}'), 'not_single_object_encoding'],
    [good.subarray(0, 40), 'avro_decode_error'],
    [Buffer.concat([good, Buffer.from([1, 2, 3])]), 'avro_decode_error'],
    [Buffer.concat([good.subarray(0, 10), Buffer.alloc(200, 0xff)]), 'avro_decode_error'],
  ];
  for (const [buf, reason] of cases) {
    const d = dec.decode(buf);
    assert.equal(d.ok ? 'decoded' : d.reason, reason, `${buf?.length ?? 'null'} bytes`);
  }
});

test('a TripBatch explodes into one row per trip with file lineage and row numbers', () => {
  const trip = { service: 'yellow', vendor_id: 1, pickup_datetime: Date.UTC(2025, 0, 1, 0, 18, 38), dropoff_datetime: Date.UTC(2025, 0, 1, 0, 26, 59), passenger_count: 1, trip_distance: 1.6, pu_location_id: 229, do_location_id: 237, fare_amount: 10, total_amount: 18 };
  const value = new AvroDecoder(TAXI).decode(new AvroEncoder(TAXI).encode({ source_file: 'yellow_tripdata_2025-01.parquet', batch_index: 2, batch_count: 3, first_row: 10, trips: [trip, { ...trip, vendor_id: 2 }] }));
  assert.ok(value.ok);
  const table = new ArrowLayout(TAXI).toArrow([{ value: value.value, lineage: { topic: 't', partition: 1, offset: '7' } }]);
  assert.equal(table.numRows, 2);
  const row = table.get(1)!.toJSON();
  assert.equal(row.vendor_id, 2n);
  assert.equal(row._source_file, 'yellow_tripdata_2025-01.parquet');
  assert.equal(row._batch_index, 2);
  assert.equal(row._row_number, 12n);
  assert.equal(row._kafka_offset, 7n);
  assert.equal(row.pickup_datetime, Date.UTC(2025, 0, 1, 0, 18, 38));
  assert.equal(row.ehail_fee, null);
  // Every trip field of the schema is a column.
  const fields = (JSON.parse(readFileSync(TAXI.file, 'utf8')) as { fields: { name: string; type: { items?: { fields: { name: string }[] } } }[] }).fields[4]!.type.items!.fields.map((f) => f.name);
  for (const f of fields) assert.ok(table.schema.fields.some((x) => x.name === f), f);
  assert.ok(parseSchema(JSON.parse(readFileSync(V1.file, 'utf8')) as avro.Schema).id === V1.id);
});
