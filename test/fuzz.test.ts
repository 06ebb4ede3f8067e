// Bad-input fuzzing with fixed seeds: random and mutated Avro messages (Open-Meteo readings and taxi
// trip batches), Open-Meteo JSON bodies and TLC trip files go through the real decoders and
// operators. Nothing may crash, and every message, trip and file is accounted for: it lands in Bronze
// (and then Silver or the quarantine) or in the dead letters / the list of refused files, never nowhere.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { AvroDecoder, AvroEncoder, loadSchemaFile, loadSchemas } from '../src/avro/codec.ts';
import { loadServiceConfig } from '../src/config/service.ts';
import { loadTopology } from '../src/config/topology.ts';
import { lit, openDuckDB } from '../src/duckdb/instance.ts';
import { DataError, StrataError } from '../src/core/errors.ts';
import { buildGraph } from '../src/runtime/build.ts';
import { Pipeline } from '../src/runtime/pipeline.ts';
import { toReadings } from '../src/sources/open-meteo/parse.ts';
import { openTlcFile } from '../src/sources/tlc/reader.ts';
import { VALIDATORS } from '../src/sources/topic/validate.ts';
import { MemoryTransport } from '../src/transport/memory.ts';
import { ROOT, waitFor } from './support/kafka.ts';
import { count, quietLog, tempWarehouse } from './support/pipeline-harness.ts';
import { reading } from './support/readings.ts';
import { runTaxi, SAMPLE_CSV, SAMPLE_PARQUET } from './support/taxi-harness.ts';

const SEED = 20261125;
const schema = loadSchemaFile(join(ROOT, 'schemas/avro/open_meteo_reading.avsc'));
const enc = new AvroEncoder(schema);
const DECODE_REASONS = new Set(['empty_message', 'oversized_message', 'not_single_object_encoding', 'unknown_schema_version', 'schema_mismatch', 'avro_decode_error']);

/** A valid message, then damaged: bytes flipped, cut, extended, or replaced by noise. */
const mutatedMessage = fc.tuple(
  fc.integer({ min: 0, max: 10_000 }),
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('extend' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('noise' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
    fc.record({ kind: fc.constant('keep' as const) }),
  ),
).map(([h, m]) => {
  const good = enc.encode(reading({ location_id: `fz${h % 7}`, ts_utc: Date.UTC(2024, 0, 1) + h * 3_600_000 }));
  switch (m.kind) {
    case 'flip': {
      const b = Buffer.from(good);
      b[m.at % b.length] = m.byte;
      return b;
    }
    case 'cut':
      return good.subarray(0, m.at % good.length);
    case 'extend':
      return Buffer.concat([good, Buffer.from(m.tail)]);
    case 'noise':
      return Buffer.from(m.bytes);
    case 'keep':
      return good;
  }
});

test('Avro decoder: random and mutated bytes never throw; each message decodes or gets a known reason', () => {
  const dec = new AvroDecoder(schema, [], 4096);
  fc.assert(
    fc.property(fc.oneof(mutatedMessage, fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b))), (buf) => {
      const d = dec.decode(buf);
      if (!d.ok) assert.ok(DECODE_REASONS.has(d.reason), d.reason);
    }),
    { seed: SEED, numRuns: 3000 },
  );
});

