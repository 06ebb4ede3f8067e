import type { OperatorOutput } from '../../../core/batch.ts';
import { ident } from '../../../duckdb/instance.ts';
import type { BatchContext } from '../../operator.ts';
import { count, latestByKey } from '../../../duckdb/relations.ts';
import type { Model } from './model.ts';

/** upsert: merged by `key` into what the table holds; the greatest `order_by` wins. */
export async function upsert(op: Model, ctx: BatchContext, input: OperatorOutput, out: string): Promise<OperatorOutput> {
  const { conn } = ctx;
  const m = op.spec.materialize;
  const key = m.key!;
  const orderBy = m.order_by!;
  await conn.run(`CREATE OR REPLACE TEMP VIEW input AS SELECT * FROM ${ident(input.relation!)}`);
  await op.runModel(ctx, out);
  // Duplicates inside the batch: keep the winner only. Looked for first, because the window (a
  // sort of the whole batch) costs several times the check and most batches have none. The check
  // counts distinct 64-bit hashes of the key (one integer column, ~40 % cheaper than grouping by
  // the key's columns): a hash collision only runs the window for nothing, it cannot hide a duplicate.
  const check = await conn.runAndReadAll(`SELECT count(*), count(DISTINCT hash(${key.map(ident).join(', ')})) FROM ${ident(out)}`);
  const [total, distinct] = check.getRowsJS()[0]!.map(Number) as [number, number];
  let rows = total;
  if (distinct < total) {
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(out)} AS ${latestByKey(ident(out), key, orderBy)}`);
    rows = await count(conn, out);
  }
  if (!rows) return { relation: out, rows: 0, partitions: [], table: op.table };
  const partitions = await ctx.warehouse.upsert(conn, out, op.table, { partitionBy: m.partition_by, key, orderBy });
  return { relation: out, rows, partitions, table: op.table };
}
