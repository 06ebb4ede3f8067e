import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FileRef } from '../../core/component.ts';
import { EngineError } from '../../core/errors.ts';
import { isFile } from '../../core/globs.ts';
import { includedFiles, renderSql } from '../../duckdb/sql-template.ts';
import { defineOperator } from '../operator.ts';
import { SqlOperatorConfig } from './spec.ts';
import { SqlOperator } from './sql.ts';

const TABLE = /^(bronze|silver|gold)\.[a-z][a-z0-9_]*$/;

export const sqlOperator = defineOperator({
  type: 'sql',
  summary: 'Runs a SQL model (one file) over its input and materialises the result in a table.',
  description: [
    'The model reads `input` — the batch its input node produced, or, in `recompute` mode, the upstream table around the changed partitions — plus any `relations` (warehouse tables, or CSV seed files), and may use `{{ var(\'name\') }}` and `{{ include(\'file.sql\') }}`. The same rendered SQL runs in-process on DuckDB and, translated, on Spark for escalated backfills.',
    '`materialize.mode` says how the result is written: `append` (filed by batch, so a re-sent batch replaces its own rows), `upsert` (merged by `key`, the greatest `order_by` wins; duplicates inside a batch are resolved the same way) or `recompute` (each target partition affected by the input\'s changed partitions — `affects_days` — is rebuilt from the upstream partitions it reads — `reads_days` — so late and out-of-order data give the same result as in-order data).',
    'A model that fails (bad SQL, a type error) fails the batch, which is retried with back-off; nothing is committed to the source until every operator of the batch committed.',
  ].join('\n\n'),
  config: SqlOperatorConfig,
  reads: 'any',
  examples: [
    {
      title: 'Silver: hourly readings, latest per key wins',
      yaml: `silver:
  type: sql
  inputs: [bronze]
  sql: ../sql/air_quality/silver.air_quality_hourly.sql
  materialize:
    mode: upsert
    table: silver.air_quality_hourly
    partition_by: date
    key: [location_id, ts_utc, pollutant]
    order_by: [_ingested_at, _batch_id]`,
    },
    {
      title: 'Gold: rebuilt around the changed days',
      yaml: `aqi_hourly:
  type: sql
  inputs: [silver]
  sql: ../sql/air_quality/gold.aqi_hourly.sql
  relations: { us_aqi_breakpoints: ../sql/seeds/us_aqi_breakpoints.csv }
  materialize: { mode: recompute, table: gold.aqi_hourly, partition_by: date, affects_days: [0, 1], reads_days: [-1, 0] }`,
    },
  ],
  files: (s, baseDir) => {
    const refs: FileRef[] = [{ at: ['sql'], path: s.sql, what: 'SQL file', kind: 'file' }];
    for (const [alias, rel] of Object.entries(s.relations ?? {})) if (rel.endsWith('.csv')) refs.push({ at: ['relations', alias], path: rel, what: 'seed file', kind: 'file' });
    // Files the model includes: a change to one reloads the topology like a change to the model
    // (a missing one is reported by the check below, which renders the model).
    for (const f of includedFiles(resolve(baseDir, s.sql))) refs.push({ at: ['sql'], path: f, what: 'included SQL file', kind: 'watch' });
    return refs;
  },
  check(s, ctx) {
    // The model must render — its vars exist, its includes are there — so the service never starts on a model it cannot run.
    const { path: sqlPath, escapes } = ctx.resolve(s.sql);
    if (!escapes && isFile(sqlPath)) try {
      renderSql(readFileSync(sqlPath, 'utf8'), ctx.vars, sqlPath, { includeDir: dirname(sqlPath) });
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      ctx.problem(['sql'], `operators.${ctx.name}.sql: ${err.message}`);
    }
    for (const [alias, rel] of Object.entries(s.relations ?? {})) {
      if (!rel.endsWith('.csv') && !TABLE.test(rel)) {
        ctx.problem(['relations', alias], `operators.${ctx.name}.relations.${alias}: "${rel}" is neither a table (<layer>.<name>) nor a .csv file`);
      }
    }
    const m = s.materialize;
    const at = `operators.${ctx.name}.materialize`;
    if (m.mode === 'upsert' && !m.key) ctx.problem(['materialize'], `${at}: upsert needs "key"`);
    if (m.mode === 'upsert' && !m.order_by) ctx.problem(['materialize'], `${at}: upsert needs "order_by" (which row wins)`);
    if (m.mode === 'recompute') {
      if (!m.partition_by) ctx.problem(['materialize'], `${at}: recompute needs "partition_by"`);
      const input = s.inputs[0]!;
      if (ctx.sectionOf(input) === 'sources') {
        ctx.problem(['inputs', 0], `operators.${ctx.name}.inputs: recompute reads an upstream operator's table, "${input}" is a source`);
      } else {
        const up = ctx.writes(input);
        if (up && !up.partitionBy) ctx.problem(['inputs', 0], `operators.${ctx.name}.inputs: recompute needs a partitioned upstream table, ${up.table} is not partitioned`);
      }
    }
  },
  describe: (s) => `sql ${s.sql} → ${s.materialize.table} [${s.materialize.mode}]`,
  writes: (s) => ({ table: s.materialize.table, partitionBy: s.materialize.partition_by }),
  build: (name, spec, ctx) => new SqlOperator(name, spec, { baseDir: ctx.baseDir, vars: ctx.vars, upstream: ctx.upstream }),
});
