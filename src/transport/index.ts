import type { ServiceConfig, SourceWhen } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import { KafkaTransport } from './kafka.ts';
import { MemoryTransport } from './memory.ts';
import type { Transport } from './transport.ts';

/** Kafka when brokers are configured (kafka.brokers / STRATA_KAFKA_BROKERS), else in-process. */
export function transportFor(config: ServiceConfig, log: Logger): Transport {
  return config.kafka.brokers.length ? new KafkaTransport(config.kafka, log) : new MemoryTransport();
}

/** Whether a source with this `when` runs under this config. */
export function sourceActive(when: SourceWhen | undefined, config: ServiceConfig): boolean {
  const kafka = config.kafka.brokers.length > 0;
  return when === 'kafka' ? kafka : when === 'embedded' ? !kafka : true;
}

/** A topic or group name as used on the cluster: the service's topic_prefix applied. */
export function prefixed(config: ServiceConfig, name: string): string {
  return `${config.kafka.topic_prefix ?? ''}${name}`;
}
