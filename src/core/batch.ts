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
  /** The records, as an Arrow table (streams: Kafka, HTTP)… */
  table?: Table;
  /**
   * …or a DuckDB table expression that yields them (files: `read_parquet('…')`), so large files
   * are read by DuckDB natively instead of through JS. Exactly one of `table` and `scan` is set.
   */
  scan?: string;
  /**
   * Records the source could not decode or validate, with DEAD_LETTER_COLUMNS. They are written to the
   * topology's dead-letter table in the same commit as the good records, never dropped.
   */
  rejects?: Table;
  /**
   * Called after every operator has committed the batch: the source may then advance its position.
   * With `{ failed: true }` the batch was not committed (an operator failed after its retries): a
   * source that can re-deliver (a topic) must not advance past it.
   */
  ack(outcome?: AckOutcome): Promise<void>;
}

export interface AckOutcome {
  failed: boolean;
  error?: string;
}

/** An operator's result within one batch: rows held in DuckDB (temp table) and the partitions written. */
export interface OperatorOutput {
  /** Temp table name in the pipeline's connection, or undefined when the operator produced nothing. */
  relation?: string;
  /** The relation is a temp view (over its input), not a table. */
  view?: boolean;
  rows: number;
  rejected?: number;
  table?: string;
  partitions: string[];
}

/** Columns of a dead-letter record (the Arrow schema a source uses for `SourceBatch.rejects`). */
export const DEAD_LETTER_COLUMNS = {
  reason: 'VARCHAR: why it was rejected (a short code, e.g. avro_decode_error)',
  error: 'VARCHAR: the error message, naming what and where',
  source: 'VARCHAR: the source node',
  topic: 'VARCHAR (nullable)',
  partition: 'INTEGER (nullable)',
  offset: 'BIGINT (nullable)',
  key: 'VARCHAR (nullable)',
  payload_base64: 'VARCHAR: the original bytes',
  rejected_at: 'TIMESTAMP',
} as const;

/** The column that names the source batch (a Kafka offset range, a poll window) a row came from. */
export const BATCH_ID_COLUMN = '_batch_id';
