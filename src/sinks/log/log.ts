import type { BatchMeta, OperatorOutput } from '../../core/batch.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Sink } from '../sink.ts';

/** Logs one summary line per batch: what each input wrote. */
export class LogSink implements Sink {
  readonly kind = 'log';
  constructor(readonly name: string, private readonly level: 'debug' | 'info', private readonly log: Logger) {}

  async write(meta: BatchMeta, inputs: Map<string, OperatorOutput>): Promise<void> {
    const summary = Object.fromEntries([...inputs].map(([n, o]) => [n, { table: o.table, rows: o.rows, partitions: o.partitions.length }]));
    this.log[this.level]({ batch: meta.batchId, summary }, 'batch committed');
  }
}
