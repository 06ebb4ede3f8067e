import type { Table } from 'apache-arrow';
import type { SourceBatch } from '../../src/core/batch.ts';
import { ackable, type Source } from '../../src/sources/source.ts';

/** A source that replays given Arrow batches in order (tests control batching and ordering). */
export class ArraySource implements Source {
  readonly kind = 'array';
  acked = 0;
  constructor(readonly name: string, private readonly topology: string, private readonly tables: { id: string; table: Table }[]) {}

  describe(): string {
    return `array of ${this.tables.length} batches`;
  }

  health(): { ok: boolean; detail: string } {
    return { ok: true, detail: 'test source' };
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    for (const { id, table } of this.tables) {
      if (signal.aborted) return;
      const { ack, acked } = ackable();
      yield { meta: { topology: this.topology, batchId: id, source: this.name, createdAt: Date.now() }, table, ack };
      await acked;
      this.acked++;
    }
  }
}
