export type RunStatus = 'running' | 'ok' | 'failed' | 'skipped' | 'cancelled';
export type RunKind = 'backfill' | 'chunk' | 'scheduled';

/** One run (a backfill, one of its chunks, or a scheduled poll) as recorded under `_state/`. */
export interface RunRecord {
  id: string;
  kind: RunKind;
  topology: string;
  /** The backfill a chunk belongs to. */
  parent?: string;
  engine?: string;
  params?: Record<string, unknown>;
  window?: { start: string; end: string };
  status: RunStatus;
  started_at: string;
  ended_at?: string;
  attempts?: number;
  rows_in?: number;
  rows_out?: number;
  rows_rejected?: number;
  error?: string;
  /** External job id (e.g. the YARN application id of a Spark chunk). */
  application_id?: string;
}
