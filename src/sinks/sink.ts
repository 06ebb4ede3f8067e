/**
 * The sink kind: what a sink is at run time, what its definition gets to build one, and
 * `defineSink`, which every sink type's `index.ts` calls once.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BatchMeta, OperatorOutput } from '../core/batch.ts';
import type { ComponentDef } from '../core/component.ts';
import type { TObject } from '../core/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Transport } from '../transport/transport.ts';

/**
 * A sink receives the outputs of its inputs once every operator has committed the batch, and
 * before the source is acknowledged: a sink that fails leaves the batch unacknowledged, so it is
 * re-delivered and the sink sees it again (at least once; idempotent sinks make it effectively once).
 */
export interface Sink {
  readonly name: string;
  readonly kind: string;
  /** `conn` holds the inputs' relations (temp tables or views) for the duration of the call. */
  write(meta: BatchMeta, inputs: Map<string, OperatorOutput>, conn: DuckDBConnection): Promise<void>;
  close?(): Promise<void>;
}

/** What a sink definition's `build` gets. */
export interface SinkContext {
  topology: string;
  baseDir: string;
  /** Already carries `{ sink: <name> }`. */
  log: Logger;
  metrics?: Metrics;
  /** The service's transport (Kafka, or in-process), opened on first use and shared. */
  transport(): Transport;
  /** A topic name as used on the cluster (kafka.topic_prefix applied). */
  topicName(name: string): string;
  onClose(close: () => Promise<void>): void;
}

export type SinkDef<T extends string = string, C extends TObject = TObject> = ComponentDef<'sink', T, C, SinkContext, Sink>;

export function defineSink<const T extends string, C extends TObject>(def: Omit<SinkDef<T, C>, 'kind'>): SinkDef<T, C> {
  return { kind: 'sink', ...def };
}
