import type { ConsumerOptions, FetchedBatch, HealthStatus, OutgoingMessage, TopicConsumer, TopicMessage, TopicProducer, Transport } from './transport.ts';

/**
 * The embedded transport: topics as in-process arrays, consumer groups as committed offsets. It has
 * Kafka's shape (partitions by key hash, offsets, commit after processing) so the topic source
 * behaves the same without a broker; nothing survives the process.
 */
export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  private readonly topics = new Map<string, TopicMessage[][]>();
  private readonly committed = new Map<string, number[]>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly partitions = 1) {}

  consumer(opts: ConsumerOptions): TopicConsumer {
    return new MemoryConsumer(this, opts);
  }

  producer(): TopicProducer {
    return { send: async (topic, messages) => this.append(topic, messages), close: async () => {} };
  }

  async close(): Promise<void> {
    for (const w of this.waiters) w();
  }

  /** Messages of a topic, every partition (tests read the dead-letter topic with it). */
  read(topic: string): TopicMessage[] {
    return (this.topics.get(topic) ?? []).flat();
  }

  append(topic: string, messages: readonly OutgoingMessage[]): void {
    const parts = this.partitionsOf(topic);
    for (const m of messages) {
      const key = m.key === null ? null : Buffer.from(m.key);
      const p = key ? hash(key) % parts.length : 0;
      parts[p]!.push({ topic, partition: p, offset: String(parts[p]!.length), key, value: m.value, headers: { ...m.headers }, timestamp: Date.now() });
    }
    for (const w of [...this.waiters]) w();
  }

  /** Position of a group in each partition (its committed offsets). */
  positions(group: string, topic: string): number[] {
    const k = `${group}\u0000${topic}`;
    let c = this.committed.get(k);
    if (!c) this.committed.set(k, (c = []));
    return c;
  }

  partitionsOf(topic: string): TopicMessage[][] {
    let t = this.topics.get(topic);
    if (!t) this.topics.set(topic, (t = Array.from({ length: this.partitions }, () => [])));
    return t;
  }

  wait(signal: AbortSignal, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

class MemoryConsumer implements TopicConsumer {
  private next_ = 0;

  constructor(private readonly t: MemoryTransport, private readonly opts: ConsumerOptions) {}

  health(): HealthStatus {
    return { ok: true, detail: `in-process topic ${this.opts.topic}` };
  }

  async next(signal: AbortSignal): Promise<FetchedBatch | undefined> {
    while (!signal.aborted) {
      const parts = this.t.partitionsOf(this.opts.topic);
      const pos = this.t.positions(this.opts.group, this.opts.topic);
      for (let i = 0; i < parts.length; i++) {
        const p = (this.next_ + i) % parts.length;
        const from = pos[p] ?? 0;
        const msgs = parts[p]!.slice(from, from + 10_000);
        if (!msgs.length) continue;
        this.next_ = p + 1;
        return {
          topic: this.opts.topic,
          partition: p,
          messages: msgs,
          lag: parts[p]!.length - from - msgs.length,
          begin: async () => true,
          commit: async (last) => {
            pos[p] = Number(last) + 1;
            return true;
          },
          done: () => {},
        };
      }
      await this.t.wait(signal, this.opts.maxWaitMs);
    }
    return undefined;
  }

  takeReady(): FetchedBatch[] {
    return []; // one partition at a time: in-process topics are small and never behind for long
  }

  async close(): Promise<void> {}
}

function hash(b: Buffer): number {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h;
}
