import type { CanonicalType } from './columns.ts';

/**
 * How a source column of a given DuckDB type becomes a canonical column: the SQL expression that
 * converts it, and (when a value could fail to convert) a predicate that is TRUE for such a value.
 * `undefined` when the type can never hold the target (a BOOLEAN fare, a BLOB timestamp).
 */
export interface Conversion {
  expr: string;
  /** TRUE for a non-NULL value that does not convert; absent when every value converts. */
  bad?: string;
}

const INT = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/;
const WIDE_INT = /^(HUGEINT|UBIGINT|UHUGEINT)$/;
const FRACTIONAL = /^(FLOAT|DOUBLE|REAL|DECIMAL(\(\d+,\s*\d+\))?)$/;
const TEMPORAL = /^(TIMESTAMP(_NS|_MS|_S)?|TIMESTAMP WITH TIME ZONE|DATE)$/;

export function conversion(col: string, sourceType: string, target: CanonicalType): Conversion | undefined {
  const t = sourceType.toUpperCase();
  const text = t === 'VARCHAR';
  switch (target) {
    case 'VARCHAR':
      return { expr: `CAST(${col} AS VARCHAR)` };
    case 'TIMESTAMP':
      if (TEMPORAL.test(t)) return { expr: `CAST(${col} AS TIMESTAMP)` };
      if (text) return tryCast(col, 'TIMESTAMP');
      return undefined;
    case 'DOUBLE':
      if (INT.test(t) || WIDE_INT.test(t) || FRACTIONAL.test(t)) return { expr: `CAST(${col} AS DOUBLE)` };
      if (text) return tryCast(col, 'DOUBLE');
      return undefined;
    case 'BIGINT':
      if (INT.test(t)) return { expr: `CAST(${col} AS BIGINT)` };
      if (WIDE_INT.test(t)) return tryCast(col, 'BIGINT');
      if (FRACTIONAL.test(t)) {
        // Some years' files hold counts and ids as DOUBLE (1.0): whole values convert, 1.5 is an error.
        return { expr: `TRY_CAST(${col} AS BIGINT)`, bad: `(${col} IS NOT NULL AND (${col} <> floor(${col}) OR TRY_CAST(${col} AS BIGINT) IS NULL))` };
      }
      if (text) {
        const d = `TRY_CAST(${col} AS DOUBLE)`;
        return {
          expr: `COALESCE(TRY_CAST(${col} AS BIGINT), TRY_CAST(${d} AS BIGINT))`,
          bad: `(${col} IS NOT NULL AND TRY_CAST(${col} AS BIGINT) IS NULL AND (${d} IS NULL OR ${d} <> floor(${d}) OR TRY_CAST(${d} AS BIGINT) IS NULL))`,
        };
      }
      return undefined;
  }
}

function tryCast(col: string, type: string): Conversion {
  return { expr: `TRY_CAST(${col} AS ${type})`, bad: `(${col} IS NOT NULL AND TRY_CAST(${col} AS ${type}) IS NULL)` };
}

/** Words for a target type in error messages. */
export function describeType(t: CanonicalType): string {
  return { TIMESTAMP: 'a timestamp', BIGINT: 'a whole number', DOUBLE: 'a number', VARCHAR: 'text' }[t];
}
