import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import avroLib from 'avsc';
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

test('TripBatch bytes read straight into columns give the same table as avsc objects; bytes it cannot read leave no trace', () => {
  // A fixed-seed generator: every field null or not, negative and 2^53-scale longs, non-ASCII text,
  // NaN and infinities, empty strings, and item arrays written in several Avro blocks.
  let seed = 20261126;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const maybe = <T>(v: T): T | null => (rnd() < 0.2 ? null : v);
  const long = (): number => pick([0, 1, -1, 229, -(2 ** 31), 2 ** 40 + 3, 9007199254740990, -9007199254740990, Math.floor(rnd() * 1e6)]);
  const dbl = (): number => pick([0, -0.5, 12.25, 1e300, Number.NaN, Number.POSITIVE_INFINITY, rnd() * 100]);
  const trip = (): Record<string, unknown> => ({
    service: maybe(pick(['yellow', 'green', '', 'ÿellow ✓'])), vendor_id: maybe(long()), pickup_datetime: maybe(Date.UTC(2025, 0, 1) + Math.floor(rnd() * 1e9)),
    dropoff_datetime: maybe(-86_400_000), passenger_count: maybe(long()), trip_distance: maybe(dbl()), pu_location_id: maybe(long()), do_location_id: maybe(long()),
    ratecode_id: maybe(long()), store_and_fwd_flag: maybe(pick(['N', 'Y'])), payment_type: maybe(long()), fare_amount: maybe(dbl()), extra: maybe(dbl()),
    mta_tax: maybe(dbl()), tip_amount: maybe(dbl()), tolls_amount: maybe(dbl()), improvement_surcharge: maybe(dbl()), total_amount: maybe(dbl()),
    congestion_surcharge: maybe(dbl()), airport_fee: maybe(dbl()), cbd_congestion_fee: maybe(dbl()), trip_type: maybe(long()), ehail_fee: maybe(dbl()),
  });
  const enc = new AvroEncoder(TAXI);
  const dec = new AvroDecoder(TAXI);
  const tripType = ((TAXI.type as avro.types.RecordType).fields[4]!.type as avro.types.ArrayType).itemsType;
  const longType = avroLib.Type.forSchema('long');
  const layout = new ArrowLayout(TAXI);
  assert.ok(layout.columnar);
  const messages: Buffer[] = [];
  for (let m = 0; m < 60; m++) {
    const value = { source_file: `yellow_tripdata_2025-0${1 + (m % 9)}.parquet`, batch_index: m, batch_count: maybe(60), first_row: m * 1000, trips: Array.from({ length: 1 + Math.floor(rnd() * 40) }, trip) };
    const buf = enc.encode(value);
    messages.push(buf);
    // The same record with its trips in blocks of 3 (negative counts with byte sizes), as other writers may.
    if (m % 10 === 0) {
      const head = enc.encode({ ...value, trips: [] });
      const parts = [head.subarray(0, head.length - 1)];
      for (let t = 0; t < value.trips.length; t += 3) {
        const items = Buffer.concat(value.trips.slice(t, t + 3).map((x) => tripType.toBuffer(x)));
        parts.push(longType.toBuffer(-Math.min(3, value.trips.length - t)), longType.toBuffer(items.length), items);
      }
      messages.push(Buffer.concat([...parts, Buffer.from([0])]));
    }
  }
  const damaged: Buffer[] = [];
  for (const buf of messages.slice(0, 20)) {
    damaged.push(buf.subarray(0, Math.floor(buf.length * rnd())), Buffer.concat([buf, Buffer.from([0])]));
    const flip = Buffer.from(buf);
    const at = 10 + Math.floor(rnd() * (buf.length - 10));
    flip[at] = flip[at]! ^ 0xff;
    damaged.push(flip);
  }
  const columnar = layout.builder();
  const objects = layout.builder();
  let refused = 0;
  for (const [i, buf] of [...messages, ...damaged].entries()) {
    const lineage = { topic: 't', partition: i % 3, offset: String(i) };
    const before = columnar.rows;
    const readerEncoded = dec.isReaderEncoded(buf);
    assert.ok(readerEncoded || (buf as Buffer).length < 10, `message ${i} has the reader's header`);
    const r = readerEncoded ? columnar.appendEncoded(buf, 10, lineage) : undefined;
    const d = dec.decode(buf);
    if (r === undefined) {
      assert.ok(i >= messages.length, `message ${i} is well-formed and read into columns`);
      refused++;
      assert.equal(columnar.rows, before, `message ${i}: a refused message adds no rows`);
      if (d.ok) columnar.appendValue(d.value, lineage); // what the source does: avsc reads it instead
    } else {
      assert.ok(d.ok, `message ${i}: read into columns, so avsc reads it too`);
    }
    if (d.ok) objects.appendValue(d.value, lineage);
  }
  assert.ok(refused >= 20, `damaged messages are refused (${refused})`);
  const a = columnar.finish();
  const b = objects.finish();
  assert.ok(a.numRows > 1000);
  assert.deepEqual(a.schema.fields.map((f) => `${f.name}:${String(f.type)}`), b.schema.fields.map((f) => `${f.name}:${String(f.type)}`));
  for (const f of a.schema.fields) {
    const x = a.getChild(f.name)!.toArray() as ArrayLike<unknown>;
    const y = b.getChild(f.name)!.toArray() as ArrayLike<unknown>;
    for (let r = 0; r < a.numRows; r++) assert.ok(Object.is(a.getChild(f.name)!.get(r), b.getChild(f.name)!.get(r)) || a.getChild(f.name)!.get(r) === b.getChild(f.name)!.get(r), `${f.name} row ${r}: ${String(x[r])} vs ${String(y[r])}`);
  }
});

