/**
 * DuckDB-dialect model SQL → Spark SQL (Spark 4, ANSI mode, session time zone UTC).
 *
 * The SQL models in `sql/` are written once, in DuckDB's dialect, and run unchanged in-process.
 * For a backfill escalated to Spark, each model goes through this translation instead of being
 * written a second time: the two engines run the same definitions (DESIGN.md, principle 1).
 *
 * The translation is deliberately narrow. It tokenizes the statement and rewrites what it knows;
 * anything DuckDB-specific it does not know — an unlisted function, `::`, `SELECT * EXCLUDE`,
 * `UNION BY NAME`, `QUALIFY`, a type Spark lacks — is a TranslateError naming the file, line and
 * column, never a guess. Rewrites (each one tested in test/spark-translate.test.ts):
 *
 *   DuckDB                                   Spark
 *   'it''s', 'a\b'                           'it\'s', 'a\\b'  (Spark strings take backslash escapes)
 *   "Quoted Ident"                           `Quoted Ident`
 *   CAST(x AS VARCHAR|TEXT)                  CAST(x AS STRING)
 *   CAST(x AS TIMESTAMP)                     CAST(x AS TIMESTAMP_NTZ)     (naive, as in DuckDB)
 *   CAST(x AS INTEGER|BIGINT|…)              rounds like DuckDB: half-even from DOUBLE/FLOAT,
 *                                            half away from zero otherwise (Spark truncates)
 *   AVG(x)                                   AVG(CAST(x AS DOUBLE))       (DuckDB's AVG(DECIMAL) is a DOUBLE)
 *   CONCAT(a, b, …)                          concat_ws('', CAST(a AS STRING), …)   (DuckDB skips NULLs)
 *   epoch(ts)                                (unix_micros(CAST(ts AS TIMESTAMP_LTZ)) / 1e6)  (seconds, DOUBLE)
 *   timezone(tz, ts AT TIME ZONE 'UTC')      from_utc_timestamp(ts, tz)   (naive UTC → local wall clock)
 *   json_valid(s)                            CASE WHEN s IS NULL THEN NULL ELSE try_parse_json(s) IS NOT NULL END
 *   json_extract_string(s, '$.path')         get_json_object(s, '$.path')
 *   regexp_extract(s, p)                     regexp_extract(s, p, 0)      (Spark's default group is 1)
 *   regexp_matches(s, p)                     regexp_like(s, p)
 *   starts_with(s, p)                        startswith(s, p)
 *
 * Known residual differences (values, not syntax; none affects the shipped Gold tables):
 *   - CAST(double AS DECIMAL(p, s)) of a double lying exactly on a half unit of the scale after
 *     its shortest decimal spelling (e.g. 1.005 → 1.00 in DuckDB, 1.01 in Spark). TLC amounts
 *     have two decimals, so Silver's DECIMAL(18,2) money columns are exact in both.
 *   - CAST(double AS STRING) spells specials and exponents differently ('nan'/'NaN', '1e+20'/'1.0E20').
 *   - Division by zero: DuckDB gives ±Infinity, Spark (ANSI) fails the job — loudly. Models guard
 *     divisors with NULLIF(…, 0).
 */
import { StrataError } from '../core/errors.ts';

export class TranslateError extends StrataError {
  constructor(message: string, details: Record<string, unknown>) {
    super('SPARK_TRANSLATE', message, details);
  }
}

type Kind = 'ws' | 'comment' | 'str' | 'qident' | 'ident' | 'num' | 'op' | '(' | ')' | ',' | ';';

interface Tok {
  kind: Kind;
  text: string;
  pos: number;
  /** str: the literal's value; qident: the identifier; ident: upper-cased. */
  value: string;
}

export interface TranslateOptions {
  /** For messages: the model file. */
  source?: string;
}

