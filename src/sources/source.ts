/**
 * The source kind: what a source is at run time (`Source`), what its definition gets to build one
 * (`SourceContext`), and `defineSource`, which every source type's `index.ts` calls once.
 */
import type { SourceBatch } from '../core/batch.ts';
import type { ComponentDef, SettingsSection } from '../core/component.ts';
import type { StatePaths } from '../core/state.ts';
import { StringEnum, type Static, type TObject } from '../core/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Transport } from '../transport/transport.ts';

/** A source yields batches; it must not yield the next one before the previous is acknowledged. */
export interface Source {
  readonly name: string;
  readonly kind: string;
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

/** One scheduled run of a polling source (a tick), as reported to the service's run history. */
export interface ScheduledRun {
  /** Stable for the tick: `scheduled-<topology>-<source>-<tick>`. */
  id: string;
  source: string;
  /** `skipped`: the tick came while the previous run was still going. */
  status: 'running' | 'ok' | 'failed' | 'skipped';
  startedAt: Date;
  endedAt?: Date;
  /** Days requested, inclusive. */
  window?: { start: string; end: string };
  locations?: number;
  /** Requests that failed for good. */
  failures?: number;
  rows?: number;
  error?: string;
}

/** What a source definition's `build` gets. */
export interface SourceContext<S = unknown> {
  topology: string;
  /** The topology file's folder: paths in the node's config are relative to it. */
  baseDir: string;
  /** Already carries `{ source: <name> }`. */
  log: Logger;
  metrics?: Metrics;
  /** `$WAREHOUSE/_state/cache`: downloads and HTTP responses kept between runs. */
  cacheDir: string;
  /** Engine state (schedules' last ticks); absent in one-off runs. */
  state?: StatePaths;
  /** The service-config section the type owns (`SourceDef.settings`), validated. */
  settings: S;
  /** The service's transport (Kafka, or in-process), opened on first use and shared. */
  transport(): Transport;
  /** A topic or consumer-group name as used on the cluster (kafka.topic_prefix applied). */
  topicName(name: string): string;
  /** The topology's dead-letter topic, prefix applied, if it has one. */
  deadLetterTopic?: string;
  /** Scheduled runs (polls) as they start and end: the service records them in the run history. */
  onScheduledRun?: (run: ScheduledRun) => void;
  /** Registers a resource (an HTTP client) to close when the graph closes. */
  onClose(close: () => Promise<void>): void;
}

export interface SourceDef<T extends string = string, C extends TObject = TObject, K extends string = string, S extends TObject = TObject>
  extends ComponentDef<'source', T, C, SourceContext<Static<S>>, Source> {
  /** The service-config section this type owns, if any (validated with the service config). */
  settings?: SettingsSection<K, S>;
}

export function defineSource<const T extends string, C extends TObject, const K extends string = never, S extends TObject = TObject>(
  def: Omit<SourceDef<T, C, K, S>, 'kind'>,
): SourceDef<T, C, K, S> {
  return { kind: 'source', ...def };
}

/** Properties every source has (spread into each type's config). */
export const SOURCE_COMMON = {
  when: StringEnum(['always', 'kafka', 'embedded'], {
    default: 'always',
    description:
      'Run this source always, only when Kafka brokers are configured (kafka), or only when none are (embedded). Lets one topology read Kafka in production and poll in-process offline.',
  }),
};

export type SourceWhen = Static<typeof SOURCE_COMMON.when>;

/** An acknowledgement that resolves once the batch is committed: the source waits on it (back-pressure). */
export function ackable(): { ack: () => Promise<void>; acked: Promise<void> } {
  let resolve!: () => void;
  const acked = new Promise<void>((r) => (resolve = r));
  return { ack: async () => resolve(), acked };
}