test('flat records (a Reading) read straight into columns give the same table as avsc objects, however often their texts repeat', () => {
  let seed = 20261127;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const maybe = (v: number): number | null => (rnd() < 0.2 ? null : v);
  const dbl = (): number => pick([0, -0.5, 12.25, 1e300, Number.NaN, Number.NEGATIVE_INFINITY, rnd() * 100]);
  const names = ['Hà Nội', 'Zürich', '東京', '', 'Ho Chi Minh City', 'x'.repeat(600)];
  const enc = new AvroEncoder(V1);
  const dec = new AvroDecoder(V1);
  const layout = new ArrowLayout(V1);
  assert.ok(layout.columnar);
  const messages: Buffer[] = [];
  // 6,000 records: texts that repeat (ids, names, units), one that never does (request_url: past
  // the interner's limit of distinct texts), texts longer than it interns, empty ones.
  for (let i = 0; i < 6000; i++) {
    const loc = Math.floor(rnd() * 120);
    messages.push(enc.encode(reading({
      location_id: `loc_${loc}`, location_name: names[loc % names.length]!, latitude: dbl(), longitude: dbl(), timezone: pick(['UTC', 'Asia/Tokyo']),
      ts_utc: Date.UTC(2024, 0, 1) + i * 3_600_000, pm10: maybe(dbl()), pm2_5: maybe(dbl()), carbon_monoxide: maybe(dbl()), nitrogen_dioxide: maybe(dbl()),
      sulphur_dioxide: maybe(dbl()), ozone: maybe(dbl()), dust: maybe(dbl()), uv_index: maybe(dbl()), us_aqi: maybe(dbl()), european_aqi: maybe(dbl()),
      units: pick(['{"pm10":"μg/m³"}', '{"pm10":"ug/m3"}', '{}']), extra: rnd() < 0.5 ? '{}' : `{"n":${i % 7}}`, source: 'test', request_url: `http://x/v1/air-quality?i=${i}`,
      fetched_at: Date.UTC(2024, 6, 1) + i,
    }) as unknown as Record<string, unknown>));
  }
  const damaged = messages.slice(0, 30).flatMap((buf) => [buf.subarray(0, 10 + Math.floor((buf.length - 10) * rnd())), Buffer.concat([buf, Buffer.from([0])])]);
  const columnar = layout.builder();
  const objects = layout.builder();
  for (const [i, buf] of [...messages, ...damaged].entries()) {
    const lineage = { topic: 't', partition: i % 3, offset: String(i) };
    const before = columnar.rows;
    const r = dec.isReaderEncoded(buf) ? columnar.appendEncoded(buf, 10, lineage) : undefined;
    const d = dec.decode(buf);
    if (i < messages.length) assert.deepEqual(r, { rows: 1 }, `message ${i} is read into columns`);
    if (r === undefined) {
      assert.equal(columnar.rows, before, `message ${i}: a refused message adds no rows`);
      if (d.ok) columnar.appendValue(d.value, lineage);
    }
    if (d.ok) objects.appendValue(d.value, lineage);
  }
  const a = columnar.finish();
  const b = objects.finish();
  assert.equal(a.numRows, b.numRows);
  assert.ok(a.numRows >= 6000);
  assert.deepEqual(a.schema.fields.map((f) => `${f.name}:${String(f.type)}`), b.schema.fields.map((f) => `${f.name}:${String(f.type)}`));
  for (const f of a.schema.fields) {
    const x = a.getChild(f.name)!;
    const y = b.getChild(f.name)!;
    for (let r = 0; r < a.numRows; r++) assert.ok(Object.is(x.get(r), y.get(r)) || x.get(r) === y.get(r), `${f.name} row ${r}: ${String(x.get(r))} vs ${String(y.get(r))}`);
  }
});
