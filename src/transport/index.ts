import type { Logger } from '../observability/logger.ts';
import { KafkaTransport } from './kafka.ts';
import { MemoryTransport } from './memory.ts';
import type { KafkaSettings } from './settings.ts';
import type { Transport } from './transport.ts';

/** Kafka when brokers are configured (kafka.brokers / STRATA_KAFKA_BROKERS), else in-process. */
export function transportFor(kafka: KafkaSettings, log: Logger): Transport {
  return kafka.brokers.length ? new KafkaTransport(kafka, log) : new MemoryTransport();
}

/** A topic or group name as used on the cluster: the service's topic_prefix applied. */
export function prefixed(kafka: KafkaSettings, name: string): string {
  return `${kafka.topic_prefix}${name}`;
}
