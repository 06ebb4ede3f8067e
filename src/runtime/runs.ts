import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunKind, RunRecord } from '../core/runs.ts';
import type { StatePaths } from '../core/state.ts';

/**
 * Run history as an append-only JSON Lines file (`_state/runs.jsonl`): each line is the latest state of
 * one run; readers fold by id. Appends need no lock, so `strata runs` can read while a backfill writes,
 * and a line cut short by a crash is skipped, not fatal.
 */
export class RunHistory {
  readonly file: string;

  /** `onRecord` sees every record this instance appends (e.g. to count it in the metrics). */
  constructor(state: StatePaths, private readonly opts: { onRecord?: (run: RunRecord) => void } = {}) {
    this.file = state.runs;
  }

  static newId(kind: RunKind): string {
    return `${kind}-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  }

  async record(run: RunRecord): Promise<void> {
    await mkdir(join(this.file, '..'), { recursive: true });
    await appendFile(this.file, `${JSON.stringify(run)}\n`);
    this.opts.onRecord?.(run);
  }

  /** Runs, latest state of each, newest first. */
  async list(filter: { topology?: string; kind?: RunKind; parent?: string } = {}): Promise<RunRecord[]> {
    if (!existsSync(this.file)) return [];
    const byId = new Map<string, RunRecord>();
    for (const line of (await readFile(this.file, 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as RunRecord;
        byId.set(r.id, r);
      } catch {
        // a line torn by a crash mid-append: ignore it, the run's earlier state stands
      }
    }
    return [...byId.values()]
      .filter((r) => (!filter.topology || r.topology === filter.topology) && (!filter.kind || r.kind === filter.kind) && (!filter.parent || r.parent === filter.parent))
      .sort((a, b) => b.started_at.localeCompare(a.started_at) || b.id.localeCompare(a.id));
  }
}