/** Translate one DuckDB-dialect statement (or CTE fragment) to Spark SQL. Throws TranslateError. */
export function translateToSpark(sql: string, opts: TranslateOptions = {}): string {
  const t = new Translator(sql, tokenize(sql, opts.source ?? '<sql>'), opts.source ?? '<sql>');
  return t.run();
}

/** A top-level CTE of a model, translated on its own; `refs`: how often later parts name it. */
export interface SparkCte {
  name: string;
  sql: string;
  refs: number;
}

export interface SparkModel {
  /** The whole statement, translated. */
  sql: string;
  /**
   * The same statement split at its top-level WITH: each CTE as its own query, in order, then the
   * final SELECT over them. DuckDB materializes a CTE that is read several times; Spark inlines it
   * and recomputes it at every reference, so the job runs the CTEs as (cached) temp views instead.
   * Empty when the statement has no plain top-level WITH.
   */
  ctes: SparkCte[];
  body: string;
}

/** Translate a model and split it at its top-level WITH (see SparkModel). Throws TranslateError. */
export function translateModel(sql: string, opts: TranslateOptions = {}): SparkModel {
  const t = new Translator(sql, tokenize(sql, opts.source ?? '<sql>'), opts.source ?? '<sql>');
  const full = t.run();
  const split = t.splitWith();
  return split ? { sql: full, ...split } : { sql: full, ctes: [], body: full };
}

// ------------------------------------------------------------------------------- tokenizer

const OPS = ['->>', '::', '->', '||', '<>', '!=', '<=', '>=', '==', '//', '**', '<<', '>>', '!~~', '~~', '^@'];

function tokenize(sql: string, source: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const fail = (why: string, at: number): never => {
    throw new TranslateError(`${where(sql, source, at)}: ${why}`, { source, ...lineCol(sql, at) });
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) {
      while (i < sql.length && /\s/.test(sql[i]!)) i++;
      out.push({ kind: 'ws', text: sql.slice(start, i), pos: start, value: '' });
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      out.push({ kind: 'comment', text: sql.slice(start, i), pos: start, value: '' });
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated /* comment', start);
      i = end + 2;
      out.push({ kind: 'comment', text: sql.slice(start, i), pos: start, value: '' });
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= sql.length) fail('unterminated string literal', start);
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += sql[i];
        i++;
      }
      out.push({ kind: 'str', text: sql.slice(start, i), pos: start, value });
    } else if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= sql.length) fail('unterminated quoted identifier', start);
        if (sql[i] === '"') {
          if (sql[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += sql[i];
        i++;
      }
      out.push({ kind: 'qident', text: sql.slice(start, i), pos: start, value });
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < sql.length && /[A-Za-z0-9_$]/.test(sql[i]!)) i++;
      const text = sql.slice(start, i);
      out.push({ kind: 'ident', text, pos: start, value: text.toUpperCase() });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < sql.length && /[0-9_]/.test(sql[i]!)) i++;
      if (sql[i] === '.') {
        i++;
        while (i < sql.length && /[0-9_]/.test(sql[i]!)) i++;
      }
      if (/[eE]/.test(sql[i] ?? '') && /[-+0-9]/.test(sql[i + 1] ?? '')) {
        i += 2;
        while (i < sql.length && /[0-9]/.test(sql[i]!)) i++;
      }
      const text = sql.slice(start, i);
      if (text.includes('_')) fail(`numeric literal ${text} with '_' separators is DuckDB-only`, start);
      if (/[A-Za-z_]/.test(sql[i] ?? '')) fail(`unexpected character after number ${text}`, i);
      out.push({ kind: 'num', text, pos: start, value: text });
    } else if (c === '(' || c === ')' || c === ',' || c === ';') {
      i++;
      out.push({ kind: c, text: c, pos: start, value: c });
    } else {
      const op = OPS.find((o) => sql.startsWith(o, i));
      if (op) i += op.length;
      else if ('+-*/%<>=.|&~!?$@#^[]{}:'.includes(c)) i++;
      else fail(`unexpected character ${JSON.stringify(c)}`, start);
      const text = sql.slice(start, i);
      out.push({ kind: 'op', text, pos: start, value: text });
    }
  }
  return out;
}

