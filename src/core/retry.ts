/**
 * The one retry toolkit: back-off delays (plain exponential, or with full jitter), Retry-After, and
 * an abortable pause. Every retry loop in Strata waits through `pause`, so Ctrl-C and shutdown
 * interrupt a back-off instead of waiting it out.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Back-off before retry number `attempt` (1-based): base·2^attempt, capped at maxMs. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.min(attempt, 30), maxMs);
}

/** Waits `ms` unless `signal` fires first; resolves false when it was aborted. */
export async function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}


/**
 * Delay before retry number `attempt` (1 = first retry) with full jitter: uniform in
 * [0, min(cap, base·2^(attempt-1))]. Jitter spreads many clients' retries apart instead of letting
 * them hit a server in lockstep.
 */
export function jitteredBackoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After as delay-seconds or an HTTP-date → milliseconds to wait; undefined if absent/unusable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