test('Open-Meteo JSON: mutated real responses give readings or a typed error naming the problem, never a crash', async () => {
  const real = JSON.parse(await readFile(join(ROOT, '../shared/data/openmeteo/beijing_co_2023-01-01.json'), 'utf8')) as Record<string, unknown>;
  const loc = { id: 'beijing', name: 'Beijing', latitude: 39.9, longitude: 116.4, timezone: 'Asia/Shanghai' };
  const anyJson = fc.jsonValue({ maxDepth: 2 });
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom('hourly', 'hourly_units', 'utc_offset_seconds', 'timezone', 'latitude') }),
    fc.record({ op: fc.constant('set' as const), key: fc.constantFrom('hourly', 'hourly_units', 'utc_offset_seconds', 'timezone'), value: anyJson }),
    fc.record({ op: fc.constant('hourly' as const), key: fc.constantFrom('time', 'carbon_monoxide', 'pm2_5'), value: anyJson }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  );
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
      let body: unknown = structuredClone(real);
      for (const m of ms) {
        const o = body as Record<string, unknown>;
        if (m.op === 'drop') delete o[m.key];
        else if (m.op === 'set') o[m.key] = m.value;
        else if (m.op === 'hourly' && o.hourly && typeof o.hourly === 'object') (o.hourly as Record<string, unknown>)[m.key] = m.value;
        else if (m.op === 'truncate') {
          const text = JSON.stringify(body);
          try {
            body = JSON.parse(text.slice(0, m.at % text.length));
          } catch {
            return; // the client sees a truncated body as a transport error and retries (tested there)
          }
        }
      }
      try {
        const rows = toReadings(body, loc, { source: 'fuzz', requestUrl: 'fuzz', fetchedAt: 0 });
        for (const r of rows) assert.ok(Number.isFinite(r.ts_utc), 'every reading has a real timestamp');
      } catch (err) {
        assert.ok(err instanceof StrataError, `untyped error: ${(err as Error).stack}`);
        assert.ok((err as Error).message.length > 10);
      }
    }),
    { seed: SEED, numRuns: 2000 },
  );
});

test('through the pipeline: 600 mutated messages, each lands in Bronze or the dead letters (none lost, none twice)', { timeout: 120_000 }, async () => {
  const messages = fc.sample(mutatedMessage, { seed: SEED, numRuns: 600 });
  const topo = await loadTopology(join(ROOT, 'topologies/air_quality.yaml'));
  const spec = topo.spec.sources.readings_kafka as Extract<(typeof topo.spec.sources)[string], { type: 'topic' }>;
  const config = await loadServiceConfig(undefined, {});
  const transport = new MemoryTransport(2);
  const wh = await tempWarehouse();
  topo.spec.sources = { readings_kafka: { ...spec, when: 'always' } }; // only the topic, on the in-process transport
  const graph = buildGraph(topo, { config, log: quietLog, state: wh.state, transport });
  await transport.producer().send('strata.open_meteo.readings', messages.map((value, i) => ({ key: `k${i % 5}`, value })));
  const db = await openDuckDB();
  const p = new Pipeline(topo, graph, { db, warehouse: wh, log: quietLog });
  await p.start();
  await waitFor('all 600 messages committed', () => (transport.positions('strata-air_quality-readings_kafka', 'strata.open_meteo.readings').reduce((a, b) => a + b, 0) === 600 ? true : undefined), 100_000, 100);
  await p.stop();
  db.closeSync();
  const bronze = await count(wh, 'SELECT count(*) FROM bronze.open_meteo_air_quality');
  const dead = await count(wh, 'SELECT count(*) FROM bronze.dead_letters');
  assert.equal(bronze + dead, 600, `bronze ${bronze} + dead letters ${dead}`);
  assert.equal(await count(wh, 'SELECT count(*) FROM (SELECT _kafka_partition, _kafka_offset FROM bronze.open_meteo_air_quality GROUP BY ALL HAVING count(*) > 1)'), 0, 'no message twice in Bronze');
  assert.equal(await count(wh, 'SELECT count(*) FROM bronze.dead_letters WHERE reason IS NULL OR error IS NULL OR payload_base64 IS NULL'), 0, 'every dead letter has a reason, an error and the original bytes');
  assert.ok(bronze > 0 && dead > 0, `both paths exercised: ${bronze} good, ${dead} dead`);
  assert.equal(transport.read('strata.air_quality.dead_letters').length, dead, 'the dead-letter topic holds the same records');
});

// ---- Taxi trips: TripBatch messages (the taxi topic) ------------------------------------------

const taxiSchema = loadSchemaFile(join(ROOT, 'schemas/avro/taxi_trip_batch.avsc'));
const taxiEnc = new AvroEncoder(taxiSchema);
const FEB_2024 = Date.UTC(2024, 1, 1);

