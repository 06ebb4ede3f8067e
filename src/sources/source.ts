import type { SourceBatch } from '../runtime/batch.ts';

/** A source yields batches; it must not yield the next one before the previous is acknowledged. */
export interface Source {
  readonly name: string;
  readonly kind: string;
  describe(): string;
  batches(signal: AbortSignal): AsyncIterable<SourceBatch>;
  /** Whether the source can currently reach its upstream (for /readyz). */
  health(): { ok: boolean; detail: string };
}

/** An acknowledgement that resolves once the batch is committed: the source waits on it (back-pressure). */
export function ackable(): { ack: () => Promise<void>; acked: Promise<void> } {
  let resolve!: () => void;
  const acked = new Promise<void>((r) => (resolve = r));
  return { ack: async () => resolve(), acked };
}
