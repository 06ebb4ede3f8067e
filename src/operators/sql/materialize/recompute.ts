import type { OperatorOutput } from '../../../core/batch.ts';
import { expandDates } from '../../../core/dates.ts';
import { EngineError } from '../../../core/errors.ts';
import { ident, lit } from '../../../duckdb/instance.ts';
import { count, distinctValues } from '../../../duckdb/relations.ts';
import type { BatchContext } from '../../operator.ts';
import type { Model } from './model.ts';

/**
 * recompute: every target partition affected by the input's changed partitions is rebuilt from the
 * upstream table (so late and out-of-order data give the same result as in-order data).
 */
export async function recompute(op: Model, ctx: BatchContext, input: OperatorOutput, out: string): Promise<OperatorOutput> {
  const { conn, warehouse } = ctx;
  const m = op.spec.materialize;
  const upstream = op.upstream;
  if (!upstream) throw new EngineError('RECOMPUTE_NO_UPSTREAM', `operator ${op.name}: recompute needs an upstream table`, { operator: op.name });
  const upCol = m.upstream_partition ?? upstream.partitionBy ?? m.partition_by!;
  const changed = input.partitions.length ? input.partitions : await distinctValues(conn, input.relation!, upCol);
  const targets = expandDates(changed, m.affects_days);
  const from = await warehouse.scan(conn, upstream.table, { column: upCol, values: expandDates(targets, m.reads_days) });
  if (!from) return { rows: 0, partitions: [], table: op.table };
  await conn.run(`CREATE OR REPLACE TEMP VIEW input AS SELECT * FROM ${from}`);
  await op.runModel(ctx, out);
  const part = ident(m.partition_by!);
  await conn.run(`DELETE FROM ${ident(out)} WHERE ${part} IS NULL OR CAST(${part} AS VARCHAR) NOT IN (${targets.map(lit).join(', ')})`);
  const rows = await count(conn, out);
  const partitions = rows ? await warehouse.replace(conn, out, op.table, { partitionBy: m.partition_by }) : [];
  return { relation: out, rows, partitions, table: op.table };
}
