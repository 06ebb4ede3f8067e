import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { MaterializeSpec, SqlOperatorSpec } from '../../config/types.ts';
import { EngineError } from '../../core/errors.ts';
import { ident, lit } from '../../duckdb/instance.ts';
import { seedCsvSql } from '../../duckdb/csv.ts';
import { renderSql } from '../../duckdb/sql-template.ts';
import type { OperatorOutput } from '../../core/batch.ts';
import { DATA_FILE } from '../../warehouse/warehouse.ts';
import { expandDates } from '../../core/dates.ts';
import { appendByBatch } from '../../warehouse/batch-files.ts';
import { relationName, type BatchContext, type Operator } from '../operator.ts';

export interface SqlOperatorOptions {
  baseDir: string;
  vars: Record<string, string | number>;
  /** The table the input operator writes (recompute reads it around the changed partitions). */
  upstreamTable?: string;
  /** The partition column of the upstream table. */
  upstreamPartition?: string;
}

/**
 * A SQL model (one file) over `input`, materialised by mode:
 *  - append: the batch's rows, one file per batch and partition;
 *  - upsert: merged by key into the partitions the batch touches, greatest `order_by` wins;
 *  - recompute: every target partition affected by the input's changed partitions is rebuilt from
 *    the upstream table (so late and out-of-order data give the same result as in-order data).
 */
export class SqlOperator implements Operator {
  readonly kind = 'sql';
  readonly table: string;
  readonly sqlFile: string;
  private readonly m: MaterializeSpec;
  /** The model as it runs: rendered (vars, includes), trailing semicolon removed. */
  readonly sql: string;
  private readonly relations: Record<string, string>;

  constructor(readonly name: string, spec: SqlOperatorSpec, private readonly opts: SqlOperatorOptions) {
    this.m = spec.materialize;
    this.table = spec.materialize.table;
    this.sqlFile = resolve(opts.baseDir, spec.sql);
    this.sql = stripTrailingSemicolon(renderSql(readFileSync(this.sqlFile, 'utf8'), opts.vars, this.sqlFile, { includeDir: dirname(this.sqlFile) }));
    this.relations = spec.relations ?? {};
  }

  describe(): string {
    const m = this.m;
    const how =
      m.mode === 'upsert' ? `upsert by (${m.key?.join(', ')}) latest ${m.order_by?.join(', ')}`
      : m.mode === 'recompute' ? `recompute affected partitions (+${m.affects_days?.[0]}..+${m.affects_days?.[1]} days; reads ${m.reads_days?.[0]}..+${m.reads_days?.[1]})`
      : 'append by batch';
    return `sql ${this.sqlFile.split('/').slice(-2).join('/')} → ${this.table} (${how}${m.partition_by ? `, partition ${m.partition_by}` : ''})`;
  }

  async process(ctx: BatchContext, input: OperatorOutput): Promise<OperatorOutput> {
    if (!input.relation || input.rows === 0) return { rows: 0, partitions: [], table: this.table };
    await this.bindRelations(ctx);
    const out = relationName(this.name);
    if (this.m.mode === 'recompute') return this.recompute(ctx, input, out);
    await ctx.conn.run(`CREATE OR REPLACE TEMP VIEW input AS SELECT * FROM ${ident(input.relation)}`);
    await this.runModel(ctx, out);
    return this.m.mode === 'upsert' ? this.upsert(ctx, out) : this.append(ctx, out);
  }

