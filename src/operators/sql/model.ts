import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderSql } from '../../duckdb/sql-template.ts';

/** A model as it runs, in-process and (translated) on Spark: rendered (vars, includes), trailing semicolon removed. */
export function renderModel(sqlPath: string, baseDir: string, vars: Readonly<Record<string, string | number>>): { file: string; sql: string } {
  const file = resolve(baseDir, sqlPath);
  const sql = renderSql(readFileSync(file, 'utf8'), vars, file, { includeDir: dirname(file) }).replace(/;\s*$/, '');
  return { file, sql };
}
