/**
 * SQL model templating: the one substitution our model files use.
 *
 * Model files (sql/<topology>/<layer>.<table>.sql) are plain SQL with dbt-style
 * variable references `{{ var('name') }}`. `renderSql` replaces each with a SQL
 * literal: strings become single-quoted literals (quotes doubled), numbers are
 * written raw. Anything else between `{{ }}` is rejected, so a model never runs
 * with template text left in it.
 */
import { readFile } from 'node:fs/promises';
import { EngineError } from '../errors.ts';

export type SqlVars = Record<string, string | number>;

/** `{{ var('name') }}` / `{{ var("name") }}`, whitespace-tolerant. */
const VAR_RE = /\{\{\s*var\(\s*(['"])([A-Za-z_][A-Za-z0-9_]*)\1\s*\)\s*\}\}/g;
const ANY_TEMPLATE_RE = /\{\{[\s\S]*?\}\}|\{\{|\}\}/;

/** Quote a value as a SQL literal: strings single-quoted with `'` doubled, numbers raw. */
export function sqlLiteral(value: string | number, name = '?'): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new EngineError('SQL_TEMPLATE_BAD_VALUE', `SQL var '${name}' must be a finite number, got ${value}`, { name });
    }
    return String(value);
  }
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  throw new EngineError('SQL_TEMPLATE_BAD_VALUE', `SQL var '${name}' must be a string or a number`, { name, type: typeof value });
}

/** Names of the vars a template references, in first-use order, without duplicates. */
export function templateVars(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(VAR_RE)) {
    const name = m[2] as string;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * Substitute `{{ var('name') }}` references.
 * Throws EngineError SQL_TEMPLATE_UNKNOWN_VAR for a var missing from `vars`,
 * and SQL_TEMPLATE_SYNTAX for any other `{{ … }}` left in the text.
 */
export function renderSql(text: string, vars: SqlVars, source = '<sql>'): string {
  const rendered = text.replace(VAR_RE, (_m, _q: string, name: string, offset: number) => {
    if (!Object.prototype.hasOwnProperty.call(vars, name)) {
      const line = text.slice(0, offset).split('\n').length;
      const known = Object.keys(vars);
      throw new EngineError(
        'SQL_TEMPLATE_UNKNOWN_VAR',
        `${source}:${line}: unknown SQL var '${name}' (known: ${known.length > 0 ? known.join(', ') : 'none'})`,
        { source, line, name, known },
      );
    }
    return sqlLiteral(vars[name] as string | number, name);
  });
  const leftover = ANY_TEMPLATE_RE.exec(rendered);
  if (leftover) {
    // Locate it in the original text for the message (best effort).
    const idx = text.indexOf(leftover[0]);
    const line = idx >= 0 ? text.slice(0, idx).split('\n').length : 0;
    throw new EngineError(
      'SQL_TEMPLATE_SYNTAX',
      `${source}:${line}: unsupported template expression ${JSON.stringify(leftover[0])} (only {{ var('name') }} is supported)`,
      { source, line, expression: leftover[0] },
    );
  }
  return rendered;
}

/** Read a model file and render it. */
export async function loadSqlModel(file: string | URL, vars: SqlVars = {}): Promise<string> {
  const text = await readFile(file, 'utf8');
  return renderSql(text, vars, String(file instanceof URL ? file.pathname : file));
}
