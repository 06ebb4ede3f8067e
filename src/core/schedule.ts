import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import { Schedule as ScheduleSchema, type ScheduleSpec, withDefaults } from './schema.ts';

/** Scans at most this far back for missed ticks (minute by minute). */
const CATCH_UP_HORIZON_MS = 7 * 86_400_000;

/**
 * A cron schedule in a time zone, as a queue of ticks a consumer awaits one at a time.
 * - overlap `skip`: a tick that comes while the previous run is still going is dropped;
 *   `queue`: one such tick is kept and runs right after.
 * - catch_up: at start, if a tick was due while the service was down (per the last tick recorded in
 *   `stateFile`), one run is queued at once.
 */
export class Schedule {
  private readonly task: ScheduledTask;
  private pending: Date[] = [];
  private waiter: ((d: Date | undefined) => void) | undefined;
  private busy = false;
  private closed = false;

  /** `onSkip` hears of each tick dropped because a run was still going (overlap `skip`, or one already queued). */
  private readonly spec: ScheduleSpec;

  constructor(spec: Pick<ScheduleSpec, 'cron'> & Partial<ScheduleSpec>, private readonly stateFile?: string, private readonly onSkip?: (tick: Date) => void) {
    this.spec = withDefaults(ScheduleSchema, spec);
    this.task = cron.schedule(this.spec.cron, () => this.push(), { timezone: this.spec.timezone });
  }

  /** Queues the initial run(s): run_on_start, and a catch-up tick when one was missed. */
  async start(): Promise<void> {
    if (this.spec.run_on_start) this.push();
    else if (this.spec.catch_up && (await this.missedSinceLastTick())) this.push();
  }

  /** True when the cron pattern matched a minute between the last recorded tick and now. */
  async missedSinceLastTick(now: Date = new Date()): Promise<boolean> {
    if (!this.stateFile || !existsSync(this.stateFile)) return false;
    const last = Date.parse((JSON.parse(await readFile(this.stateFile, 'utf8')) as { last_tick: string }).last_tick);
    if (Number.isNaN(last)) return false;
    const from = Math.max(last + 60_000, now.getTime() - CATCH_UP_HORIZON_MS);
    for (let t = Math.floor(from / 60_000) * 60_000; t <= now.getTime(); t += 60_000) {
      if (this.task.match(new Date(t))) return true;
    }
    return false;
  }

  push(): void {
    if (this.closed) return;
    const now = new Date();
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      this.busy = true;
      w(now);
    } else if (this.pending.length === 0 && (!this.busy || this.spec.overlap === 'queue')) {
      // One waiting tick is enough: a run polls a window of days, so extra ticks add nothing.
      this.pending.push(now);
    } else {
      this.onSkip?.(now);
    }
  }

  /** The next tick to run (waits for it), or undefined once closed. */
  next(): Promise<Date | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const d = this.pending.shift();
    if (d) {
      this.busy = true;
      return Promise.resolve(d);
    }
    return new Promise((r) => (this.waiter = r));
  }

  /** The run for `tick` finished: record it (for catch-up) and accept the next. */
  async done(tick: Date): Promise<void> {
    this.busy = false;
    if (!this.stateFile) return;
    await mkdir(dirname(this.stateFile), { recursive: true });
    await writeFile(`${this.stateFile}.tmp`, JSON.stringify({ last_tick: tick.toISOString() }));
    await rename(`${this.stateFile}.tmp`, this.stateFile);
  }

  nextRuns(n: number): Date[] {
    return this.task.getNextRuns(n);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiter?.(undefined);
    this.waiter = undefined;
    await this.task.destroy();
  }
}