/** A plausible trip (February 2024, zones 132 → 236), fields then overridden at random. */
const TRIP = {
  service: 'yellow', vendor_id: 2, pickup_datetime: FEB_2024 + 3_600_000, dropoff_datetime: FEB_2024 + 5_400_000, passenger_count: 1,
  trip_distance: 12.5, pu_location_id: 132, do_location_id: 236, ratecode_id: 1, store_and_fwd_flag: 'N', payment_type: 1,
  fare_amount: 45, extra: 1, mta_tax: 0.5, tip_amount: 9, tolls_amount: 0, improvement_surcharge: 1, total_amount: 59.25,
  congestion_surcharge: 2.5, airport_fee: 1.75, cbd_congestion_fee: null, trip_type: null, ehail_fee: null,
};
const nullable = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null, freq: 5 });
const anyLong = fc.oneof(fc.integer({ min: -3, max: 300 }), fc.maxSafeInteger(), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }));
const anyDouble = fc.oneof(fc.double(), fc.integer({ min: -400, max: 40_000 }).map((c) => c / 4), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 9999.995, 1e300, -1e-300));
// Times: in the file's month, near it, or anywhere an Avro long (safe integer) can put them.
const anyTime = fc.oneof(fc.integer({ min: FEB_2024 - 86_400_000, max: FEB_2024 + 31 * 86_400_000 }), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, -1, 253_402_300_799_999));
const anyText = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }));
const tripFields = {
  service: nullable(fc.oneof(fc.constantFrom('yellow', 'green'), anyText)),
  vendor_id: nullable(anyLong),
  pickup_datetime: nullable(anyTime),
  dropoff_datetime: nullable(anyTime),
  passenger_count: nullable(anyLong),
  trip_distance: nullable(anyDouble),
  pu_location_id: nullable(anyLong),
  do_location_id: nullable(anyLong),
  ratecode_id: nullable(anyLong),
  store_and_fwd_flag: nullable(fc.oneof(fc.constantFrom('Y', 'N'), anyText)),
  payment_type: nullable(anyLong),
  fare_amount: nullable(anyDouble),
  tip_amount: nullable(anyDouble),
  tolls_amount: nullable(anyDouble),
  total_amount: nullable(anyDouble),
  congestion_surcharge: nullable(anyDouble),
  trip_type: nullable(anyLong),
  ehail_fee: nullable(anyDouble),
};
/** Trips as sent: plausible, one field changed, or any number of fields changed. */
const tripOverrides = fc.oneof(
  { weight: 2, arbitrary: fc.constant({}) },
  { weight: 4, arbitrary: fc.oneof(...Object.entries(tripFields).map(([k, a]) => (a as fc.Arbitrary<unknown>).map((v) => ({ [k]: v })))) },
  { weight: 1, arbitrary: fc.record(tripFields, { requiredKeys: [] }) },
);
/** A TripBatch of random trips (most mostly plausible), then possibly damaged like the readings above. */
const taxiMessage = fc.record({
  file: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('yellow_tripdata_2024-02.parquet', 'green_tripdata_2024-02.csv', 'trips.parquet') }, { weight: 1, arbitrary: anyText }),
  batch: fc.oneof({ weight: 9, arbitrary: fc.nat({ max: 50 }) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: -1 }) }),
  count: nullable(fc.nat({ max: 60 })),
  first: fc.oneof({ weight: 9, arbitrary: fc.nat({ max: 1_000_000 }) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: -1 }) }),
  trips: fc.array(tripOverrides, { maxLength: 12 }),
  damage: fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('keep' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  ),
});
type TaxiCase = typeof taxiMessage extends fc.Arbitrary<infer T> ? T : never;

function encodeTaxi(m: TaxiCase, i: number): Buffer {
  // The file name carries the message's index: every trip of the run has its own (file, row) identity.
  const good = taxiEnc.encode({
    source_file: m.file.trim() ? `${i}-${m.file}` : m.file,
    batch_index: m.batch,
    batch_count: m.count,
    first_row: m.first,
    trips: m.trips.map((o) => ({ ...TRIP, ...o })),
  });
  switch (m.damage.kind) {
    case 'keep':
      return good;
    case 'flip': {
      const b = Buffer.from(good);
      b[m.damage.at % b.length] = m.damage.byte;
      return b;
    }
    case 'cut':
      return good.subarray(0, m.damage.at % good.length);
    case 'extend':
      return Buffer.concat([good, Buffer.from(m.damage.tail)]);
  }
}

