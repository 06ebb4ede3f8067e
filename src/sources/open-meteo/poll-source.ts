import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Schedule } from '../../core/schedule.ts';
import type { OpenMeteoSourceSpec } from './spec.ts';
import type { Logger } from '../../observability/logger.ts';
import type { SourceBatch } from '../../core/batch.ts';
import type { StatePaths } from '../../core/state.ts';
import { ackable, type DateWindow, type ScheduledRun, type Source, type SourceEstimate, type WindowOptions } from '../source.ts';
import { readingsToArrow } from './arrow.ts';
import type { OpenMeteoClient } from './client.ts';
import { loadLocations } from './locations.ts';
import { toReadings } from './parse.ts';
import type { Location, Reading } from './types.ts';

export interface PollSourceDeps {
  topology: string;
  baseDir: string;
  client: OpenMeteoClient;
  log: Logger;
  now?: () => Date;
  onFetchError?: (loc: Location, err: Error) => void;
  /** Where the schedule records its last tick (for catch-up after downtime). */
  state?: StatePaths;
  /** Each scheduled run (poll) as it starts and as it ends (the service records it in the run history). */
  onRun?: (run: ScheduledRun) => void;
}

/**
 * Polls the Open-Meteo air-quality API for every location on a cron schedule (and once at
 * start), after publishing the recorded responses of a seed folder. A tick that comes while a poll
 * is still running is skipped or queued, as configured.
 */
export class OpenMeteoPollSource implements Source {
  readonly kind = 'open_meteo';
  private lastError: string | undefined;
  private lastOk: number | undefined;

  constructor(readonly name: string, private readonly spec: OpenMeteoSourceSpec, private readonly deps: PollSourceDeps) {}

  health(): { ok: boolean; detail: string } {
    if (this.lastError) return { ok: false, detail: `last poll failed: ${this.lastError}` };
    return { ok: true, detail: this.lastOk ? `last poll ok at ${new Date(this.lastOk).toISOString()}` : 'no poll yet' };
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const locations = await loadLocations(resolve(this.deps.baseDir, this.spec.locations));
    if (this.spec.seed) yield* this.seedBatches(locations, resolve(this.deps.baseDir, this.spec.seed));
    const sched = this.spec.schedule;
    if (!sched) {
      yield* this.poll(locations, new Date(), signal);
      return;
    }
    const onSkip = (tick: Date): void =>
      this.report({ id: scheduledRunId(this.deps.topology, this.name, tick), source: this.name, status: 'skipped', startedAt: tick, endedAt: tick, error: 'the previous run was still going' });
    const schedule = new Schedule(sched, this.deps.state?.schedule(this.deps.topology, this.name), onSkip);
    signal.addEventListener('abort', () => void schedule.close(), { once: true });
    await schedule.start();
    try {
      for (;;) {
        const tick = await schedule.next();
        if (tick === undefined || signal.aborted) return;
        yield* this.poll(locations, tick, signal);
        await schedule.done(tick);
      }
    } finally {
      await schedule.close();
    }
  }

  async *window(w: DateWindow, opts: WindowOptions): AsyncIterable<SourceBatch> {
    const locations = await this.locations(opts);
    // A chunk is all-or-nothing: a location that keeps failing fails the chunk, which is retried.
    // A few requests in flight at once: the API's latency, not our CPU, bounds a chunk's fetch.
    const perLocation = await mapLimit(locations, WINDOW_FETCH_CONCURRENCY, (loc) => {
      if (opts.signal?.aborted) return Promise.resolve([] as Reading[]);
      return this.deps.client.fetchRange(loc, w.start, w.end);
    });
    if (opts.signal?.aborted) return;
    const readings = perLocation.flat();
    // One batch per window: the chunk is the unit of work and memory in a backfill.
    const { ack, acked } = ackable();
    yield {
      meta: {
        topology: this.deps.topology,
        batchId: `window-${w.start}..${w.end}`,
        source: this.name,
        createdAt: (this.deps.now ?? (() => new Date()))().getTime(),
        position: { describe: `open-meteo:${w.start}..${w.end}`, start: w.start, end: w.end },
        window: w,
      },
      table: readingsToArrow(readings),
      ack,
    };
    await acked;
  }

