import { Kafka, type Admin, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs';
import type { KafkaSettings } from './settings.ts';
import { TransportError } from '../core/errors.ts';
import { pause } from '../core/retry.ts';
import type { Logger } from '../observability/logger.ts';
import { kafkaClientConfig } from './kafka-config.ts';
import type { ConsumerOptions, FetchedBatch, HealthStatus, OutgoingMessage, TopicConsumer, TopicProducer, Transport } from './transport.ts';

const INFLIGHT = /^strata:inflight:(\d+)-(\d+)$/;
/** Times a re-delivery shorter than its in-flight range is left to be fetched again before it is processed as is. */
const SHORT_REFETCHES = 20;
/** Bytes per produce request (the test broker takes 16 MiB; stay well under). */
const SEND_BYTES = 4 * 1024 * 1024;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A kafkajs error caused by the cluster being unreachable (connection refused, closed, timed out). */
function unreachable(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSConnectionClosedError' || e.name === 'KafkaJSRequestTimeoutError') return true;
  }
  return false;
}

/** Kafka through kafkajs: consumer groups with manual commits, and an idempotent producer. */
export class KafkaTransport implements Transport {
  readonly kind = 'kafka';
  readonly kafka: Kafka;
  private readonly producers: KafkaTopicProducer[] = [];

  constructor(readonly settings: KafkaSettings, private readonly log: Logger) {
    this.kafka = new Kafka(kafkaClientConfig(settings, log.child({ component: 'kafka' })));
  }

  consumer(opts: ConsumerOptions): TopicConsumer {
    return new KafkaTopicConsumer(this.kafka, this.settings, opts, this.log.child({ topic: opts.topic, group: opts.group }));
  }

  producer(): TopicProducer {
    const p = new KafkaTopicProducer(this.kafka);
    this.producers.push(p);
    return p;
  }

  async close(): Promise<void> {
    await Promise.all(this.producers.map((p) => p.close()));
  }
}

class KafkaTopicProducer implements TopicProducer {
  private producer?: Producer;
  private connecting?: Promise<Producer>;

  constructor(private readonly kafka: Kafka) {}