test('taxi topic through the pipeline: 400 random and damaged trip batches; each message lands whole in Bronze or the dead letters, each trip in Silver or the quarantine', { timeout: 120_000 }, async () => {
  const messages = fc.sample(taxiMessage, { seed: SEED, numRuns: 400 }).map(encodeTaxi);
  const topo = await loadTopology(join(ROOT, 'topologies/taxi.yaml'));
  const spec = topo.spec.sources.trips_kafka as Extract<(typeof topo.spec.sources)[string], { type: 'topic' }>;
  const config = await loadServiceConfig(undefined, {});
  const transport = new MemoryTransport(2);
  const wh = await tempWarehouse();
  topo.spec.sources = { trips_kafka: { ...spec, when: 'always' } }; // only the topic, on the in-process transport
  const graph = buildGraph(topo, { config, log: quietLog, state: wh.state, transport });
  const source = graph.sources.get('trips_kafka')!;
  await transport.producer().send('strata.tlc.trips', messages.map((value, i) => ({ key: `k${i % 7}`, value })));

  // What the decoder and the source's validator say of each message: the expected split.
  const check = new AvroDecoder(taxiSchema, loadSchemas([join(ROOT, 'schemas/avro')]), 8 * 1024 * 1024);
  let goodMessages = 0;
  let goodTrips = 0;
  for (const m of messages) {
    const d = check.decode(m);
    if (d.ok && !VALIDATORS['strata.tlc.TripBatch']!(d.value, (d.value.trips as unknown[]).length)) {
      goodMessages++;
      goodTrips += (d.value.trips as unknown[]).length;
    }
  }

  const db = await openDuckDB();
  const p = new Pipeline(topo, graph, { db, warehouse: wh, log: quietLog });
  await p.start();
  await waitFor('all 400 messages committed', () => {
    // A batch an operator fails on is retried until it commits: fail with the error instead of waiting.
    const f = p.status.failing ?? (p.status.lastError ? { error: p.status.lastError } : undefined);
    if (f) throw new Error(`the pipeline failed on a batch: ${f.error}`);
    return transport.positions('strata-taxi-trips_kafka', 'strata.tlc.trips').reduce((a, b) => a + b, 0) === 400 ? true : undefined;
  }, 100_000, 100);
  await p.stop();
  db.closeSync();

  const bronzeMessages = await count(wh, 'SELECT count(DISTINCT (_kafka_partition, _kafka_offset)) FROM bronze.taxi_trips');
  const bronze = await count(wh, 'SELECT count(*) FROM bronze.taxi_trips');
  const dead = await count(wh, 'SELECT count(*) FROM bronze.dead_letters');
  assert.equal(bronzeMessages + dead, 400, `bronze ${bronzeMessages} messages + dead letters ${dead}`);
  assert.equal(bronzeMessages, goodMessages, 'the messages that decode and validate are the ones in Bronze');
  assert.equal(bronze, goodTrips, 'every trip of a landed message is in Bronze, once');
  assert.equal(await count(wh, 'SELECT count(*) FROM bronze.dead_letters WHERE reason IS NULL OR error IS NULL OR payload_base64 IS NULL'), 0);
  assert.equal(transport.read('strata.taxi.dead_letters').length, dead, 'the dead-letter topic holds the same records');

  const silver = await count(wh, 'SELECT count(*) FROM silver.taxi_trips');
  const rejected = await count(wh, 'SELECT count(*) FROM silver.taxi_trips_rejected');
  assert.equal(silver + rejected, bronze, `every Bronze trip is in Silver (${silver}) or quarantined (${rejected})`);
  assert.equal(await count(wh, 'SELECT count(*) FROM silver.taxi_trips_rejected WHERE reason IS NULL'), 0, 'each quarantined trip has its reason');
  assert.equal(await count(wh, `SELECT count(*) FROM bronze.taxi_trips b WHERE NOT EXISTS (SELECT 1 FROM silver.taxi_trips s WHERE s._source_file = b._source_file AND s._row_number = b._row_number)
    AND NOT EXISTS (SELECT 1 FROM silver.taxi_trips_rejected r WHERE r._source_file = b._source_file AND r._row_number = b._row_number)`), 0, 'each Bronze trip by (file, row)');
  assert.ok(silver > 0 && rejected > 0 && dead > 0, `every path exercised: ${silver} kept, ${rejected} quarantined, ${dead} dead letters`);
  assert.equal(await count(wh, 'SELECT sum(trips) FROM gold.taxi_daily_zone'), silver, 'gold counts each kept trip once');
});

