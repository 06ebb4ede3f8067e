/**
 * A transport moves keyed byte messages through partitioned topics: Kafka when brokers are
 * configured, the in-process memory transport otherwise. Sources and producers see only this.
 */

export interface TopicMessage {
  topic: string;
  partition: number;
  /** Decimal string (Kafka offsets are 64-bit). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Broker/append time, epoch ms. */
  timestamp: number;
}

export interface OutgoingMessage {
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}

/**
 * Messages fetched from one partition, contiguous in offset. The source processes them in one or
 * more ranges; each range is committed only after the pipeline committed its batch.
 */
export interface FetchedBatch {
  topic: string;
  partition: number;
  messages: TopicMessage[];
  /** Messages after this batch still in the partition (consumer lag), when known. */
  lag?: number;
  /**
   * A range this partition's previous owner started at this batch's first offset and never
   * committed: processing exactly the same range again yields the same batch id, so a re-delivery
   * rewrites the same files instead of adding a differently-cut overlapping batch.
   */
  pendingRange?: { first: string; last: string };
  /**
   * Records that the range [first, last] is being processed (before it reaches any sink). False
   * when it could not be recorded (broker unreachable): the range must then not be processed, since
   * its re-delivery could be cut differently and land under another batch id (duplicates in Bronze).
   */
  begin(first: string, last: string): Promise<boolean>;
  /** Commits up to and including `last`. False when the partition was lost meanwhile (rebalance). */
  commit(last: string): Promise<boolean>;
  /** Frees the consumer to fetch again; called once the source is done with the batch. */
  done(): void;
}

export interface HealthStatus {
  ok: boolean;
  detail: string;
}

export interface TopicConsumer {
  /** The next batch of some partition, or undefined once `signal` aborts. */
  next(signal: AbortSignal): Promise<FetchedBatch | undefined>;
  /**
   * Batches of other partitions already fetched and waiting, taken without waiting: the source
   * processes them together with the one next() returned, paying a batch's fixed cost once.
   */
  takeReady(): FetchedBatch[];
  health(): HealthStatus;
  close(): Promise<void>;
}

export interface TopicProducer {
  /** Publishes and waits until every message is acknowledged (all in-sync replicas). */
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  topic: string;
  group: string;
  /** Longest wait for a fetch to fill. */
  maxWaitMs: number;
  /** Upper bound on bytes fetched per partition at once. */
  maxBytesPerPartition?: number;
  /** Called when the consumer (re)joins its group and gets partitions (a rebalance). */
  onRebalance?: () => void;
}

export interface Transport {
  readonly kind: 'kafka' | 'memory';
  consumer(opts: ConsumerOptions): TopicConsumer;
  producer(): TopicProducer;
  close(): Promise<void>;
}
