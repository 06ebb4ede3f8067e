import type { SourceBatch } from '../core/batch.ts';

/** A source yields batches; it must not yield the next one before the previous is acknowledged. */
export interface Source {
  readonly name: string;
  readonly kind: string;
  describe(): string;
  batches(signal: AbortSignal): AsyncIterable<SourceBatch>;
  /** Whether the source can currently reach its upstream (for /readyz). */
  health(): { ok: boolean; detail: string };
  /**
   * Historical data for a closed window of days (backfill), as deterministic batches: the same
   * window always gives the same batch ids, so a re-run or resumed chunk rewrites, never duplicates.
   */
  window?(window: DateWindow, opts: WindowOptions): AsyncIterable<SourceBatch>;
  /** Rough number of records in a window, for the backfill planner. */
  estimate?(window: DateWindow, opts: WindowOptions): Promise<SourceEstimate>;
}

/** Inclusive range of UTC days, YYYY-MM-DD. */
export interface DateWindow {
  start: string;
  end: string;
}

export interface WindowOptions {
  /** A locations file that replaces the source's own (the seed's `--locations`). */
  locations?: string;
  signal?: AbortSignal;
}

export interface SourceEstimate {
  records: number;
  /** How the estimate was made, for the plan printout. */
  basis: string;
}

/** An acknowledgement that resolves once the batch is committed: the source waits on it (back-pressure). */
export function ackable(): { ack: () => Promise<void>; acked: Promise<void> } {
  let resolve!: () => void;
  const acked = new Promise<void>((r) => (resolve = r));
  return { ack: async () => resolve(), acked };
}