// ---- Taxi trips: TLC files (the file source) ---------------------------------------------------

/** A CSV cell: TLC-looking, numeric edge cases, dates that are not, or any text a cell can hold. */
const csvCell = fc.oneof(
  fc.constantFrom('', 'NaN', 'nan', 'inf', '-Infinity', '-0', '1e400', '0x1F', ' 7 ', '007', '3.', '.5', '1_000', '9223372036854775808',
    '2020-07-01 25:61:00', '2020-02-30 00:00:00', '2020-07-01T00:10:00Z', '2020-07-01', '07/01/2020 00:10', '99999-01-01 00:00:00',
    '-0001-07-01 00:00:00', 'Y', 'N', '"quoted"', '"1,5"', '"a ""b"""', 'NULL', '\\N', '\u00e9t\u00e9', '\u{1F695}'),
  fc.double().map(String),
  fc.integer().map(String),
  fc.bigInt().map(String),
  fc.string({ maxLength: 12 }).filter((t) => !/[,"\r\n]/.test(t)),
);
const noDelims = (t: string): boolean => !/[,"\r\n]/.test(t);
/** An edit of the real sample CSV: a cell, a line (dropped, doubled, blank, junk, one field too many), the header, the whole file. */
const csvEdit = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('cell' as const), row: fc.nat(), col: fc.nat(), value: csvCell }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('drop' as const, 'dup' as const, 'blank' as const, 'extra' as const), line: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('junk' as const), line: fc.nat(), text: fc.string({ maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('header' as const), col: fc.nat(), name: fc.oneof(fc.constantFrom('passenger_count', 'PULOCATIONID', 'pickup', ' VendorID', 'Airport_fee'), fc.string({ maxLength: 10 }).filter(noDelims)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('dropcol' as const, 'crlf' as const, 'bom' as const), col: fc.nat() }) },
);
type CsvEdit = typeof csvEdit extends fc.Arbitrary<infer T> ? T : never;

function editCsv(text: string, edits: CsvEdit[]): string {
  let lines = text.replace(/\n$/, '').split('\n');
  let tail = '\n';
  let prefix = '';
  for (const e of edits) {
    const at = (n: number, from = 1): number => from + (n % Math.max(1, lines.length - from));
    switch (e.op) {
      case 'cell': {
        const i = at(e.row);
        const cells = lines[i]!.split(',');
        cells[e.col % cells.length] = e.value;
        lines[i] = cells.join(',');
        break;
      }
      case 'drop':
        lines.splice(at(e.line), 1);
        break;
      case 'dup':
        lines.splice(at(e.line), 0, lines[at(e.line)]!);
        break;
      case 'blank':
        lines.splice(at(e.line), 0, '');
        break;
      case 'extra':
        lines[at(e.line)] += ',1';
        break;
      case 'junk':
        lines.splice(at(e.line), 0, e.text);
        break;
      case 'cut': {
        const all = lines.join('\n');
        lines = all.slice(0, e.at % all.length).split('\n');
        tail = '';
        break;
      }
      case 'header': {
        const cells = lines[0]!.split(',');
        cells[e.col % cells.length] = e.name;
        lines[0] = cells.join(',');
        break;
      }
      case 'dropcol': {
        const c = e.col % lines[0]!.split(',').length;
        lines = lines.map((l) => l.split(',').filter((_, j) => j !== c).join(','));
        break;
      }
      case 'crlf':
        lines = lines.map((l) => `${l}\r`);
        break;
      case 'bom':
        prefix = '\uFEFF';
        break;
    }
  }
  return prefix + lines.join('\n') + tail;
}

/** Damage to a Parquet file's bytes. */
const parquetDamage = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('zero' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);
type ParquetDamage = typeof parquetDamage extends fc.Arbitrary<infer T> ? T : never;

function damageParquet(bytes: Buffer, d: ParquetDamage): Buffer {
  const b = Buffer.from(bytes);
  switch (d.kind) {
    case 'flip':
      b[d.at % b.length] = d.byte;
      return b;
    case 'zero':
      b.fill(0, d.at % b.length, (d.at % b.length) + d.length);
      return b;
    case 'cut':
      return b.subarray(0, d.at % b.length);
    case 'extend':
      return Buffer.concat([b, Buffer.from(d.tail)]);
  }
}

/** SQL literal of a random trip value (DuckDB casts it to the column's type). */
function sqlValue(v: unknown, type: string): string {
  if (v === null || v === undefined) return `CAST(NULL AS ${type})`;
  if (type === 'TIMESTAMP') return `epoch_ms(CAST(${v as number} AS BIGINT))`;
  if (typeof v === 'number' && !Number.isFinite(v)) return `CAST('${String(v)}' AS ${type})`;
  if (typeof v === 'string') return `${lit(v)}`;
  return `CAST(${String(v)} AS ${type})`;
}

/** A yellow Parquet file of random trips (the TLC's 2025 columns; ids as BIGINT to hold any value). */
const PARQUET_COLUMNS: [string, string, keyof typeof TRIP][] = [
  ['VendorID', 'BIGINT', 'vendor_id'], ['tpep_pickup_datetime', 'TIMESTAMP', 'pickup_datetime'], ['tpep_dropoff_datetime', 'TIMESTAMP', 'dropoff_datetime'],
  ['passenger_count', 'BIGINT', 'passenger_count'], ['trip_distance', 'DOUBLE', 'trip_distance'], ['RatecodeID', 'BIGINT', 'ratecode_id'],
  ['store_and_fwd_flag', 'VARCHAR', 'store_and_fwd_flag'], ['PULocationID', 'BIGINT', 'pu_location_id'], ['DOLocationID', 'BIGINT', 'do_location_id'],
  ['payment_type', 'BIGINT', 'payment_type'], ['fare_amount', 'DOUBLE', 'fare_amount'], ['extra', 'DOUBLE', 'extra'], ['mta_tax', 'DOUBLE', 'mta_tax'],
  ['tip_amount', 'DOUBLE', 'tip_amount'], ['tolls_amount', 'DOUBLE', 'tolls_amount'], ['improvement_surcharge', 'DOUBLE', 'improvement_surcharge'],
  ['total_amount', 'DOUBLE', 'total_amount'], ['congestion_surcharge', 'DOUBLE', 'congestion_surcharge'], ['Airport_fee', 'DOUBLE', 'airport_fee'],
  ['cbd_congestion_fee', 'DOUBLE', 'cbd_congestion_fee'],
];

test('TLC files: random and damaged CSV and Parquet files land whole or are refused with a typed error naming them; every landed trip is in Silver or the quarantine', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-fuzz-tlc-'));
  const csv = await readFile(SAMPLE_CSV, 'utf8');
  const parquet = await readFile(SAMPLE_PARQUET);
  const files: { path: string; cellsOnly?: boolean }[] = [];
  for (const [i, edits] of fc.sample(fc.array(csvEdit, { minLength: 1, maxLength: 3 }), { seed: SEED, numRuns: 40 }).entries()) {
    const path = join(dir, `yellow_tripdata_2020-07_c${i}.csv`);
    await writeFile(path, editCsv(csv, edits));
    files.push({ path, cellsOnly: edits.every((e) => e.op === 'cell') });
  }
  for (const [i, d] of fc.sample(parquetDamage, { seed: SEED, numRuns: 15 }).entries()) {
    const path = join(dir, `yellow_tripdata_2025-01_d${i}.parquet`);
    await writeFile(path, damageParquet(parquet, d));
    files.push({ path });
  }
  const db = await openDuckDB();
  const conn = await db.connect();
  try {
    const randomFiles = fc.sample(fc.array(tripOverrides, { maxLength: 30 }), { seed: SEED, numRuns: 10 });
    for (const [i, trips] of randomFiles.entries()) {
      const path = join(dir, `yellow_tripdata_2024-02_r${i}.parquet`);
      const rows = trips.map((o) => {
        const t = { ...TRIP, ...o } as Record<string, unknown>;
        return `(${PARQUET_COLUMNS.map(([, type, key]) => sqlValue(t[key], type)).join(', ')})`;
      });
      const empty = `SELECT ${PARQUET_COLUMNS.map(([name, type]) => `CAST(NULL AS ${type}) AS ${name}`).join(', ')} LIMIT 0`;
      const select = rows.length ? `SELECT * FROM (VALUES ${rows.join(', ')}) AS t(${PARQUET_COLUMNS.map(([n]) => n).join(', ')})` : empty;
      await conn.run(`COPY (${select}) TO ${lit(path)} (FORMAT parquet)`);
      files.push({ path });
    }

    // What the reader says of each file, before the pipeline: rows, or a typed error naming the file.
    const wh = await tempWarehouse('strata-fuzz-tlc-wh-');
    const staging = join(wh.root, '_state', 'cache', 'staged'); // the source's own: CSVs are staged once
    const expected = new Map<string, number | DataError>();
    for (const f of files) {
      try {
        expected.set(basename(f.path), (await openTlcFile(conn, f.path, { stagingDir: staging })).rows);
      } catch (err) {
        assert.ok(err instanceof DataError, `${f.path}: untyped error: ${(err as Error).stack}`);
        assert.ok(err.message.startsWith(`${f.path}: `), `the error names the file: ${err.message}`);
        assert.ok(err.code.startsWith('TLC_'), err.code);
        expected.set(basename(f.path), err);
      }
      const e = expected.get(basename(f.path));
      if (f.cellsOnly && typeof e === 'number') assert.equal(e, 266, `${f.path}: a CSV with only cells changed keeps its 266 trips`);
    }

    const run = await runTaxi(wh, { files: files.map((f) => f.path) });
    assert.equal(run.status.failedBatches, 0, run.status.lastError);
    const refused = [...expected].filter(([, e]) => e instanceof DataError);
    const landed = [...expected].filter(([, e]) => typeof e === 'number') as [string, number][];
    assert.ok(refused.length > 5 && landed.length > 5, `both outcomes exercised: ${landed.length} landed, ${refused.length} refused`);
    const err = run.status.lastError ?? '';
    assert.match(err, new RegExp(`^${refused.length} TLC file\\(s\\) not loaded:`), 'the run lists exactly the refused files');
    for (const [name, e] of refused) assert.ok(err.includes((e as DataError).message), `the run reports ${name}: ${err}`);

    // Per file: Bronze holds all its trips or none; each Bronze trip is kept in Silver or quarantined.
    const q = async (sql: string): Promise<Map<string, number>> => {
      const c = await db.connect();
      try {
        await wh.attach(c);
        return new Map((await c.runAndReadAll(sql)).getRowsJS().map((r) => [String(r[0]), Number(r[1])]));
      } finally {
        c.closeSync();
      }
    };
    const bronze = await q('SELECT _source_file, count(*) FROM bronze.taxi_trips GROUP BY 1');
    const kept = await q('SELECT _source_file, count(*) FROM silver.taxi_trips GROUP BY 1');
    const quarantined = await q('SELECT _source_file, count(*) FROM silver.taxi_trips_rejected WHERE reason IS NOT NULL GROUP BY 1');
    for (const [name, rows] of landed) {
      assert.equal(bronze.get(name) ?? 0, rows, `${name}: every trip of a landed file in Bronze, once`);
      assert.equal((kept.get(name) ?? 0) + (quarantined.get(name) ?? 0), rows, `${name}: each trip kept or quarantined`);
    }
    for (const [name] of refused) assert.equal(bronze.get(name) ?? 0, 0, `${name}: nothing of a refused file lands`);
    assert.equal([...bronze.values()].reduce((a, b) => a + b, 0), landed.reduce((a, [, n]) => a + n, 0), 'Bronze holds nothing else');
  } finally {
    conn.closeSync();
    db.closeSync();
  }
});
