import { Int32, Int64, Table, TimestampMillisecond, Utf8, vectorFromArray } from 'apache-arrow';
import { utf8Vector } from '../../arrow/columns.ts';
import { ArrowLayout } from '../../avro/arrow.ts';
import type { AvroDecoder } from '../../avro/codec.ts';
import type { TopicSourceSpec } from '../../config/types.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { AckOutcome, SourceBatch } from '../../runtime/batch.ts';
import type { FetchedBatch, OutgoingMessage, TopicConsumer, TopicMessage, Transport } from '../../transport/transport.ts';
import { backoffMs, pause } from '../../runtime/retry.ts';
import type { Source } from '../source.ts';
import { VALIDATORS, type RecordValidator } from './validate.ts';

export interface TopicSourceDeps {
  topology: string;
  transport: Transport;
  /** The topic and group as used on the transport (topic_prefix applied). */
  topic: string;
  group: string;
  /** Rejected messages are also published here (before the batch is acknowledged). */
  deadLetterTopic?: string;
  decoder: AvroDecoder;
  log: Logger;
  metrics?: Metrics;
}

/** One partition's offset range within a batch. */
interface Part {
  fetched: FetchedBatch;
  range: Item[];
  first: string;
  last: string;
  /** Deterministic from (topic, partition, first, last): the name of the range's files. */
  id: string;
}

interface Item {
  msg: TopicMessage;
  value?: Record<string, unknown>;
  reason?: string;
  error?: string;
  rows: number;
}

/**
 * Reads Avro messages from a topic (Kafka, or the in-process transport) as Arrow batches. Bad
 * messages never stop it: each is dead-lettered (topic and table) with its reason and bytes. A
 * range of messages is committed only after the pipeline acknowledged it, and its batch id comes
 * from (topic, partition, first offset, last offset): a re-delivered range rewrites the same files.
 */
export class TopicSource implements Source {
  readonly kind = 'topic';
  private consumer?: TopicConsumer;
  private readonly layout: ArrowLayout;
  private readonly validate: RecordValidator | undefined;
  /** Memory offsets restart with the process: keep its batch ids apart from earlier runs'. */
  private readonly epoch: string;

  constructor(readonly name: string, private readonly spec: TopicSourceSpec, private readonly deps: TopicSourceDeps) {
    this.layout = new ArrowLayout(deps.decoder.reader);
    this.validate = VALIDATORS[deps.decoder.reader.name];
    this.epoch = deps.transport.kind === 'memory' ? `-${Date.now().toString(36)}` : '';
  }

  describe(): string {
    const versions = this.deps.decoder.accepted().length;
    return `${this.deps.transport.kind} topic ${this.deps.topic} (group ${this.deps.group}), Avro ${this.deps.decoder.reader.name} (${versions} known version${versions === 1 ? '' : 's'})${this.deps.deadLetterTopic ? `, dead letters → ${this.deps.deadLetterTopic}` : ''}`;
  }

