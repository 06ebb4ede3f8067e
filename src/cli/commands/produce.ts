import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSchemaFile } from '../../avro/codec.ts';
import { loadServiceConfig } from '../../config/service.ts';
import { openDuckDB } from '../../duckdb/instance.ts';
import { StrataError } from '../../core/errors.ts';
import { logger } from '../../observability/logger.ts';
import { produceOpenMeteo } from '../../producers/open-meteo.ts';
import { produceTaxiFile } from '../../producers/taxi.ts';
import { OpenMeteoClient } from '../../sources/open-meteo/client.ts';
import { loadLocations } from '../../sources/open-meteo/locations.ts';
import { TlcClient } from '../../sources/tlc/client.ts';
import { prefixed } from '../../transport/index.ts';
import { KafkaTransport } from '../../transport/kafka.ts';
import { openWarehouse } from '../../warehouse/index.ts';

const SCHEMAS = fileURLToPath(new URL('../../../schemas/avro/', import.meta.url));
export const DEFAULT_TOPICS = { openMeteo: 'strata.open_meteo.readings', taxi: 'strata.tlc.trips' } as const;

interface Common {
  topic?: string;
  config?: string;
}

async function kafka(o: Common): Promise<{ transport: KafkaTransport; config: Awaited<ReturnType<typeof loadServiceConfig>> }> {
  const config = await loadServiceConfig(o.config);
  if (!config.kafka.brokers.length) {
    throw new StrataError('KAFKA_NOT_CONFIGURED', 'no Kafka brokers configured: set STRATA_KAFKA_BROKERS (or kafka.brokers in the service config)');
  }
  return { transport: new KafkaTransport(config.kafka, logger()), config };
}

/** `strata produce open-meteo`: fetch readings and publish them, one Avro message per location-hour. */
export async function produceOpenMeteoCommand(o: Common & { locations: string; startDate: string; endDate: string; baseUrl?: string }): Promise<void> {
  const { transport, config } = await kafka(o);
  const om = config.open_meteo;
  const client = new OpenMeteoClient({ ...om, base_url: o.baseUrl ?? om.base_url });
  const producer = transport.producer();
  const topic = o.topic ?? prefixed(config.kafka, DEFAULT_TOPICS.openMeteo);
  try {
    const r = await produceOpenMeteo({
      locations: await loadLocations(resolve(o.locations)),
      startDate: o.startDate,
      endDate: o.endDate,
      client,
      producer,
      topic,
      schema: loadSchemaFile(join(SCHEMAS, 'open_meteo_reading.avsc')),
      onLocation: (loc, n) => logger().info({ location: loc.id, messages: n, topic }, 'published'),
    });
    process.stdout.write(`${JSON.stringify({ topic, ...r })}\n`);
  } finally {
    await producer.close();
    await client.close();
  }
}

/** `strata produce taxi`: publish a TLC trip file (local, or a month fetched from the TLC host) as TripBatch messages. */
export async function produceTaxiCommand(o: Common & { file?: string; month?: string; color: 'yellow' | 'green'; baseUrl?: string; batchRows: string }): Promise<void> {
  if (!o.file === !o.month) throw new StrataError('PRODUCE_ARGS', 'give exactly one of --file PATH and --month YYYY-MM');
  if (o.month && !/^\d{4}-(0[1-9]|1[0-2])$/.test(o.month)) throw new StrataError('PRODUCE_ARGS', `--month ${o.month}: expected YYYY-MM`);
  const batchRows = Number(o.batchRows);
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new StrataError('PRODUCE_ARGS', `--batch-rows ${o.batchRows}: expected a positive integer`);
  const { transport, config } = await kafka(o);
  const topic = o.topic ?? prefixed(config.kafka, DEFAULT_TOPICS.taxi);
  const cache = openWarehouse(config).state.cache('tlc');
  let file = o.file ? resolve(o.file) : undefined;
  if (!file) {
    const client = new TlcClient({ ...config.tlc, base_url: o.baseUrl ?? config.tlc.base_url }, { cacheDir: cache });
    try {
      file = await client.fetchMonth(o.color, o.month!);
    } finally {
      await client.close();
    }
  }
  const db = await openDuckDB(config.duckdb);
  const conn = await db.connect();
  const staging = await mkdtemp(join(tmpdir(), 'strata-produce-'));
  const producer = transport.producer();
  try {
    const r = await produceTaxiFile({
      conn, file, stagingDir: staging, batchRows, producer, topic,
      schema: loadSchemaFile(join(SCHEMAS, 'taxi_trip_batch.avsc')),
      onBatch: (index, trips) => logger().debug({ index, trips, topic }, 'published batch'),
    });
    process.stdout.write(`${JSON.stringify({ topic, ...r })}\n`);
  } finally {
    await producer.close();
    conn.closeSync();
    db.closeSync();
    await rm(staging, { recursive: true, force: true });
  }
}
