import type { Table } from 'apache-arrow';

/** Where a batch came from, precise enough to resume from (offsets, or a poll window). */
export interface SourcePosition {
  /** e.g. `kafka:topic/partition@offset`, `memory:topic@offset`, `open-meteo:2024-01-01..2024-01-02`. */
  describe: string;
  [key: string]: unknown;
}

export interface BatchMeta {
  topology: string;
  /** Deterministic for the same input (a re-delivered batch gets the same id: writes stay idempotent). */
  batchId: string;
  source: string;
  createdAt: number;
  runId?: string;
  position?: SourcePosition;
  window?: { start: string; end: string };
}

/** What a source emits: an Arrow table plus metadata, and how to acknowledge it once it is committed. */
export interface SourceBatch {
  meta: BatchMeta;
  table: Table;
  /** Called after every operator has committed the batch: the source may then advance its position. */
  ack(): Promise<void>;
}

/** An operator's result within one batch: rows held in DuckDB (temp table) and the partitions written. */
export interface OperatorOutput {
  /** Temp table name in the pipeline's connection, or undefined when the operator produced nothing. */
  relation?: string;
  rows: number;
  rejected?: number;
  table?: string;
  partitions: string[];
}
