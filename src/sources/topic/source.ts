import { Int32, Int64, Table, TimestampMillisecond, Utf8, vectorFromArray } from 'apache-arrow';
import { repeatedUtf8 } from '../../arrow/columns.ts';
import { ArrowLayout, type RowBuilder } from '../../avro/arrow.ts';
import { HEADER_BYTES, type AvroDecoder } from '../../avro/codec.ts';
import type { TopicSourceSpec } from './spec.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { AckOutcome, SourceBatch } from '../../core/batch.ts';
import type { FetchedBatch, OutgoingMessage, TopicConsumer, TopicMessage, Transport } from '../../transport/transport.ts';
import { backoffMs, pause } from '../../core/retry.ts';
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
  /** Good rows of the range in the batch's columns. */
  rows: number;
}

interface Item {
  msg: TopicMessage;
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

  health(): { ok: boolean; detail: string } {
    return this.consumer?.health() ?? { ok: true, detail: 'not started' };
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const { transport, topic, group } = this.deps;
    const labels = { topology: this.deps.topology, source: this.name, topic };
    const consumer = (this.consumer = transport.consumer({
      topic,
      group,
      maxWaitMs: this.spec.max_wait_ms,
      onRebalance: () => this.deps.metrics?.consumerRebalances.inc(labels),
    }));
    const dlq = this.deps.deadLetterTopic ? transport.producer() : undefined;
    const limit = this.spec.batch_rows;
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
          const cutters = fetchedAll.map((fetched) => ({ fetched, ranges: new RangeCutter(fetched, limit, (m, into) => this.decode(m, into)), open: true }));
          while (cutters.some((c) => c.open)) {
            if (signal.aborted) return;
            // One range per partition, until the batch holds batch_rows rows; their good records
            // are decoded straight into the batch's columns.
            const builder = this.layout.builder();
            const parts: Part[] = [];
            let rows = 0;
            for (const c of cutters) {
              if (!c.open || rows >= limit) continue;
              const before = builder.rows;
              const range = c.ranges.next(builder);
              if (!range) {
                c.open = false;
                continue;
              }
              const part = { fetched: c.fetched, range, first: range[0]!.msg.offset, last: range[range.length - 1]!.msg.offset, id: '', rows: builder.rows - before };
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
            if (!(yield* this.deliver(parts, builder, signal))) return; // stopping: the ranges stay uncommitted
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
  private async *deliver(parts: Part[], rows: RowBuilder, signal: AbortSignal): AsyncGenerator<SourceBatch, boolean> {
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
    // Each row tagged with its range's batch id and position.
    const table = rows.finish({ _batch_id: repeatedUtf8(parts.map((p) => p.id), parts.map((p) => p.rows)), _position: repeatedUtf8(parts.map(describe), parts.map((p) => p.rows)) });
    for (let attempt = 1; ; attempt++) {
      let outcome: AckOutcome | undefined;
      let resolve!: () => void;
      const acked = new Promise<void>((r) => (resolve = r));
      yield {
        meta: meta(id),
        table,
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

  /** Decodes one message into `into` (good records), or says why it is rejected. */
  private decode(msg: TopicMessage, into: RowBuilder): Item {
    const lineage = { topic: msg.topic, partition: msg.partition, offset: msg.offset };
    if (this.layout.columnar && this.deps.decoder.isReaderEncoded(msg.value)) {
      const r = into.appendEncoded(msg.value, HEADER_BYTES, lineage, this.validate);
      if (r) return 'invalid' in r ? { msg, reason: 'invalid_value', error: r.invalid, rows: 1 } : { msg, rows: r.rows };
    }
    // Older schema versions, non-columnar layouts, and bytes the columnar reader refused: avsc
    // decodes (and names the error of) those.
    const d = this.deps.decoder.decode(msg.value);
    if (!d.ok) return { msg, reason: d.reason, error: d.error, rows: 1 };
    const rows = this.layout.rowsOf(d.value);
    const problem = this.validate?.(d.value, rows);
    if (problem) return { msg, reason: 'invalid_value', error: problem, rows: 1 };
    into.appendValue(d.value, lineage);
    return { msg, rows };
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
    for (let attempt = 1; ; attempt++) {
      const delay = backoffMs(attempt, 250, 15_000);
      try {
        await dlq.send(this.deps.deadLetterTopic!, messages);
        this.deps.metrics?.deadLetterPublished.inc({ topology: this.deps.topology, source: this.name, topic: this.deps.deadLetterTopic! }, messages.length);
        return true;
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message, topic: this.deps.deadLetterTopic, retry_in_ms: delay }, 'publishing dead letters failed; retrying');
        if (!(await pause(delay, signal))) return false;
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

/**
 * Cuts one fetched batch into ranges of about batch_rows rows, decoding each message into the
 * builder of the batch the range goes to. A re-delivered in-flight range is cut where it was
 * before (at its recorded last offset), so it gets the same batch id and files.
 */
class RangeCutter {
  private next_ = 0;
  private cap: string | undefined;

  constructor(private readonly fetched: FetchedBatch, private readonly limit: number, private readonly decode: (msg: TopicMessage, into: RowBuilder) => Item) {
    this.cap = fetched.pendingRange?.last;
  }

  next(into: RowBuilder): Item[] | undefined {
    const msgs = this.fetched.messages;
    if (this.next_ >= msgs.length) return undefined;
    const range: Item[] = [];
    let rows = 0;
    while (this.next_ < msgs.length) {
      const msg = msgs[this.next_++]!;
      const item = this.decode(msg, into);
      range.push(item);
      rows += item.rows;
      if (msg.offset === this.cap || (this.cap === undefined && rows >= this.limit)) {
        this.cap = undefined;
        break;
      }
    }
    return range;
  }
}