  health(): { ok: boolean; detail: string } {
    return this.consumer?.health() ?? { ok: true, detail: 'not started' };
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const { transport, topic, group } = this.deps;
    const labels = { topology: this.deps.topology, source: this.name, topic };
    const consumer = (this.consumer = transport.consumer({
      topic,
      group,
      maxWaitMs: this.spec.max_wait_ms ?? 500,
      onRebalance: () => this.deps.metrics?.consumerRebalances.inc(labels),
    }));
    const dlq = this.deps.deadLetterTopic ? transport.producer() : undefined;
    const limit = this.spec.batch_rows ?? 5000;
    try {
      while (!signal.aborted) {
        const first = await consumer.next(signal);
        if (!first) break;
        // The other partitions of the same fetch are handed over a moment later: take them too.
        await new Promise((r) => setImmediate(r));
        const fetchedAll = [first, ...consumer.takeReady()];
        try {
          for (const f of fetchedAll) {
            this.deps.metrics?.consumerLag.set({ topology: this.deps.topology, source: this.name, topic: f.topic, partition: String(f.partition) }, f.lag ?? 0);
          }
          const cutters = fetchedAll.map((fetched) => ({ fetched, ranges: this.ranges(fetched)[Symbol.iterator](), open: true }));
          while (cutters.some((c) => c.open)) {
            if (signal.aborted) return;
            // One range per partition, until the batch holds batch_rows rows.
            const parts: Part[] = [];
            let rows = 0;
            for (const c of cutters) {
              if (!c.open || rows >= limit) continue;
              const next = c.ranges.next();
              if (next.done) {
                c.open = false;
                continue;
              }
              const range = next.value;
              const part = { fetched: c.fetched, range, first: range[0]!.msg.offset, last: range[range.length - 1]!.msg.offset, id: '' };
              part.id = `${this.deps.transport.kind}-${part.fetched.topic}-${part.fetched.partition}-${part.first}-${part.last}${this.epoch}`;
              parts.push(part);
              rows += range.reduce((n, i) => n + i.rows, 0);
            }
            if (!parts.length) break;
            // A range not recorded (broker unreachable) is left to its re-delivery, which the markers
            // of the recorded ones cut the same: stop here, nothing of this fetch is committed.
            let recorded = true;
            for (const p of parts) if (!(recorded = await p.fetched.begin(p.first, p.last))) break;
            if (!recorded) break;
            const rejected = parts.flatMap((p) => p.range.filter((i) => i.reason));
            if (dlq && rejected.length) {
              if (!(await this.publishDeadLetters(dlq, rejected, signal))) return;
            }
            if (!(yield* this.deliver(parts, signal))) return; // stopping: the ranges stay uncommitted
            for (const p of parts) {
              const c = cutters.find((x) => x.fetched === p.fetched)!;
              const committed = await p.fetched.commit(p.last);
              this.deps.metrics?.consumerCommits.inc({ ...labels, topic: p.fetched.topic, result: committed ? 'ok' : 'lost' });
              if (!committed) c.open = false; // partition lost: its new owner re-delivers the rest
              else this.count(p.range);
            }
          }
        } finally {
          for (const f of fetchedAll) f.done();
        }
      }
    } finally {
      await consumer.close();
      await dlq?.close();
    }
  }

  /**
   * Yields the parts' batch until the pipeline commits it (true), or false when stopped first. A
   * batch the pipeline could not commit is offered again, never dead-lettered: an operator or
   * warehouse error is not bad data (bad messages were dead-lettered when decoded). Each part (one
   * partition's offset range) keeps its own batch id on its rows, so a re-delivery rewrites the
   * same files however the ranges are grouped the next time.
   */
  private async *deliver(parts: Part[], signal: AbortSignal): AsyncGenerator<SourceBatch, boolean> {
    const kind = this.deps.transport.kind;
    const id = parts.length === 1 ? parts[0]!.id : `${parts[0]!.id}+${parts.length - 1}`;
    const describe = (p: Part): string => `${kind}:${p.fetched.topic}/${p.fetched.partition}@${p.first}-${p.last}`;
    const p0 = parts[0]!;
    const position = {
      describe: parts.map(describe).join(','),
      topic: p0.fetched.topic, partition: p0.fetched.partition, first: p0.first, last: p0.last,
      ranges: parts.map((p) => ({ partition: p.fetched.partition, first: p.first, last: p.last })),
    };
    const meta = (batchId: string): SourceBatch['meta'] => ({ topology: this.deps.topology, batchId, source: this.name, createdAt: Date.now(), position });
    for (let attempt = 1; ; attempt++) {
      let outcome: AckOutcome | undefined;
      let resolve!: () => void;
      const acked = new Promise<void>((r) => (resolve = r));
      yield {
        meta: meta(id),
        table: this.table(parts, describe),
        rejects: this.rejects(parts.flatMap((p) => p.range.filter((i) => i.reason).map((i) => ({ item: i, batchId: p.id })))),
        ack: async (o?: AckOutcome) => {
          outcome = o;
          resolve();
        },
      };
      await acked;
      if (!outcome?.failed) return true;
      if (signal.aborted) return false;
      const delay = backoffMs(attempt - 1, 1000, 30_000);
      this.deps.log.warn({ batch: id, attempt, error: outcome.error, retry_in_ms: delay }, 'pipeline failed on a batch; offering it again');
      if (!(await pause(delay, signal))) return false;
    }
  }

