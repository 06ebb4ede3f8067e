import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LAYERS } from '../../core/layers.ts';
import { pause } from '../../core/retry.ts';


/**
 * Errors DuckDB gives when a Parquet file changes under a running query. It opens a file more than
 * once per query (the footer at bind, the pages at scan), so a partition replaced by rename in
 * between is read as a mix of two files. Measured: ~9 % of reads of a partition rewritten in a loop
 * failed this way, and none returned wrong rows.
 */
const TORN_READ = /^(Invalid Error|IO Error|Invalid Input Error|Serialization Error|INTERNAL Error): /;

/** Timestamps come from a coarse kernel clock (a few ms); a change this close to the start counts. */
const CLOCK_SLACK_MS = 50;

export interface ConsistentReadOptions {
  /** Runs in all (default 8); the last failure is reported as it is. */
  attempts?: number;
  /** Told of each retried failure (for a log line or a count). */
  onRetry?: (err: Error, attempt: number) => void;
}

/**
 * Runs `read` (which lists the warehouse's files itself, e.g. through `attachViews`) and, when it
 * fails with a file-read error while a warehouse file or folder changed since it began (a writer
 * replaced a partition under it), runs it again on the new files. A failure with nothing changed,
 * such as a really damaged file, is reported at once. Writers never wait for readers: this is how
 * a reader gets a consistent answer without a lock.
 */
export async function readConsistently<T>(warehouse: { root: string }, read: () => Promise<T>, opts: ConsistentReadOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    const started = Date.now() - CLOCK_SLACK_MS;
    try {
      return await read();
    } catch (err) {
      if (attempt >= attempts || !(err instanceof Error) || !TORN_READ.test(err.message)) throw err;
      if (!(await changedSince(warehouse, started))) throw err;
      opts.onRetry?.(err, attempt);
      await pause(10 * attempt);
    }
  }
}

/** Whether any table folder, partition folder or data file was created, replaced or removed since `ms`. */
export async function changedSince(warehouse: { root: string }, ms: number): Promise<boolean> {
  const walk = async (dir: string): Promise<boolean> => {
    let entries;
    try {
      const s = await stat(dir);
      // A folder's times move when an entry is renamed into it or removed from it.
      if (Math.max(s.mtimeMs, s.ctimeMs) >= ms) return true;
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return true; // gone while we looked: a change
    }
    for (const e of entries) {
      if (e.name.startsWith('_') || e.name.startsWith('.')) continue; // staging and state are never read as data
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (await walk(p)) return true;
      } else {
        const s = await stat(p).catch(() => undefined);
        if (!s || Math.max(s.mtimeMs, s.ctimeMs) >= ms) return true;
      }
    }
    return false;
  };
  for (const layer of LAYERS) {
    const dir = join(warehouse.root, layer);
    if (existsSync(dir) && (await walk(dir))) return true;
  }
  return false;
}
