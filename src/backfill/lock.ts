import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StrataError } from '../core/errors.ts';
import type { StatePaths } from '../core/state.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One backfill per topology at a time: an exclusive lock file under `_state/locks/` holding the
 * owner's pid. A lock left by a process that died (SIGKILL) is taken over, so `--resume` works.
 */
export async function acquireBackfillLock(state: StatePaths, topology: string, runId: string): Promise<() => Promise<void>> {
  const dir = state.locks;
  await mkdir(dir, { recursive: true });
  const file = join(dir, `backfill-${topology}.json`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, JSON.stringify({ pid: process.pid, run: runId, since: new Date().toISOString() }), { flag: 'wx' });
      return async () => void (await rm(file, { force: true }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner: { pid?: number; run?: string; since?: string } = {};
      try {
        owner = JSON.parse(await readFile(file, 'utf8')) as typeof owner;
      } catch {
        // unreadable: treat as stale
      }
      if (owner.pid && owner.pid !== process.pid && alive(owner.pid)) {
        throw new StrataError('BACKFILL_OVERLAP', `a backfill of topology ${topology} is already running (pid ${owner.pid}, run ${owner.run}, since ${owner.since}); wait for it or stop it first`, { topology, ...owner });
      }
      await rm(file, { force: true });
    }
  }
  throw new StrataError('BACKFILL_LOCK', `could not lock ${file}`, { file });
}
