import type { LogSinkSpec } from '../../config/types.ts';
import type { Logger } from '../../observability/logger.ts';
import type { BatchMeta, OperatorOutput } from '../../core/batch.ts';

/** A sink receives the outputs of its inputs once the batch is committed. */
export interface Sink {
  readonly name: string;
  readonly kind: string;
  describe(): string;
  write(meta: BatchMeta, inputs: Map<string, OperatorOutput>): Promise<void>;
}

/** Logs one summary line per batch: what each input wrote. */
export class LogSink implements Sink {
  readonly kind = 'log';
  constructor(readonly name: string, private readonly spec: LogSinkSpec, private readonly log: Logger) {}

  describe(): string {
    return `log (${this.spec.level ?? 'info'})`;
  }

  async write(meta: BatchMeta, inputs: Map<string, OperatorOutput>): Promise<void> {
    const summary = Object.fromEntries([...inputs].map(([n, o]) => [n, { table: o.table, rows: o.rows, partitions: o.partitions.length }]));
    this.log[this.spec.level ?? 'info']({ sink: this.name, batch: meta.batchId, summary }, 'batch committed');
  }
}