  private connect(): Promise<Producer> {
    this.connecting ??= (async () => {
      const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
      try {
        await p.connect();
      } catch (err) {
        this.connecting = undefined;
        throw new TransportError('KAFKA_PRODUCER_CONNECT', `cannot connect a Kafka producer: ${message(err)}`, {}, { cause: err });
      }
      this.producer = p;
      return p;
    })();
    return this.connecting;
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (!messages.length) return;
    const p = await this.connect();
    let chunk: OutgoingMessage[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (!chunk.length) return;
      try {
        await p.send({ topic, acks: -1, messages: chunk.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
      } catch (err) {
        throw new TransportError('KAFKA_SEND', `publishing ${chunk.length} messages to ${topic} failed: ${message(err)}`, { topic }, { cause: err });
      }
      chunk = [];
      bytes = 0;
    };
    for (const m of messages) {
      const size = (m.value?.length ?? 0) + (m.key?.length ?? 0) + 64;
      if (bytes + size > SEND_BYTES) await flush();
      chunk.push(m);
      bytes += size;
    }
    await flush();
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    await p?.disconnect().catch(() => {});
  }
}

/**
 * One consumer group member reading one topic. kafkajs pushes batches (eachBatch, one per partition
 * of a fetch); the source pulls them (next, takeReady): each eachBatch waits until the source is
 * done with its batch, so nothing is fetched ahead and memory stays bounded. Offsets are committed by the source after the
 * pipeline committed, never automatically. An unreachable cluster is retried with back-off.
 */
class KafkaTopicConsumer implements TopicConsumer {
  private consumer?: Consumer;
  private admin?: Admin;
  private started = false;
  private readonly closing = new AbortController();
  private status: HealthStatus = { ok: false, detail: 'connecting to Kafka' };
  /** Delay before kafkajs restarts a crashed consumer; doubles per crash, reset on (re)join. */
  private restartDelay = 500;
  /** Batches handed over by eachBatch (one per partition at most), waiting for next(). */
  private readonly ready: FetchedBatch[] = [];
  private taker?: (b: FetchedBatch) => void;
  /** In-flight markers of the group's committed offsets, loaded after each (re)join. */
  private pending?: Promise<Map<number, { first: string; last: string }>>;
  /** Per partition, short re-deliveries of its in-flight range skipped so far. */
  private readonly shortFetches = new Map<number, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly opts: ConsumerOptions,
    private readonly log: Logger,
  ) {}

  health(): HealthStatus {
    return this.status;
  }

  async next(signal: AbortSignal): Promise<FetchedBatch | undefined> {
    if (!this.started) {
      this.started = true;
      void this.startLoop();
    }
    const b = this.ready.shift();
    if (b) return b;
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.taker = undefined;
        resolve(undefined);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.taker = (b) => {
        signal.removeEventListener('abort', onAbort);
        this.taker = undefined;
        resolve(b);
      };
    });
  }

  takeReady(): FetchedBatch[] {
    return this.ready.splice(0);
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const b of this.ready.splice(0)) b.done(); // handed over but never taken: not committed, fetched again next time
    await this.consumer?.disconnect().catch((err: unknown) => this.log.warn({ err: message(err) }, 'kafka consumer disconnect failed'));
    await this.admin?.disconnect().catch(() => {});
  }

  /** Connects, subscribes and runs; on failure retries with back-off until it works or close(). */
  private async startLoop(): Promise<void> {
    let delay = 500;
    for (let attempt = 1; !this.closing.signal.aborted; attempt++) {
      const c = this.kafka.consumer({
        groupId: this.opts.group,
        sessionTimeout: this.settings.session_timeout_ms,
        heartbeatInterval: Math.min(3000, Math.floor(this.settings.session_timeout_ms / 10)),
        maxWaitTimeInMs: this.opts.maxWaitMs,
        // Large fetches make large batches: a batch's fixed cost (Silver merge, Gold recompute of
        // the days it touches) is then paid once per many records when the consumer is behind.
        maxBytes: 64 * 1024 * 1024,
        maxBytesPerPartition: this.opts.maxBytesPerPartition ?? 32 * 1024 * 1024,
        allowAutoTopicCreation: true,
        // kafkajs' default ({ retries: 5 }) plus Strata's growing delay before each restart after a crash.
        retry: { retries: 5, restartOnFailure: (err) => this.beforeRestart(err) },
      });
      this.watch(c);
      try {
        this.admin ??= this.kafka.admin();
        await this.admin.connect();
        await c.connect();
        await c.subscribe({ topics: [this.opts.topic], fromBeginning: true });
        // Partitions are handed over concurrently so the source can take a fetch's partitions as
        // one batch; each eachBatch still waits for its own range to be committed.
        await c.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 64, eachBatch: (p) => this.eachBatch(p) });
        this.consumer = c;
        if (this.closing.signal.aborted) await c.disconnect();
        return;
      } catch (err) {
        await c.disconnect().catch(() => {});
        this.status = { ok: false, detail: `cannot reach Kafka at ${this.settings.brokers.join(',')} (attempt ${attempt}): ${message(err)}` };
        this.log.warn({ err: message(err), attempt, retry_in_ms: delay }, 'kafka consumer could not start; retrying');
        await pause(delay, this.closing.signal);
        delay = Math.min(delay * 2, this.settings.max_backoff_ms);
      }
    }
  }

  /**
   * kafkajs restarts a consumer that crashed on a retriable error (e.g. the broker went away while
   * it ran) after a fixed 300 ms; wait a growing delay first, as startLoop does, so an outage is
   * retried with back-off. False (no restart) once closing.
   */
  private async beforeRestart(err: Error): Promise<boolean> {
    const delay = this.restartDelay;
    this.restartDelay = Math.min(delay * 2, this.settings.max_backoff_ms);
    this.status = { ok: false, detail: `lost Kafka at ${this.settings.brokers.join(',')}: ${message(err)}; reconnecting` };
    this.log.warn({ err: message(err), retry_in_ms: delay }, 'kafka consumer crashed; restarting after back-off');
    await pause(delay, this.closing.signal);
    return !this.closing.signal.aborted;
  }

  /** The cluster went away under a running consumer: not ready until it fetches or joins again. */
  private unreachable(err: unknown, what: string): void {
    if (unreachable(err)) this.status = { ok: false, detail: `cannot reach Kafka at ${this.settings.brokers.join(',')}: ${what}: ${message(err)}` };
  }

  private watch(c: Consumer): void {
    c.on(c.events.GROUP_JOIN, (e) => {
      this.pending = undefined; // partitions may have moved: re-read the in-flight markers
      // Read them now, while the first fetch is in flight, not when its batch arrives — unless
      // closing: a join that lands after close() must not open the admin's connection again.
      if (!this.closing.signal.aborted) void this.inflightMarkers();
      this.restartDelay = 500;
      const parts = e.payload.memberAssignment[this.opts.topic] ?? [];
      this.status = { ok: true, detail: `member of ${this.opts.group}, partitions [${parts.join(',')}] of ${this.opts.topic}` };
      this.log.info({ partitions: parts }, 'kafka consumer joined its group');
      this.opts.onRebalance?.();
    });
    c.on(c.events.FETCH, () => {
      if (!this.status.ok) this.status = { ok: true, detail: `fetching from ${this.opts.topic}` };
    });
    c.on(c.events.CRASH, (e) => {
      const restart = e.payload.restart;
      this.status = { ok: false, detail: `kafka consumer crashed (${this.settings.brokers.join(',')}): ${message(e.payload.error)}${restart ? '; restarting' : ''}` };
      if (!restart) this.log.warn({ err: message(e.payload.error), restart }, 'kafka consumer crashed'); // a restart was logged by beforeRestart
      if (!restart && !this.closing.signal.aborted) {
        this.consumer = undefined;
        void c.disconnect().catch(() => {}).then(() => this.startLoop());
      }
    });
  }

  private async inflightMarkers(): Promise<Map<number, { first: string; last: string }>> {
    this.pending ??= (async () => {
      const out = new Map<number, { first: string; last: string }>();
      try {
        const [t] = await this.admin!.fetchOffsets({ groupId: this.opts.group, topics: [this.opts.topic] });
        for (const p of t?.partitions ?? []) {
          const m = INFLIGHT.exec(p.metadata ?? '');
          if (m && m[1] === p.offset) out.set(p.partition, { first: m[1]!, last: m[2]! });
        }
      } catch (err) {
        this.pending = undefined; // not cached: the next batch tries again
        this.log.warn({ err: message(err) }, 'could not read in-flight markers; re-delivered ranges may be cut differently');
      }
      // A read that was under way when close() disconnected the admin may have connected it again.
      if (this.closing.signal.aborted) await this.admin?.disconnect().catch(() => undefined);
      return out;
    })();
    return this.pending;
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    if (!batch.messages.length || this.closing.signal.aborted) return;
    const { topic, partition } = batch;
    const markers = await this.inflightMarkers();
    const marker = markers.get(partition);
    const first = batch.messages[0]!.offset;
    if (marker && marker.first === first && BigInt(batch.messages[batch.messages.length - 1]!.offset) < BigInt(marker.last)) {
      // The re-delivery of a range begun before is shorter than it (the fetch filled up with other
      // partitions' messages): processed now, it would be cut differently, under another batch id,
      // and its rows would land twice in Bronze. Left unresolved, kafkajs fetches it again.
      const n = (this.shortFetches.get(partition) ?? 0) + 1;
      this.shortFetches.set(partition, n);
      if (n <= SHORT_REFETCHES) return void this.log.debug({ partition, first, last: marker.last, refetches: n }, 'in-flight range re-delivered short; fetching it again');
      this.log.warn({ partition, first, last: marker.last }, 'in-flight range still re-delivered short; processing it as fetched (its Bronze rows may land twice)');
    }
    this.shortFetches.delete(partition);
    markers.delete(partition); // only the first batch after a join replays
    let lost = false;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const fetched: FetchedBatch = {
      topic,
      partition,
      messages: batch.messages.map((m) => ({
        topic,
        partition,
        offset: m.offset,
        key: m.key ?? null,
        value: m.value ?? null,
        headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? '')])),
        timestamp: Number(m.timestamp),
      })),
      lag: Number(batch.offsetLag()),
      pendingRange: marker && marker.first === first ? marker : undefined,
      begin: async (first, last) => {
        try {
          await this.commit(p, topic, partition, first, `strata:inflight:${first}-${last}`);
          return true;
        } catch (err) {
          // Maybe recorded after all (lost answer): re-read the markers before the re-delivery.
          this.pending = undefined;
          this.unreachable(err, 'recording the in-flight range');
          this.log.warn({ err: message(err), partition, first, last }, 'could not record the in-flight range; the range will be re-delivered');
          return false;
        }
      },
      commit: async (last) => {
        // The range is re-delivered without a rejoin when this member kept its partitions (a short
        // outage): re-read the markers, or the re-delivery would be cut differently.
        if (lost || !p.isRunning() || p.isStale()) return ((this.pending = undefined), false);
        try {
          await this.commit(p, topic, partition, (BigInt(last) + 1n).toString(), null);
          p.resolveOffset(last);
          return true;
        } catch (err) {
          // Lost the partition (rebalance) or the cluster: the range is re-delivered (to this member or
          // the partition's new owner) under its in-flight marker, which rewrites the same files.
          lost = true;
          this.pending = undefined;
          this.unreachable(err, 'committing offsets');
          this.log.warn({ err: message(err), partition, last }, 'offset commit failed; the range will be re-delivered');
          return false;
        }
      },
      done: () => release(),
    };
    // Keep the membership alive while the pipeline works on the batch.
    const beat = setInterval(() => {
      p.heartbeat().catch((err: unknown) => {
        lost = true;
        this.unreachable(err, 'heartbeat');
        this.log.info({ err: message(err), partition }, 'heartbeat failed while a batch was in flight (rebalance or outage)');
      });
    }, 1000);
    try {
      // close() may have run while this batch was being prepared (the markers await): hand nothing
      // over then, or the batch would wait for a taker that never comes and block disconnect().
      if (this.closing.signal.aborted) return;
      if (this.taker) this.taker(fetched);
      else this.ready.push(fetched);
      await released;
    } finally {
      clearInterval(beat);
    }
  }

  private async commit(p: EachBatchPayload, topic: string, partition: number, offset: string, metadata: string | null): Promise<void> {
    await p.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset, metadata } as { partition: number; offset: string }] }] });
  }
}
