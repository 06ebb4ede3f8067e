import type { SourceBatch } from '../core/batch.ts';
import { ackable, type DateWindow, type Source, type WindowOptions } from '../sources/source.ts';
import { StrataError } from '../core/errors.ts';

/** A source's history for one window (a backfill chunk), as a bounded Source. */
export class WindowSource implements Source {
  readonly kind: string;
  readonly name: string;

  constructor(private readonly inner: Source, private readonly w: DateWindow, private readonly opts: WindowOptions) {
    if (!inner.window) throw new StrataError('SOURCE_NO_HISTORY', `source ${inner.name} (${inner.kind}) cannot replay a window of history`, { source: inner.name });
    this.kind = `${inner.kind}/window`;
    this.name = inner.name;
  }


  health(): { ok: boolean; detail: string } {
    return this.inner.health();
  }

  batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    return this.inner.window!(this.w, { ...this.opts, signal });
  }
}

/**
 * One empty batch for a window: used when Bronze is skipped, so the operators downstream run once
 * over what the warehouse already holds for the window.
 */
export class ReplayTrigger implements Source {
  readonly kind = 'replay';
  constructor(readonly name: string, private readonly topology: string, private readonly w: DateWindow) {}


  health(): { ok: boolean; detail: string } {
    return { ok: true, detail: 'replay' };
  }

  async *batches(): AsyncIterable<SourceBatch> {
    const { ack, acked } = ackable();
    yield {
      meta: { topology: this.topology, batchId: `replay-${this.w.start}..${this.w.end}`, source: this.name, createdAt: Date.now(), window: this.w },
      scan: '(SELECT NULL AS _replay WHERE false)',
      ack,
    };
    await acked;
  }
}
