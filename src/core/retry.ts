import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError } from './errors.ts';

/**
 * A batch that keeps failing in one operator (or its warehouse write): what /readyz and the logs
 * say while the pipeline retries it. Cleared when the operator succeeds.
 */
export interface FailingBatch {
  operator: string;
  batch: string;
  /** `warehouse`: writing the table failed (disk full, read-only, permissions); `operator`: its SQL or the engine. */
  cause: FailureCause;
  attempts: number;
  since: number;
  error: string;
  nextRetryAt?: number;
}

export type FailureCause = 'warehouse' | 'operator';

/** Back-off before retry number `attempt` (1-based): base·2^attempt, capped at maxMs. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.min(attempt, 30), maxMs);
}

/** Waits `ms` unless `signal` fires first; resolves false when it was aborted. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export function failureCause(err: unknown): FailureCause {
  return err instanceof EngineError && err.code === 'WAREHOUSE_WRITE_FAILED' ? 'warehouse' : 'operator';
}