  private async runModel(ctx: BatchContext, out: string): Promise<void> {
    try {
      await ctx.conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(out)} AS ${this.sql}`);
    } catch (err) {
      throw new EngineError('SQL_MODEL_FAILED', `operator ${this.name} (${this.sqlFile}): ${(err as Error).message}`, {
        operator: this.name, file: this.sqlFile, batch: ctx.meta.batchId,
      }, { cause: err });
    }
  }

  private async bindRelations(ctx: BatchContext): Promise<void> {
    for (const [alias, rel] of Object.entries(this.relations)) {
      let from: string | undefined;
      if (rel.endsWith('.csv')) {
        from = seedCsvSql(resolve(this.opts.baseDir, rel));
      } else {
        from = ctx.warehouse.readSql(await ctx.warehouse.files(rel), await ctx.warehouse.isPartitioned(rel));
        if (!from) throw new EngineError('RELATION_EMPTY', `operator ${this.name}: relation ${alias} = ${rel} has no data yet`, { operator: this.name, relation: rel });
      }
      await ctx.conn.run(`CREATE OR REPLACE TEMP VIEW ${ident(alias)} AS SELECT * FROM ${from}`);
    }
  }

  private async append(ctx: BatchContext, out: string): Promise<OperatorOutput> {
    const rows = await count(ctx.conn, out);
    if (!rows) return { relation: out, rows: 0, partitions: [], table: this.table };
    // Rows that carry the Bronze batch they came from are filed under that batch's name, so a replay
    // (backfill --skip-bronze) rewrites the original files instead of adding copies; the Spark
    // engine names append files the same way.
    const partitions = await appendByBatch(ctx.conn, ctx.warehouse, out, this.table, this.m.partition_by, ctx.meta.batchId);
    return { relation: out, rows, partitions, table: this.table };
  }

  private async upsert(ctx: BatchContext, out: string): Promise<OperatorOutput> {
    const { conn, warehouse } = ctx;
    const key = this.m.key!.map(ident).join(', ');
    const order = this.m.order_by!.map((c) => `${ident(c)} DESC NULLS LAST`).join(', ');
    const latest = (from: string): string =>
      `SELECT * EXCLUDE (_rn) FROM (SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY ${order}) AS _rn FROM ${from}) WHERE _rn = 1`;
    // Duplicates inside the batch: keep the winner only. Looked for first, because the window (a
    // sort of the whole batch) costs several times the check and most batches have none. The check
    // counts distinct 64-bit hashes of the key (one integer column, ~40 % cheaper than grouping by
    // the key's columns): a hash collision only runs the window for nothing, it cannot hide a duplicate.
    const check = await conn.runAndReadAll(`SELECT count(*), count(DISTINCT hash(${key})) FROM ${ident(out)}`);
    const [total, distinct] = check.getRowsJS()[0]!.map(Number) as [number, number];
    let rows = total;
    if (distinct < total) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(out)} AS ${latest(ident(out))}`);
      rows = await count(conn, out);
    }
    if (!rows) return { relation: out, rows: 0, partitions: [], table: this.table };
    const part = this.m.partition_by;
    const partitions = part ? await distinctDates(conn, out, part) : [];
    const existing = (await warehouse.files(this.table, part ? { column: part, values: partitions } : undefined)).filter((f) => f.endsWith(`/${DATA_FILE}`));
    // Only partitions that already hold rows are merged; the batch's rows for new partitions are
    // written as they are (a batch of a new day, or a month file read in order, merges little).
    const held = part ? partitionValues(existing, part) : [];
    const inHeld = !part ? 'TRUE' : held.length ? `COALESCE(CAST(${ident(part)} AS VARCHAR) IN (${held.map(lit).join(', ')}), FALSE)` : 'FALSE';
    if (existing.length) {
      const existingSql = warehouse.readSql(existing, Boolean(part))!;
      const incoming = `(SELECT * FROM ${ident(out)} WHERE ${inHeld})`;
      // Usually no incoming row is older than a stored one (new data, or a re-run of the same data):
      // then the merge is the incoming rows plus the stored rows whose key is not among them — a
      // hash anti join instead of ranking the union. Late or replayed older data ranks the union.
      // (An exact tie on order_by is either row in the ranking; here the incoming one.)
      const cols = this.m.order_by!.map(ident);
      const tuple = `{${cols.map((c, i) => `'k${i}': ${c}`).join(', ')}}`;
      const newer = await conn.runAndReadAll(
        `SELECT (SELECT count(*) > 0 AND ${cols.map((c) => `count(${c}) = count(*)`).join(' AND ')} AND min(${tuple}) >= (SELECT max(${tuple}) FROM ${existingSql}) FROM ${incoming})`,
      );
      const sql = newer.getRowsJS()[0]![0] === true
        ? `${incoming} UNION ALL BY NAME (SELECT * FROM ${existingSql} ANTI JOIN (SELECT ${key} FROM ${incoming}) USING (${key}))`
        : latest(`(${incoming} UNION ALL BY NAME SELECT * FROM ${existingSql})`);
      // Written straight from the query: the merged rows are never materialised in memory first.
      await warehouse.write(conn, `(${sql})`, this.table, { partitionBy: part, fileName: DATA_FILE });
    }
    if (!existing.length || (part && held.length < partitions.length)) {
      const fresh = existing.length ? `(SELECT * FROM ${ident(out)} WHERE NOT (${inHeld}))` : ident(out);
      await warehouse.write(conn, fresh, this.table, { partitionBy: part, fileName: DATA_FILE });
    }
    return { relation: out, rows, partitions, table: this.table };
  }

  private async recompute(ctx: BatchContext, input: OperatorOutput, out: string): Promise<OperatorOutput> {
    const { conn, warehouse } = ctx;
    const m = this.m;
    const upstream = this.opts.upstreamTable;
    const upCol = m.upstream_partition ?? this.opts.upstreamPartition ?? m.partition_by!;
    if (!upstream) throw new EngineError('RECOMPUTE_NO_UPSTREAM', `operator ${this.name}: recompute needs an upstream table`, { operator: this.name });
    const changed = input.partitions.length ? input.partitions : await distinctDates(conn, input.relation!, upCol);
    const targets = expandDates(changed, m.affects_days ?? [0, 0]);
    const reads = expandDates(targets, m.reads_days ?? [0, 0]);
    const files = await warehouse.files(upstream, { column: upCol, values: reads });
    const from = warehouse.readSql(files, true);
    if (!from) return { rows: 0, partitions: [], table: this.table };
    await conn.run(`CREATE OR REPLACE TEMP VIEW input AS SELECT * FROM ${from}`);
    await this.runModel(ctx, out);
    const part = ident(m.partition_by!);
    await conn.run(
      `DELETE FROM ${ident(out)} WHERE ${part} IS NULL OR CAST(${part} AS VARCHAR) NOT IN (${targets.map(lit).join(', ')})`,
    );
    const rows = await count(conn, out);
    const partitions = rows ? await warehouse.write(conn, ident(out), this.table, { partitionBy: m.partition_by, fileName: DATA_FILE }) : [];
    return { relation: out, rows, partitions, table: this.table };
  }
}

function stripTrailingSemicolon(sql: string): string {
  return sql.replace(/;\s*$/, '');
}

async function count(conn: DuckDBConnection, rel: string): Promise<number> {
  const r = await conn.runAndReadAll(`SELECT count(*) FROM ${ident(rel)}`);
  return Number(r.getRowsJS()[0]![0]);
}

/** The partition values (`<column>=<value>/`) of a table's files. */
function partitionValues(files: readonly string[], column: string): string[] {
  const re = new RegExp(`/${column}=([^/]+)/[^/]+$`);
  return [...new Set(files.flatMap((f) => {
    const m = re.exec(f);
    return m ? [decodeURIComponent(m[1]!)] : [];
  }))].sort();
}

async function distinctDates(conn: DuckDBConnection, rel: string, col: string): Promise<string[]> {
  const r = await conn.runAndReadAll(`SELECT DISTINCT CAST(${ident(col)} AS VARCHAR) FROM ${ident(rel)} WHERE ${ident(col)} IS NOT NULL ORDER BY 1`);
  return r.getRowsJS().map((row) => String(row[0]));
}