  /** The parts' good records, each row tagged with its range's batch id and position. */
  private table(parts: Part[], describe: (p: Part) => string): Table {
    const good: { value: Record<string, unknown>; lineage: TopicMessage }[] = [];
    const ids: string[] = [];
    const positions: string[] = [];
    for (const p of parts) {
      const where = describe(p);
      for (const i of p.range) {
        if (!i.value) continue;
        good.push({ value: i.value, lineage: i.msg });
        for (let r = 0; r < i.rows; r++) {
          ids.push(p.id);
          positions.push(where);
        }
      }
    }
    const t = this.layout.toArrow(good);
    return t.assign(new Table({ _batch_id: utf8Vector(ids), _position: utf8Vector(positions) }));
  }

  /** Decodes a fetched batch and cuts it into ranges of about batch_rows rows. */
  private *ranges(fetched: FetchedBatch): Iterable<Item[]> {
    const limit = this.spec.batch_rows ?? 5000;
    let range: Item[] = [];
    let rows = 0;
    let cap = fetched.pendingRange?.last;
    for (const msg of fetched.messages) {
      const item = this.decode(msg);
      range.push(item);
      rows += item.rows;
      if (msg.offset === cap || (cap === undefined && rows >= limit)) {
        yield range;
        range = [];
        rows = 0;
        cap = undefined;
      }
    }
    if (range.length) yield range;
  }

  private decode(msg: TopicMessage): Item {
    const d = this.deps.decoder.decode(msg.value);
    if (!d.ok) return { msg, reason: d.reason, error: d.error, rows: 1 };
    const problem = this.validate?.(d.value);
    if (problem) return { msg, reason: 'invalid_value', error: problem, rows: 1 };
    return { msg, value: d.value, rows: this.layout.rowsOf(d.value) };
  }

  private rejects(entries: { item: Item; batchId: string }[]): Table | undefined {
    if (!entries.length) return undefined;
    const items = entries.map((e) => e.item);
    return new Table({
      reason: vectorFromArray(items.map((i) => i.reason!), new Utf8()),
      error: vectorFromArray(items.map((i) => `${i.error} (${i.msg.topic}/${i.msg.partition}@${i.msg.offset})`), new Utf8()),
      source: vectorFromArray(items.map(() => this.name), new Utf8()),
      topic: vectorFromArray(items.map((i) => i.msg.topic), new Utf8()),
      partition: vectorFromArray(items.map((i) => i.msg.partition), new Int32()),
      offset: vectorFromArray(items.map((i) => BigInt(i.msg.offset)), new Int64()),
      key: vectorFromArray(items.map((i) => i.msg.key?.toString('utf8') ?? null), new Utf8()),
      payload_base64: vectorFromArray(items.map((i) => i.msg.value?.toString('base64') ?? ''), new Utf8()),
      // The message's own timestamp, not the wall clock: a re-delivery lands in the same date partition and file.
      rejected_at: vectorFromArray(items.map((i) => i.msg.timestamp), new TimestampMillisecond()),
      _batch_id: vectorFromArray(entries.map((e) => e.batchId), new Utf8()),
    });
  }

  /** Publishes dead letters, retrying with back-off; false if stopped before it succeeded. */
  private async publishDeadLetters(dlq: ReturnType<Transport['producer']>, items: Item[], signal: AbortSignal): Promise<boolean> {
    const messages: OutgoingMessage[] = items.map((i) => ({
      key: i.msg.key,
      value: i.msg.value,
      headers: {
        'strata.reason': i.reason!,
        'strata.error': i.error!.slice(0, 1000),
        'strata.topology': this.deps.topology,
        'strata.source': this.name,
        'strata.topic': i.msg.topic,
        'strata.partition': String(i.msg.partition),
        'strata.offset': i.msg.offset,
      },
    }));
    for (let delay = 500; ; delay = Math.min(delay * 2, 15_000)) {
      try {
        await dlq.send(this.deps.deadLetterTopic!, messages);
        this.deps.metrics?.deadLetterPublished.inc({ topology: this.deps.topology, source: this.name, topic: this.deps.deadLetterTopic! }, messages.length);
        return true;
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message, topic: this.deps.deadLetterTopic, retry_in_ms: delay }, 'publishing dead letters failed; retrying');
        if (signal.aborted) return false;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private count(range: Item[]): void {
    const m = this.deps.metrics;
    if (!m) return;
    const labels = { topology: this.deps.topology, source: this.name };
    const bad = range.filter((i) => i.reason).length;
    m.topicMessages.inc({ ...labels, result: 'ok' }, range.length - bad);
    if (bad) m.topicMessages.inc({ ...labels, result: 'dead_letter' }, bad);
  }
}
