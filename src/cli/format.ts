export type OutputFormat = 'table' | 'json' | 'csv';

/** DATE values arrive as midnight-UTC Dates (marked by the caller); timestamps print in full. */
function dateText(v: Date, isDate = false): string {
  const iso = v.toISOString();
  return isDate ? iso.slice(0, 10) : iso.replace('T', ' ').replace(/\.000Z$|Z$/, '');
}

function cell(v: unknown, isDate = false): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return dateText(v, isDate);
  if (typeof v === 'object') return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

function jsonValue(v: unknown, isDate = false): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return dateText(v, isDate);
  return v;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Renders query results for a terminal (aligned table), a program (JSON rows) or a spreadsheet (CSV). */
export function formatResult(columns: string[], rows: unknown[][], format: OutputFormat, dateColumns: ReadonlySet<number> = new Set()): string {
  if (format === 'json') {
    return `${JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, jsonValue(r[i], dateColumns.has(i))]))), null, 0)}\n`;
  }
  if (format === 'csv') {
    return [columns.map(csvCell).join(','), ...rows.map((r) => r.map((v, i) => csvCell(cell(v, dateColumns.has(i)))).join(','))].join('\n') + '\n';
  }
  const text = rows.map((r) => r.map((v, i) => cell(v, dateColumns.has(i))));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => r[i]!.length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i]!)).join(' │ ').trimEnd();
  const sep = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(columns), sep, ...text.map(line), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
}
