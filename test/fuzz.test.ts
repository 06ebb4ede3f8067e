// Bad-input fuzzing with fixed seeds: random and mutated Avro messages and Open-Meteo JSON bodies go
// through the real decoders and operators. Nothing may crash, and every message is accounted for:
// it lands in Bronze or in the dead letters, never nowhere.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { AvroDecoder, AvroEncoder, loadSchemaFile } from '../src/avro/codec.ts';
import { loadServiceConfig } from '../src/config/service.ts';
import { loadTopology } from '../src/config/topology.ts';
import { openDuckDB } from '../src/engines/duckdb/instance.ts';
import { StrataError } from '../src/errors.ts';
import { buildGraph } from '../src/runtime/build.ts';
import { Pipeline } from '../src/runtime/pipeline.ts';
import { toReadings } from '../src/sources/open-meteo/parse.ts';
import { buildTopicSource } from '../src/sources/topic/build.ts';
import { MemoryTransport } from '../src/transport/memory.ts';
import { ROOT, waitFor } from './support/kafka.ts';
import { count, quietLog, tempWarehouse } from './support/pipeline-harness.ts';
import { reading } from './support/readings.ts';

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
  const graph = buildGraph(topo, { config, log: quietLog, cacheDir: join(wh.root, '_state', 'cache'), transport });
  graph.sources.clear();
  graph.sources.set('readings_kafka', buildTopicSource(topo, 'readings_kafka', spec, transport, { config, log: quietLog }));
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
