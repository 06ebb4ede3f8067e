import { AvroEncoder, type AvroSchema } from '../avro/codec.ts';
import type { OpenMeteoClient } from '../sources/open-meteo/client.ts';
import type { Location, Reading } from '../sources/open-meteo/types.ts';
import type { OutgoingMessage, TopicProducer } from '../transport/transport.ts';

export interface OpenMeteoProduceOptions {
  locations: readonly Location[];
  startDate: string;
  endDate: string;
  client: OpenMeteoClient;
  producer: TopicProducer;
  topic: string;
  schema: AvroSchema;
  onLocation?: (loc: Location, messages: number) => void;
}

/** Readings → single-object Avro messages keyed by location id (a location's hours stay in order on one partition). */
export function readingMessages(encoder: AvroEncoder, readings: readonly Reading[]): OutgoingMessage[] {
  return readings.map((r) => ({ key: r.location_id, value: encoder.encode(r) }));
}

/** Fetches every location's hours of [startDate, endDate] and publishes one message per reading. */
export async function produceOpenMeteo(o: OpenMeteoProduceOptions): Promise<{ messages: number; locations: number }> {
  const encoder = new AvroEncoder(o.schema);
  let messages = 0;
  for (const loc of o.locations) {
    const readings = await o.client.fetchRange(loc, o.startDate, o.endDate);
    await o.producer.send(o.topic, readingMessages(encoder, readings));
    messages += readings.length;
    o.onLocation?.(loc, readings.length);
  }
  return { messages, locations: o.locations.length };
}
