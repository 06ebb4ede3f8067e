/**
 * SQL model templating: the one substitution our model files use.
 *
 * Model files (sql/<topology>/<layer>.<table>.sql) are plain SQL with dbt-style
 * variable references `{{ var('name') }}`. `renderSql` replaces each with a SQL
 * literal: strings become single-quoted literals (quotes doubled), numbers are
 * written raw. `{{ include('file.sql') }}` inserts another file of the same folder
 * (or below it), rendered with the same vars: how two models share one definition
 * (e.g. the taxi quality rules, used by both the clean and the rejected model).
 * Anything else between `{{ }}` is rejected, so a model never runs with template
 * text left in it.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../core/errors.ts';

export type SqlVars = Record<string, string | number>;

/** `{{ var('name') }}` / `{{ var("name") }}`, whitespace-tolerant. */
const VAR_RE = /\{\{\s*var\(\s*(['"])([A-Za-z_][A-Za-z0-9_]*)\1\s*\)\s*\}\}/g;
const ANY_TEMPLATE_RE = /\{\{[\s\S]*?\}\}|\{\{|\}\}/;
/** `{{ include('file.sql') }}` / `{{ include("file.sql") }}`, whitespace-tolerant. */
const INCLUDE_RE = /\{\{\s*include\(\s*(['"])([^'"]+)\1\s*\)\s*\}\}/g;

export interface RenderOptions {
  /** Folder `include` paths are relative to (the model file's); without it, include is an error. */
  includeDir?: string;
  /** Files being included, outermost first (cycle detection). */
  including?: readonly string[];
}

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
export function renderSql(text: string, vars: SqlVars, source = '<sql>', opts: RenderOptions = {}): string {
  const withVars = text.replace(VAR_RE, (_m, _q: string, name: string, offset: number) => {
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
  // Included files are rendered on their own (errors name them); they go in after the leftover
  // check, in place of placeholders, so their text is not re-scanned as this file's.
  const included: string[] = [];
  const rendered = withVars.replace(INCLUDE_RE, (_m, _q: string, file: string) => {
    const line = text.slice(0, Math.max(0, text.indexOf(_m))).split('\n').length;
    included.push(renderInclude(file, vars, `${source}:${line}`, opts));
    return `\u0000${included.length - 1}\u0000`;
  });
  const leftover = ANY_TEMPLATE_RE.exec(rendered);
  if (leftover) {
    // Locate it in the original text for the message (best effort).
    const idx = text.indexOf(leftover[0]);
    const line = idx >= 0 ? text.slice(0, idx).split('\n').length : 0;
    throw new EngineError(
      'SQL_TEMPLATE_SYNTAX',
      `${source}:${line}: unsupported template expression ${JSON.stringify(leftover[0])} (only {{ var('name') }} and {{ include('file.sql') }} are supported)`,
      { source, line, expression: leftover[0] },
    );
  }
  return rendered.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => included[Number(i)]!);
}

/** One `include`: a file within `includeDir`, not already being included, rendered with the same vars. */
function renderInclude(file: string, vars: SqlVars, at: string, opts: RenderOptions): string {
  const fail = (why: string): never => {
    throw new EngineError('SQL_TEMPLATE_INCLUDE', `${at}: include('${file}'): ${why}`, { at, file });
  };
  if (!opts.includeDir) return fail('includes need the model file\'s folder (render the model with includeDir)');
  const abs = resolve(opts.includeDir, file);
  const rel = relative(opts.includeDir, abs);
  if (isAbsolute(file) || rel.startsWith('..') || isAbsolute(rel)) return fail(`must name a file in ${opts.includeDir} or below it`);
  const chain = opts.including ?? [];
  if (chain.includes(abs)) return fail(`include cycle ${[...chain, abs].join(' → ')}`);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    return fail(`cannot read ${abs} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return renderSql(text, vars, abs, { includeDir: dirname(abs), including: [...chain, abs] }).replace(/;\s*$/, '');
}

/**
 * The files a model includes, directly or through other includes (absolute paths, first-seen order).
 * Unreadable files and cycles are skipped here: rendering reports them. Used by live reload, so that
 * an edit of a shared file (e.g. sql/air_quality/silver_classify.sql) restarts the topologies using it.
 */
export function includedFiles(file: string, seen: Set<string> = new Set()): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const dir = dirname(file);
  for (const m of text.matchAll(INCLUDE_RE)) {
    const abs = resolve(dir, m[2] as string);
    if (seen.has(abs)) continue;
    seen.add(abs);
    includedFiles(abs, seen);
  }
  return [...seen];
}

/** Read a model file and render it. */
export async function loadSqlModel(file: string | URL, vars: SqlVars = {}): Promise<string> {
  const text = await readFile(file, 'utf8');
  const path = file instanceof URL ? fileURLToPath(file) : resolve(file);
  return renderSql(text, vars, path, { includeDir: dirname(path) });
}
