import { resolve } from 'node:path';
import type { OperatorOutput } from '../../core/batch.ts';
import type { TableRef } from '../../core/component.ts';
import { EngineError } from '../../core/errors.ts';
import { seedCsvSql } from '../../duckdb/csv.ts';
import { ident } from '../../duckdb/instance.ts';
import { relationName, type BatchContext, type Operator } from '../operator.ts';
import { append } from './materialize/append.ts';
import { recompute } from './materialize/recompute.ts';
import { upsert } from './materialize/upsert.ts';
import type { Model } from './materialize/model.ts';
import { renderModel } from './model.ts';
import type { SqlOperatorSpec } from './spec.ts';

/** How each `materialize.mode` writes the model's result (one file each, as dbt keeps its materializations). */
const MATERIALIZE = { append, upsert, recompute } as const;

/**
 * A SQL model (one file) over `input`, materialised by mode (see materialize/): append, upsert by
 * key, or recompute of every target partition the input's changes affect.
 */
export class SqlOperator implements Operator, Model {
  readonly kind = 'sql';
  readonly table: string;
  readonly sqlFile: string;
  readonly sql: string;

  constructor(
    readonly name: string,
    readonly spec: SqlOperatorSpec,
    private readonly opts: { baseDir: string; vars: Readonly<Record<string, string | number>>; upstream?: TableRef },
  ) {
    this.table = spec.materialize.table;
    const model = renderModel(spec.sql, opts.baseDir, opts.vars);
    this.sqlFile = model.file;
    this.sql = model.sql;
  }

  /** The table its input writes (recompute reads it around the changed partitions). */
  get upstream(): TableRef | undefined {
    return this.opts.upstream;
  }

  async process(ctx: BatchContext, input: OperatorOutput): Promise<OperatorOutput> {
    if (!input.relation || input.rows === 0) return { rows: 0, partitions: [], table: this.table };
    await this.bindRelations(ctx);
    return MATERIALIZE[this.spec.materialize.mode](this, ctx, input, relationName(this.name));
  }

  /** Runs the model over the `input` view into temp table `out`. */
  async runModel(ctx: BatchContext, out: string): Promise<void> {
    try {
      await ctx.conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(out)} AS ${this.sql}`);
    } catch (err) {
      throw new EngineError('SQL_MODEL_FAILED', `operator ${this.name} (${this.sqlFile}): ${(err as Error).message}`, {
        operator: this.name, file: this.sqlFile, batch: ctx.meta.batchId,
      }, { cause: err });
    }
  }

  private async bindRelations(ctx: BatchContext): Promise<void> {
    for (const [alias, rel] of Object.entries(this.spec.relations ?? {})) {
      let from: string | undefined;
      if (rel.endsWith('.csv')) {
        from = seedCsvSql(resolve(this.opts.baseDir, rel));
      } else {
        from = await ctx.warehouse.scan(ctx.conn, rel);
        if (!from) throw new EngineError('RELATION_EMPTY', `operator ${this.name}: relation ${alias} = ${rel} has no data yet`, { operator: this.name, relation: rel });
      }
      await ctx.conn.run(`CREATE OR REPLACE TEMP VIEW ${ident(alias)} AS SELECT * FROM ${from}`);
    }
  }
}

