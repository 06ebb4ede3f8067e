import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from '../observability/logger.ts';
import type { BatchMeta, OperatorOutput } from '../core/batch.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

/** Everything an operator may touch while processing one batch. */
export interface BatchContext {
  conn: DuckDBConnection;
  warehouse: Warehouse;
  meta: BatchMeta;
  log: Logger;
}

/** A node that turns its input's rows (a DuckDB relation) into rows it materialises in a table. */
export interface Operator {
  readonly name: string;
  readonly kind: string;
  /** The table it writes. */
  readonly table: string;
  /** One line for `strata describe`. */
  describe(): string;
  process(ctx: BatchContext, input: OperatorOutput): Promise<OperatorOutput>;
}

/** Temp table name for a node's output within a batch. */
export function relationName(node: string): string {
  return `_out_${node}`;
}

export { fileSafe } from '../warehouse/batch-files.ts';
