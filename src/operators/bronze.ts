import type { BronzeOperatorSpec } from '../config/types.ts';
import { ident, lit } from '../engines/duckdb/instance.ts';
import type { OperatorOutput } from '../runtime/batch.ts';
import { fileSafe, relationName, type BatchContext, type Operator } from './operator.ts';

/**
 * Bronze: lands every record as received plus lineage (_source, _ingested_at, _batch_id,
 * _position). Append-only, one file per batch and partition named by the batch id, so a
 * re-delivered batch overwrites its own file instead of duplicating rows.
 */
export class BronzeOperator implements Operator {
  readonly kind = 'bronze';
  readonly table: string;

  constructor(readonly name: string, private readonly spec: BronzeOperatorSpec) {
    this.table = spec.table;
  }

  describe(): string {
    return `bronze → ${this.table} (append by batch, partition ${this.spec.partition_by} = ${this.spec.partition_expr})`;
  }

  async process(ctx: BatchContext, input: OperatorOutput): Promise<OperatorOutput> {
    const out = relationName(this.name);
    if (!input.relation || input.rows === 0) return { rows: 0, partitions: [], table: this.table };
    const m = ctx.meta;
    await ctx.conn.run(
      `CREATE OR REPLACE TEMP TABLE ${ident(out)} AS SELECT *,
         ${lit(m.source)} AS _source,
         make_timestamp(${m.createdAt * 1000}::BIGINT) AS _ingested_at,
         ${lit(m.batchId)} AS _batch_id,
         ${lit(m.position?.describe ?? '')} AS _position,
         CAST(${this.spec.partition_expr} AS DATE) AS ${ident(this.spec.partition_by)}
       FROM ${ident(input.relation)}`,
    );
    const partitions = await ctx.warehouse.write(ctx.conn, ident(out), this.table, {
      partitionBy: this.spec.partition_by,
      fileName: `part-${fileSafe(m.batchId)}.parquet`,
    });
    return { relation: out, rows: input.rows, partitions, table: this.table };
  }
}