  async estimate(w: DateWindow, opts: WindowOptions): Promise<SourceEstimate> {
    const n = (await this.locations(opts)).length;
    const hours = (Date.parse(`${w.end}T00:00:00Z`) - Date.parse(`${w.start}T00:00:00Z`)) / 3_600_000 + 24;
    return { records: n * hours, basis: `${n} locations × ${hours} hours (× 8 pollutants in silver)` };
  }

  private async locations(opts: WindowOptions): Promise<Location[]> {
    return loadLocations(opts.locations ? resolve(opts.locations) : resolve(this.deps.baseDir, this.spec.locations));
  }

  private async *seedBatches(locations: Location[], dir: string): AsyncIterable<SourceBatch> {
    if (!existsSync(dir)) return;
    const byId = new Map(locations.map((l) => [l.id, l]));
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
      const loc = byId.get(basename(file, '.json'));
      if (!loc) {
        this.deps.log.warn({ file }, 'seed file names no known location; skipped');
        continue;
      }
      const text = await readFile(join(dir, file), 'utf8');
      const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
      const readings = toReadings(JSON.parse(text), loc, { source: 'seed', requestUrl: `file://${join(dir, file)}`, fetchedAt: 0 });
      yield* this.emit(readings, `seed-${loc.id}-${hash}`, { describe: `seed:${file}` });
    }
  }

  private async *poll(locations: Location[], tick: Date, signal: AbortSignal): AsyncIterable<SourceBatch> {
    const end = tick.toISOString().slice(0, 10);
    const start = new Date(tick.getTime() - this.spec.past_days * 86_400_000).toISOString().slice(0, 10);
    const run: ScheduledRun = { id: scheduledRunId(this.deps.topology, this.name, tick), source: this.name, status: 'running', startedAt: new Date(), window: { start, end }, locations: locations.length };
    this.report(run);
    const readings: Reading[] = [];
    let failures = 0;
    let lastError: string | undefined;
    for (const loc of locations) {
      if (signal.aborted) return;
      try {
        readings.push(...(await this.deps.client.fetchRange(loc, start, end)));
      } catch (err) {
        failures++;
        this.lastError = lastError = `${loc.id} ${start}..${end}: ${(err as Error).message}`;
        this.deps.onFetchError?.(loc, err as Error);
        this.deps.log.warn({ err, location: loc.id, start, end }, 'open-meteo poll failed for a location; others continue');
      }
    }
    if (failures === 0) {
      this.lastError = undefined;
      this.lastOk = Date.now();
    }
    yield* this.emit(readings, `poll-${tick.toISOString()}`, { describe: `open-meteo:${start}..${end}`, start, end }, run.id);
    this.report({
      ...run,
      status: failures ? 'failed' : 'ok',
      endedAt: new Date(),
      failures,
      rows: readings.length,
      error: failures ? `${failures} of ${locations.length} locations failed; last: ${lastError}` : undefined,
    });
  }

  private report(run: ScheduledRun): void {
    try {
      this.deps.onRun?.(run);
    } catch (err) {
      this.deps.log.warn({ err }, 'onRun hook threw'); // bookkeeping must not stop the poller
    }
  }

  private async *emit(readings: Reading[], id: string, position: { describe: string; [k: string]: unknown }, runId?: string): AsyncIterable<SourceBatch> {
    const size = this.spec.batch_rows;
    for (let i = 0, part = 0; i < readings.length; i += size, part++) {
      const { ack, acked } = ackable();
      yield {
        meta: {
          topology: this.deps.topology,
          batchId: readings.length > size ? `${id}-${part}` : id,
          source: this.name,
          createdAt: (this.deps.now ?? (() => new Date()))().getTime(),
          position,
          runId,
        },
        table: readingsToArrow(readings.slice(i, i + size)),
        ack,
      };
      await acked;
    }
  }
}

/** A scheduled run's id: topology, source and tick time (to the second). */
export function scheduledRunId(topology: string, source: string, tick: Date): string {
  return `scheduled-${topology}-${source}-${tick.toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
}

const WINDOW_FETCH_CONCURRENCY = 6;

/** `fn` over `items` with at most `limit` calls pending; results in input order; the first error rejects. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
