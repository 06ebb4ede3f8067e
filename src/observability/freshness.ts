import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface TableFreshness {
  /** e.g. gold.aqi_daily */
  table: string;
  /** The newest partition's value, e.g. 2025-10-16 or 2025-10. */
  newest: string;
  /** Start of that day or month, Unix seconds (UTC). */
  newestStart: number;
  /** When that partition was last written (its directory's mtime), Unix seconds. */
  writtenAt: number;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

/** Unix seconds of the start (UTC) of a partition value, or undefined when it is not a day or month. */
export function partitionStart(value: string): number | undefined {
  let m = DAY.exec(value);
  if (m) return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 1000;
  m = MONTH.exec(value);
  if (m) return Date.UTC(Number(m[1]), Number(m[2]) - 1, 1) / 1000;
  return undefined;
}

/**
 * The newest partition of every partitioned gold table: one directory listing per table and one
 * stat (of the newest partition), so it is cheap enough to run on every scrape. Partition values
 * sort as text (YYYY-MM-DD, YYYY-MM); non-date values (Hive's NULL partition) are ignored.
 */
export async function goldFreshness(warehouseRoot: string): Promise<TableFreshness[]> {
  const gold = join(warehouseRoot, 'gold');
  if (!existsSync(gold)) return [];
  const out: TableFreshness[] = [];
  for (const t of await readdir(gold, { withFileTypes: true })) {
    if (!t.isDirectory() || t.name.startsWith('.') || t.name.startsWith('_')) continue;
    const dir = join(gold, t.name);
    let newest: { name: string; value: string; start: number } | undefined;
    for (const p of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const eq = p.name.indexOf('=');
      if (!p.isDirectory() || eq < 1) continue;
      const value = p.name.slice(eq + 1);
      const start = partitionStart(value);
      if (start !== undefined && (!newest || value > newest.value)) newest = { name: p.name, value, start };
    }
    if (!newest) continue;
    const s = await stat(join(dir, newest.name)).catch(() => undefined);
    if (!s) continue; // replaced between the listing and the stat: next scrape
    out.push({ table: `gold.${t.name}`, newest: newest.value, newestStart: newest.start, writtenAt: s.mtimeMs / 1000 });
  }
  return out.sort((a, b) => a.table.localeCompare(b.table));
}
