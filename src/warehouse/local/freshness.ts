import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { partitionStart, type TableFreshness } from '../../observability/freshness.ts';

/**
 * The newest partition of every partitioned table of a layer (its folder): one directory listing per table and one
 * stat (of the newest partition), so it is cheap enough to run on every scrape. Partition values
 * sort as text (YYYY-MM-DD, YYYY-MM); non-date values (Hive's NULL partition) are ignored.
 */
export async function newestPartitions(layerDir: string, layer: string): Promise<TableFreshness[]> {
  const gold = layerDir;
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
    out.push({ table: `${layer}.${t.name}`, newest: newest.value, newestStart: newest.start, writtenAt: s.mtimeMs / 1000 });
  }
  return out.sort((a, b) => a.table.localeCompare(b.table));
}
