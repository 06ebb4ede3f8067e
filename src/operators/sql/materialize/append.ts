import type { OperatorOutput } from '../../../core/batch.ts';
import { ident } from '../../../duckdb/instance.ts';
import type { BatchContext } from '../../operator.ts';
import { count } from '../../../duckdb/relations.ts';
import type { Model } from './model.ts';

/**
 * append: the batch's rows are added, filed by the batch they came from. Rows that carry the Bronze
 * batch they came from are filed under that batch's name, so a replay (backfill --skip-bronze)
 * rewrites the original rows instead of adding copies; the Spark engine names them the same way.
 */
export async function append(op: Model, ctx: BatchContext, input: OperatorOutput, out: string): Promise<OperatorOutput> {
  await ctx.conn.run(`CREATE OR REPLACE TEMP VIEW input AS SELECT * FROM ${ident(input.relation!)}`);
  await op.runModel(ctx, out);
  const rows = await count(ctx.conn, out);
  if (!rows) return { relation: out, rows: 0, partitions: [], table: op.table };
  const partitions = await ctx.warehouse.append(ctx.conn, out, op.table, { partitionBy: op.spec.materialize.partition_by, batchId: ctx.meta.batchId });
  return { relation: out, rows, partitions, table: op.table };
}
