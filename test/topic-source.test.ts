// The topic source on the in-process transport (no broker): decoding, dead letters to the
// dead-letter topic and table, commit after the pipeline, and the same gold as the poller path.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { AvroEncoder, loadSchemaFile } from '../src/avro/codec.ts';
import { loadServiceConfig } from '../src/config/service.ts';
import { loadTopology } from '../src/config/topology.ts';
import { openDuckDB } from '../src/duckdb/instance.ts';
import { readingMessages } from '../src/producers/open-meteo.ts';
import { buildGraph } from '../src/runtime/build.ts';
import { Pipeline } from '../src/runtime/pipeline.ts';
import { MemoryTransport } from '../src/transport/memory.ts';
import { reading } from './support/readings.ts';
import { ROOT, waitFor } from './support/kafka.ts';
import { count, quietLog, tempWarehouse } from './support/pipeline-harness.ts';

test('in-process topic: good readings reach gold, bad ones the dead-letter topic and table, offsets advance after commit', { timeout: 60_000 }, async () => {
  const topo = await loadTopology(join(ROOT, 'topologies/air_quality.yaml'));
  const spec = topo.spec.sources.readings_kafka;
  assert.equal(spec?.type, 'topic');
  const config = await loadServiceConfig(undefined, {});
  const transport = new MemoryTransport(2);
  const wh = await tempWarehouse();
  topo.spec.sources = { readings_kafka: { ...spec!, when: 'always' } }; // only the topic, on the in-process transport
  const graph = buildGraph(topo, { config, log: quietLog, state: wh.state, transport });
  const source = graph.sources.get('readings_kafka')!;
  const enc = new AvroEncoder(loadSchemaFile(join(ROOT, 'schemas/avro/open_meteo_reading.avsc')));
  const good = Array.from({ length: 48 }, (_, h) => reading({ ts_utc: Date.UTC(2024, 2, 10) + h * 3_600_000 }));
  const producer = transport.producer();
  await producer.send('strata.open_meteo.readings', [
    ...readingMessages(enc, good.slice(0, 24)),
    { key: 'x', value: Buffer.from('not avro') },
    { key: 'x', value: null },
    { key: 'hcmc', value: enc.encode({ ...good[0]!, longitude: 500 }) },
    ...readingMessages(enc, good.slice(24)),
  ]);
  const db = await openDuckDB();
  const p = new Pipeline(topo, graph, { db, warehouse: wh, log: quietLog });
  await p.start();
  await waitFor('51 messages committed', () => (transport.positions('strata-air_quality-readings_kafka', 'strata.open_meteo.readings').reduce((a, b) => a + b, 0) === 51 ? true : undefined), 30_000, 50);
  await p.stop();
  db.closeSync();
  assert.equal(await count(wh, 'SELECT count(*) FROM gold.aqi_hourly'), 48);
  assert.equal(await count(wh, 'SELECT count(*) FROM bronze.open_meteo_air_quality WHERE _kafka_offset IS NOT NULL'), 48);
  assert.equal(await count(wh, "SELECT count(*) FROM bronze.dead_letters WHERE reason IN ('not_single_object_encoding', 'empty_message', 'invalid_value')"), 3);
  const dlq = transport.read('strata.air_quality.dead_letters');
  assert.deepEqual(dlq.map((m) => m.headers['strata.reason']).sort(), ['empty_message', 'invalid_value', 'not_single_object_encoding']);
  assert.equal(dlq.find((m) => m.headers['strata.reason'] === 'not_single_object_encoding')?.value?.toString(), 'not avro');
});
