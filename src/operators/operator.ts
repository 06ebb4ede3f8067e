/**
 * The operator kind: what an operator is at run time, what its definition gets to build one, and
 * `defineOperator`, which every operator type's `index.ts` calls once.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BatchMeta, OperatorOutput } from '../core/batch.ts';
import type { ComponentDef, TableRef } from '../core/component.ts';
import type { TObject } from '../core/schema.ts';
import type { Logger } from '../observability/logger.ts';
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
  process(ctx: BatchContext, input: OperatorOutput): Promise<OperatorOutput>;
}

/** What an operator definition's `build` gets. */
export interface OperatorContext {
  /** The topology file's folder: paths in the node's config are relative to it. */
  baseDir: string;
  vars: Readonly<Record<string, string | number>>;
  /** The table its first input writes, when that input is an operator. */
  upstream?: TableRef;
}

export type OperatorDef<T extends string = string, C extends TObject = TObject> = ComponentDef<'operator', T, C, OperatorContext, Operator> & {
  /** Operators write a table. */
  writes: NonNullable<ComponentDef<'operator', T, C>['writes']>;
  /** Which nodes may feed it: sources only (Bronze lands records) or anything that has an output. */
  reads: 'sources' | 'any';
};

export function defineOperator<const T extends string, C extends TObject>(def: Omit<OperatorDef<T, C>, 'kind'>): OperatorDef<T, C> {
  return { kind: 'operator', ...def };
}

/** Temp table name for a node's output within a batch. */
export function relationName(node: string): string {
  return `_out_${node}`;
}