function lineCol(sql: string, pos: number): { line: number; col: number } {
  const before = sql.slice(0, pos).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

function where(sql: string, source: string, pos: number): string {
  const { line, col } = lineCol(sql, pos);
  return `${source}:${line}:${col}`;
}

// ------------------------------------------------------------------------------- translator

/** Keywords that may be followed by '(' without being a function call. */
const PAREN_KEYWORDS = new Set([
  'AS', 'IN', 'OVER', 'FROM', 'JOIN', 'ON', 'AND', 'OR', 'NOT', 'EXISTS', 'USING', 'VALUES', 'WHEN', 'THEN', 'ELSE',
  'SELECT', 'WHERE', 'BY', 'WITH', 'ALL', 'ANY', 'SOME', 'DISTINCT', 'CASE', 'END', 'RECURSIVE', 'LATERAL', 'UNION',
  'EXCEPT', 'INTERSECT', 'HAVING', 'LIMIT', 'WINDOW', 'FILTER', 'ROWS', 'RANGE', 'IS', 'LIKE', 'ILIKE', 'BETWEEN',
  'INTERVAL', 'ORDER', 'GROUP', 'PARTITION', 'SET', 'TABLE', 'LEFT', 'RIGHT', 'FULL', 'INNER', 'OUTER', 'CROSS',
  'ASC', 'DESC', 'NULLS', 'FIRST', 'LAST', 'OFFSET', 'RLIKE',
]);

/** DuckDB syntax with no Spark equivalent here: refused by name. */
const REFUSED_KEYWORDS: Record<string, string> = {
  QUALIFY: 'QUALIFY is DuckDB-only: filter the window result in an outer SELECT',
  PIVOT: 'PIVOT is not translated: write the CASE aggregates out',
  UNPIVOT: 'UNPIVOT is not translated: write a UNION ALL',
  ASOF: 'ASOF joins are DuckDB-only',
  POSITIONAL: 'POSITIONAL joins are DuckDB-only',
  SAMPLE: 'USING SAMPLE is DuckDB-only',
  GLOB: 'GLOB is DuckDB-only: use LIKE or regexp_like',
  SIMILAR: 'SIMILAR TO is not translated: use regexp_like',
  COLUMNS: 'COLUMNS(…) is DuckDB-only',
  TIMESTAMPTZ: 'TIMESTAMPTZ values are not translated: the models keep naive UTC TIMESTAMPs',
};

/** Operators whose meaning differs or that Spark lacks. */
const REFUSED_OPS: Record<string, string> = {
  '::': "the '::' cast shorthand is DuckDB-only: write CAST(x AS type)",
  '//': "integer division '//' is DuckDB-only: write CAST(FLOOR(a / b) AS BIGINT)",
  '**': "'**' is DuckDB-only: write power(a, b)",
  '^': "'^' is power in DuckDB but XOR in Spark: write power(a, b)",
  '->': 'JSON arrows and lambdas are DuckDB-only: use json_extract_string',
  '->>': 'JSON arrows are DuckDB-only: use json_extract_string',
  '<<': 'bit shifts are not translated',
  '>>': 'bit shifts are not translated',
  '~~': 'the ~~ LIKE operator is DuckDB-only: write LIKE',
  '!~~': 'the !~~ operator is DuckDB-only: write NOT LIKE',
  '^@': 'the ^@ operator is DuckDB-only: write starts_with',
  '?': 'prepared-statement parameters are not supported in models',
  $: 'prepared-statement parameters are not supported in models',
  '[': 'list/array indexing and literals are DuckDB-specific',
  ']': 'list/array indexing and literals are DuckDB-specific',
  '{': 'struct literals are DuckDB-only',
  '}': 'struct literals are DuckDB-only',
  '@': "'@' (abs) is DuckDB-only: write abs(x)",
  '~': "'~' is not translated",
  '#': "'#' is not translated",
  '&': 'bitwise operators are not translated',
  '|': 'bitwise operators are not translated',
  ':': "':' is not valid here",
};

/** Functions with the same name, arguments and meaning in both engines (as the models use them). */
const SAME_FUNCTIONS = new Set([
  'abs', 'ceil', 'ceiling', 'floor', 'round', 'sign', 'sqrt', 'exp', 'ln', 'power', 'pow',
  'coalesce', 'nullif', 'greatest', 'least', 'if', 'ifnull',
  'lower', 'upper', 'trim', 'ltrim', 'rtrim', 'length', 'substr', 'substring', 'replace', 'md5',
  'count', 'sum', 'min', 'max', 'stddev_samp', 'stddev_pop', 'var_samp', 'var_pop', 'bool_and', 'bool_or',
  'row_number', 'rank', 'dense_rank', 'lead', 'lag', 'first_value', 'last_value',
  'year', 'month', 'day', 'hour', 'minute',
]);

/** Functions whose value is an integer whatever their (numeric) argument: a cast to an integer type needs no rounding. */
const INTEGRAL_FUNCTIONS = new Set(['floor', 'ceil', 'ceiling', 'count', 'row_number', 'rank', 'dense_rank', 'year', 'month', 'day', 'hour', 'minute', 'extract', 'bround']);

const INTEGER_TYPES: Record<string, string> = {
  TINYINT: 'TINYINT', INT1: 'TINYINT', SMALLINT: 'SMALLINT', INT2: 'SMALLINT', SHORT: 'SMALLINT',
  INTEGER: 'INT', INT: 'INT', INT4: 'INT', SIGNED: 'INT', BIGINT: 'BIGINT', INT8: 'BIGINT', LONG: 'BIGINT',
};
const SIMPLE_TYPES: Record<string, string> = {
  VARCHAR: 'STRING', TEXT: 'STRING', STRING: 'STRING', BPCHAR: 'STRING',
  DOUBLE: 'DOUBLE', FLOAT8: 'DOUBLE', 'DOUBLE PRECISION': 'DOUBLE',
  REAL: 'FLOAT', FLOAT: 'FLOAT', FLOAT4: 'FLOAT',
  BOOLEAN: 'BOOLEAN', BOOL: 'BOOLEAN', LOGICAL: 'BOOLEAN',
  DATE: 'DATE', TIMESTAMP: 'TIMESTAMP_NTZ', DATETIME: 'TIMESTAMP_NTZ', 'TIMESTAMP WITHOUT TIME ZONE': 'TIMESTAMP_NTZ',
  BLOB: 'BINARY', BYTEA: 'BINARY', VARBINARY: 'BINARY',
};

const EXTRACT_FIELDS = new Set(['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE']);

class Translator {
  constructor(private readonly sql: string, private readonly toks: Tok[], private readonly source: string) {}

  run(): string {
    const end = this.toks.length;
    const out = this.seq(0, end);
    return out.replace(/[ \t]+$/gm, '');
  }

  /** The top-level `WITH a AS (…), b AS (…) SELECT …`, each part translated; undefined if not that shape. */
  splitWith(): { ctes: SparkCte[]; body: string } | undefined {
    const end = this.toks.length;
    let i = this.next(0, end);
    if (this.toks[i]?.value !== 'WITH') return undefined;
    const parts: { name: string; s: number; e: number }[] = [];
    i = this.next(i + 1, end);
    for (;;) {
      const name = this.toks[i];
      const as = this.next(i + 1, end);
      const open = this.next(as + 1, end);
      if (name?.kind !== 'ident' || this.toks[as]?.value !== 'AS' || this.toks[open]?.kind !== '(') return undefined; // RECURSIVE, column lists, MATERIALIZED …
      const close = this.close(open, end);
      parts.push({ name: name.text, s: open + 1, e: close });
      const n = this.next(close + 1, end);
      if (this.toks[n]?.kind !== ',') {
        i = n;
        break;
      }
      i = this.next(n + 1, end);
    }
    const bodyStart = i;
    const upper = parts.map((p) => p.name.toUpperCase());
    const refs = (s: number, e: number, name: string): number =>
      // a table reference: the name, not a qualifier (`a.x`) nor a qualified column (`t.a`)
      this.toks.slice(s, e).filter((t, k) => t.kind === 'ident' && t.value === name && this.prev(s + k, s)?.text !== '.' && this.toks[this.next(s + k + 1, e)]?.text !== '.').length;
    const ctes = parts.map((p, k) => ({
      name: p.name,
      sql: this.seq(p.s, p.e).replace(/[ \t]+$/gm, ''),
      refs: parts.slice(k + 1).reduce((n, q) => n + refs(q.s, q.e, upper[k]!), 0) + refs(bodyStart, end, upper[k]!),
    }));
    return { ctes, body: this.seq(bodyStart, end).replace(/[ \t]+$/gm, '') };
  }

  private fail(why: string, tok: Tok | undefined): never {
    const pos = tok?.pos ?? this.sql.length;
    throw new TranslateError(`${where(this.sql, this.source, pos)}: ${why}`, { source: this.source, ...lineCol(this.sql, pos) });
  }

  /** Index of the next significant token at or after i (skipping whitespace and comments), or end. */
  private next(i: number, end: number): number {
    while (i < end && (this.toks[i]!.kind === 'ws' || this.toks[i]!.kind === 'comment')) i++;
    return i;
  }

  private prev(i: number, start: number): Tok | undefined {
    for (let k = i - 1; k >= start; k--) {
      const t = this.toks[k]!;
      if (t.kind !== 'ws' && t.kind !== 'comment') return t;
    }
    return undefined;
  }

  /** The index of the ')' matching the '(' at i. */
  private close(i: number, end: number): number {
    let depth = 0;
    for (let k = i; k < end; k++) {
      const t = this.toks[k]!;
      if (t.kind === '(') depth++;
      else if (t.kind === ')') {
        depth--;
        if (depth === 0) return k;
      }
    }
    return this.fail("unbalanced '('", this.toks[i]);
  }

  /** Top-level comma-separated ranges inside (open, close). */
  private args(open: number, close: number): [number, number][] {
    const out: [number, number][] = [];
    let depth = 0;
    let s = open + 1;
    for (let k = open + 1; k < close; k++) {
      const t = this.toks[k]!;
      if (t.kind === '(') depth++;
      else if (t.kind === ')') depth--;
      else if (t.kind === ',' && depth === 0) {
        out.push([s, k]);
        s = k + 1;
      }
    }
    if (this.next(open + 1, close) < close || out.length) out.push([s, close]);
    return out;
  }

  /** Significant tokens of [s, e). */
  private sig(s: number, e: number): Tok[] {
    return this.toks.slice(s, e).filter((t) => t.kind !== 'ws' && t.kind !== 'comment');
  }

  /** Translates tokens [s, e). */
  private seq(s: number, e: number): string {
    let out = '';
    for (let i = s; i < e; i++) {
      const t = this.toks[i]!;
      switch (t.kind) {
        case 'ws':
          out += t.text;
          break;
        case 'comment':
          out += t.text.includes('\n') ? '\n'.repeat(t.text.split('\n').length - 1) : ' ';
          break;
        case 'str':
          out += sparkString(t.value);
          break;
        case 'qident':
          out += `\`${t.value.replaceAll('`', '``')}\``;
          break;
        case 'num':
        case ',':
        case ';':
        case ')':
          out += t.text;
          break;
        case 'op': {
          const why = REFUSED_OPS[t.text];
          if (why) this.fail(why, t);
          if (t.text === '*') {
            const n = this.next(i + 1, e);
            const nt = this.toks[n];
            if (nt?.kind === 'ident' && ['EXCLUDE', 'REPLACE', 'RENAME'].includes(nt.value)) this.fail(`SELECT * ${nt.value} (…) is DuckDB-only: list the columns`, nt);
          }
          out += t.text;
          break;
        }
        case '(': {
          const c = this.close(i, e);
          out += `(${this.seq(i + 1, c)})`;
          i = c;
          break;
        }
        case 'ident': {
          const refused = REFUSED_KEYWORDS[t.value];
          if (refused) this.fail(refused, t);
          this.checkClauses(i, e, t);
          const n = this.next(i + 1, e);
          if (this.toks[n]?.kind === 'str' && n === i + 1) {
            if (t.value === 'E') this.fail("E'…' escape strings are DuckDB-only", t);
            if (!['DATE', 'TIMESTAMP', 'INTERVAL'].includes(t.value)) this.fail(`${t.text}'…' typed literal is not translated`, t);
          }
          if (t.value === 'TIMESTAMP' && this.toks[n]?.kind === 'str') {
            out += `TIMESTAMP_NTZ `;
            break;
          }
          if (this.toks[n]?.kind === '(' && !this.isKeywordBeforeParen(i, s, t)) {
            const c = this.close(n, e);
            out += this.call(t, n, c);
            i = c;
            break;
          }
          out += t.text;
          break;
        }
      }
    }
    return out;
  }

  /** Clause-level DuckDB-only syntax around a keyword. */
  private checkClauses(i: number, e: number, t: Tok): void {
    const n1 = this.toks[this.next(i + 1, e)];
    const n2 = n1 ? this.toks[this.next(this.toks.indexOf(n1) + 1, e)] : undefined;
    if ((t.value === 'GROUP' || t.value === 'ORDER') && n1?.value === 'BY' && n2?.value === 'ALL') this.fail(`${t.value} BY ALL is not translated: list the columns`, t);
    if (t.value === 'BY' && n1?.value === 'NAME') this.fail('UNION BY NAME is DuckDB-only: list the columns in the same order', t);
    if (t.value === 'AT' && n1?.value === 'TIME') this.fail("AT TIME ZONE is only translated inside timezone(tz, ts AT TIME ZONE 'UTC')", t);
    if (t.value === 'FROM' && this.prev(i, 0) === undefined) this.fail('FROM-first SELECT is DuckDB-only', t);
  }

  private isKeywordBeforeParen(i: number, s: number, t: Tok): boolean {
    if (PAREN_KEYWORDS.has(t.value)) return true;
    // `AS t(a, b)`: a column alias list.
    const p = this.prev(i, s);
    return p?.kind === 'ident' && p.value === 'AS';
  }

  /** A function call: name at `nameTok`, '(' at open, ')' at close. */
  private call(nameTok: Tok, open: number, close: number): string {
    const name = nameTok.text.toLowerCase();
    const args = this.args(open, close);
    const arg = (k: number): string => this.seq(args[k]![0], args[k]![1]).trim();
    const all = (): string => args.map((_a, k) => arg(k)).join(', ');
    const firstSig = this.toks[this.next(open + 1, close)];
    if (firstSig?.kind === 'ident' && firstSig.value === 'DISTINCT' && name !== 'count') this.fail(`${name}(DISTINCT …) is not translated`, firstSig);
    const arity = (n: number | number[]): void => {
      const ok = Array.isArray(n) ? n.includes(args.length) : args.length === n;
      if (!ok) this.fail(`${name}() with ${args.length} argument(s) is not translated`, nameTok);
    };
    switch (name) {
      case 'cast':
      case 'try_cast':
        return this.cast(name, nameTok, open, close);
      case 'extract': {
        const [field, from] = this.sig(open + 1, close);
        if (field?.kind !== 'ident' || !EXTRACT_FIELDS.has(field.value) || from?.value !== 'FROM') {
          this.fail(`EXTRACT(${field?.text ?? ''} …) is not translated (fields: ${[...EXTRACT_FIELDS].join(', ')})`, field ?? nameTok);
        }
        const fromIdx = this.toks.indexOf(from);
        return `EXTRACT(${field.value} FROM ${this.seq(fromIdx + 1, close).trim()})`;
      }
      case 'avg':
        arity(1);
        return `AVG(CAST(${arg(0)} AS DOUBLE))`;
      case 'concat':
        if (!args.length) this.fail('concat() needs arguments', nameTok);
        return `concat_ws('', ${args.map((_a, k) => `CAST(${arg(k)} AS STRING)`).join(', ')})`;
      case 'epoch':
        arity(1);
        return `(unix_micros(CAST(${arg(0)} AS TIMESTAMP_LTZ)) / 1e6)`;
      case 'json_valid':
        arity(1);
        return `(CASE WHEN (${arg(0)}) IS NULL THEN NULL ELSE try_parse_json(${arg(0)}) IS NOT NULL END)`;
      case 'json_extract_string': {
        arity(2);
        const p = this.sig(args[1]![0], args[1]![1])[0];
        if (p?.kind !== 'str' || !/^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*\.?$/.test(p.value)) {
          this.fail("json_extract_string: the path must be (or start with) a '$.key' / '$[n]' literal", p ?? nameTok);
        }
        return `get_json_object(${arg(0)}, ${arg(1)})`;
      }
      case 'timezone':
        return this.timezone(nameTok, args);
      case 'regexp_extract': {
        arity([2, 3]);
        if (args.length === 3) {
          const g = this.sig(args[2]![0], args[2]![1]);
          if (g.length !== 1 || g[0]!.kind !== 'num' || !/^\d+$/.test(g[0]!.text)) this.fail('regexp_extract: the group must be an integer literal', g[0] ?? nameTok);
          return `regexp_extract(${all()})`;
        }
        return `regexp_extract(${all()}, 0)`;
      }
      case 'regexp_matches':
        arity(2);
        return `regexp_like(${all()})`;
      case 'starts_with':
        arity(2);
        return `startswith(${all()})`;
      default:
        if (SAME_FUNCTIONS.has(name)) return `${nameTok.text}(${args.length ? this.seq(open + 1, close) : ''})`;
        return this.fail(`function ${nameTok.text}() is not known to the Spark translation (add it to src/spark/translate.ts with a test, or rewrite the model)`, nameTok);
    }
  }

  private cast(name: string, nameTok: Tok, open: number, close: number): string {
    // CAST(expr AS type): the last top-level AS splits them.
    let depth = 0;
    let asIdx = -1;
    for (let k = open + 1; k < close; k++) {
      const t = this.toks[k]!;
      if (t.kind === '(') depth++;
      else if (t.kind === ')') depth--;
      else if (depth === 0 && t.kind === 'ident' && t.value === 'AS') asIdx = k;
    }
    if (asIdx < 0) this.fail(`${name.toUpperCase()} without AS`, nameTok);
    const expr = this.seq(open + 1, asIdx).trim();
    const typeToks = this.sig(asIdx + 1, close);
    const type = this.sparkType(typeToks, nameTok);
    const fn = name === 'try_cast' ? 'try_cast' : 'CAST';
    const intType = INTEGER_TYPES[typeToks.map((t) => t.value).join(' ')];
    if (intType && !this.obviouslyIntegral(open + 1, asIdx)) {
      // DuckDB rounds when it casts to an integer (half to even from DOUBLE/FLOAT, half away from
      // zero from DECIMAL and text); Spark truncates. Round first, the way DuckDB would.
      return `${fn}(CASE WHEN typeof(${expr}) IN ('double', 'float') THEN bround(${expr}) ELSE round(${expr}) END AS ${type})`;
    }
    return `${fn}(${expr} AS ${type})`;
  }

  private sparkType(toks: Tok[], at: Tok): string {
    const words = toks.map((t) => (t.kind === 'ident' ? t.value : t.text)).join(' ').replace(/\s*([(),])\s*/g, '$1');
    if (INTEGER_TYPES[words]) return INTEGER_TYPES[words]!;
    if (SIMPLE_TYPES[words]) return SIMPLE_TYPES[words]!;
    const varchar = /^(VARCHAR|STRING|TEXT)\(\d+\)$/.exec(words);
    if (varchar) return 'STRING';
    const dec = /^(DECIMAL|NUMERIC)(?:\((\d+)(?:,(\d+))?\))?$/.exec(words);
    if (dec) {
      const p = dec[2] ?? '18';
      const s = dec[3] ?? (dec[2] ? '0' : '3');
      return `DECIMAL(${p}, ${s})`;
    }
    return this.fail(`type ${words || '?'} is not translated (VARCHAR, DOUBLE, FLOAT, integers, DECIMAL(p,s), BOOLEAN, DATE, TIMESTAMP, BLOB are)`, toks[0] ?? at);
  }

  /** An integer literal, a cast to an integer type, or a call to a function whose value is integral. */
  private obviouslyIntegral(s: number, e: number): boolean {
    const sig = this.sig(s, e);
    if (sig.length === 1 && sig[0]!.kind === 'num' && /^\d+$/.test(sig[0]!.text)) return true;
    const first = sig[0];
    if (first?.kind !== 'ident') return false;
    const fi = this.toks.indexOf(first);
    const open = this.next(fi + 1, e);
    if (this.toks[open]?.kind !== '(') return false;
    const c = this.close(open, e);
    const rest = this.next(c + 1, e);
    const name = first.text.toLowerCase();
    if (name === 'round') {
      // ROUND(x) is integral; ROUND(x, n) is not.
      if (this.args(open, c).length !== 1) return false;
    } else if (name === 'cast' || name === 'try_cast') {
      const typeWords = this.sig(open + 1, c);
      const asAt = typeWords.map((t) => t.value).lastIndexOf('AS');
      if (!INTEGER_TYPES[typeWords.slice(asAt + 1).map((t) => t.value).join(' ')]) return false;
    } else if (!INTEGRAL_FUNCTIONS.has(name)) return false;
    if (rest >= e) return true;
    // A window function: `rank() OVER (…)`.
    const over = this.toks[rest]!;
    if (over.kind === 'ident' && over.value === 'OVER') {
      const o = this.next(rest + 1, e);
      return this.toks[o]?.kind === '(' && this.next(this.close(o, e) + 1, e) >= e;
    }
    return false;
  }

  /** timezone(tz, ts AT TIME ZONE 'UTC') — DuckDB/ICU's "naive UTC → wall clock in tz". */
  private timezone(nameTok: Tok, args: [number, number][]): string {
    if (args.length !== 2) this.fail('timezone() with other than 2 arguments is not translated', nameTok);
    const [s, e] = args[1]!;
    const sig = this.sig(s, e);
    const n = sig.length;
    const tail = sig.slice(n - 4);
    const ok = n > 4 && tail[0]!.value === 'AT' && tail[1]!.value === 'TIME' && tail[2]!.value === 'ZONE' && tail[3]!.kind === 'str' && tail[3]!.value.toUpperCase() === 'UTC';
    if (!ok) this.fail("timezone(tz, x) is only translated as timezone(tz, ts AT TIME ZONE 'UTC') (naive UTC timestamp → local wall clock)", nameTok);
    const atIdx = this.toks.indexOf(tail[0]!);
    const ts = this.seq(s, atIdx).trim();
    const tz = this.seq(args[0]![0], args[0]![1]).trim();
    return `from_utc_timestamp(${ts}, ${tz})`;
  }
}

/** A Spark SQL string literal for `value` (Spark reads backslash escapes; DuckDB does not). */
export function sparkString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
