import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { EngineError } from '../core/errors.ts';
import { failpoint } from '../core/failpoints.ts';
import { fileList, ident, lit } from '../duckdb/instance.ts';

export const LAYERS = ['bronze', 'silver', 'gold'] as const;
const TABLE_RE = /^(bronze|silver|gold)\.([a-z][a-z0-9_]*)$/;
/** The one data file of a replaceable partition: replacing it is a single atomic rename. */
export const DATA_FILE = 'data.parquet';

/**
 * The warehouse: `<root>/<layer>/<table>/[<col>=<value>/]*.parquet`, state under `<root>/_state`.
 * Writers stage files under `<root>/_staging` (same filesystem) and rename them into place, so a
 * reader never sees a half-written file; nothing holds a lock.
 */
export class Warehouse {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  tableDir(table: string): string {
    const m = TABLE_RE.exec(table);
    if (!m) throw new EngineError('TABLE_NAME_INVALID', `invalid table name "${table}" (expected <bronze|silver|gold>.<name>)`, { table });
    return join(this.root, m[1]!, m[2]!);
  }

  get stateDir(): string {
    return join(this.root, '_state');
  }

  get stagingDir(): string {
    return join(this.root, '_staging');
  }

  /** Tables present on disk, as `layer.name`. */
  async tables(): Promise<string[]> {
    const out: string[] = [];
    for (const layer of LAYERS) {
      const dir = join(this.root, layer);
      if (!existsSync(dir)) continue;
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory() && !e.name.startsWith('.') && (await this.files(`${layer}.${e.name}`)).length) out.push(`${layer}.${e.name}`);
      }
    }
    return out.sort();
  }

  /** Every visible Parquet file of a table, or only those of the given partitions. */
  async files(table: string, partition?: { column: string; values: readonly string[] }): Promise<string[]> {
    const dir = this.tableDir(table);
    if (!existsSync(dir)) return [];
    const dirs = partition ? partition.values.map((v) => join(dir, `${partition.column}=${v}`)) : [dir];
    const out: string[] = [];
    for (const d of dirs) await collectParquet(d, out, !partition);
    return out.sort();
  }

  async isPartitioned(table: string): Promise<boolean> {
    const dir = this.tableDir(table);
    if (!existsSync(dir)) return false;
    return (await readdir(dir)).some((n) => n.includes('=') && !n.startsWith('.'));
  }

  /** SQL that reads the given files (Hive partition columns restored), or undefined when there are none. */
  readSql(files: readonly string[], partitioned: boolean): string | undefined {
    if (!files.length) return undefined;
    return `read_parquet(${fileList(files)}, hive_partitioning = ${partitioned}, union_by_name = true)`;
  }

  /** Creates views `<layer>.<table>` over every table on disk (for strata query and ad-hoc SQL). */
  async attachViews(conn: DuckDBConnection): Promise<string[]> {
    const tables = await this.tables();
    for (const layer of LAYERS) await conn.run(`CREATE SCHEMA IF NOT EXISTS ${layer}`);
    for (const t of tables) {
      const [layer, name] = t.split('.') as [string, string];
      const sql = this.readSql(await this.files(t), await this.isPartitioned(t))!;
      await conn.run(`CREATE OR REPLACE VIEW ${layer}.${ident(name)} AS SELECT * FROM ${sql}`);
    }
    return tables;
  }

  /**
   * Writes `relation` into `table`. Partitioned: one file per partition value, `fileName` inside
   * `<col>=<value>/` (DATA_FILE replaces the partition; a batch-named file appends). Each file is
   * written to staging first and renamed into place. Returns the partition values written.
   */
  async write(
    conn: DuckDBConnection,
    relation: string,
    table: string,
    opts: { partitionBy?: string; fileName: string },
  ): Promise<string[]> {
    const target = this.tableDir(table);
    try {
      return await this.writeStaged(conn, relation, table, target, opts);
    } catch (err) {
      throw writeFailed(err, table, target);
    }
  }

  private async writeStaged(conn: DuckDBConnection, relation: string, table: string, target: string, opts: { partitionBy?: string; fileName: string }): Promise<string[]> {
    const stage = join(this.stagingDir, randomUUID());
    // Not one recursive mkdir: on a read-only disk that reports ENOENT, hiding the EROFS behind it.
    await mkdir(this.stagingDir, { recursive: true });
    await mkdir(stage);
    try {
      if (!opts.partitionBy) {
        const staged = join(stage, opts.fileName);
        await conn.run(`COPY (SELECT * FROM ${relation}) TO ${lit(staged)} (FORMAT parquet, COMPRESSION zstd)`);
        await mkdir(target, { recursive: true });
        await rename(staged, join(target, opts.fileName));
        return [];
      }
      const col = ident(opts.partitionBy);
      await conn.run(
        `COPY (SELECT * FROM ${relation}) TO ${lit(stage)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (${col}), OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'part_{i}')`,
      );
      const written: string[] = [];
      for (const dir of (await readdir(stage)).sort()) {
        const value = dir.slice(dir.indexOf('=') + 1);
        let files = (await readdir(join(stage, dir))).filter((f) => f.endsWith('.parquet')).sort();
        if (files.length > 1) {
          // DuckDB splits a partition into several files when the COPY has more partitions open
          // than partitioned_write_max_open_files (a batch spanning years of days): join them.
          const merged = '_merged.parquet';
          await conn.run(`COPY (SELECT * FROM read_parquet(${fileList(files.map((f) => join(stage, dir, f)))}, hive_partitioning = false)) TO ${lit(join(stage, dir, merged))} (FORMAT parquet, COMPRESSION zstd)`);
          files = [merged];
        }
        if (files.length !== 1) {
          throw new EngineError('PARTITION_WRITE_SPLIT', `${table}: partition ${dir} was written as ${files.length} files; expected 1`, { table, partition: dir });
        }
        await mkdir(join(target, dir), { recursive: true });
        failpoint('warehouse.before_rename');
        await rename(join(stage, dir, files[0]!), join(target, dir, opts.fileName));
        failpoint('warehouse.after_rename');
        written.push(decodeURIComponent(value));
      }
      return written;
    } finally {
      // On a read-only disk this fails too; the write's own error is the one to report (start-up cleans staging).
      await rm(stage, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Removes leftovers of writers that died mid-write (staging is never read). */
  async cleanStaging(): Promise<void> {
    await rm(this.stagingDir, { recursive: true, force: true });
  }
}

/** OS error codes by the text DuckDB puts in its IO errors (Node's own errors carry `code`). */
const OS_ERRORS: [RegExp, string][] = [
  [/No space left on device/i, 'ENOSPC'],
  [/Read-only file system/i, 'EROFS'],
  [/File too large/i, 'EFBIG'],
  [/Permission denied/i, 'EACCES'],
  [/Disk quota exceeded/i, 'EDQUOT'],
  [/Input\/output error/i, 'EIO'],
];

/** A failed table write as one typed error: the table, its folder and the OS error, whichever step failed. */
function writeFailed(err: unknown, table: string, dir: string): EngineError {
  if (err instanceof EngineError) return err;
  const message = (err as Error).message;
  const os = (err as NodeJS.ErrnoException).code ?? OS_ERRORS.find(([re]) => re.test(message))?.[1];
  return new EngineError('WAREHOUSE_WRITE_FAILED', `warehouse write failed for ${table} (${dir})${os ? ` [${os}]` : ''}: ${message}`, { table, dir, ...(os ? { os_error: os } : {}) }, { cause: err });
}

async function collectParquet(dir: string, out: string[], recurse: boolean): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name.startsWith('_')) continue; // hidden and temporary files are never data
    const p = join(dir, e.name);
    if (e.isDirectory() && recurse) await collectParquet(p, out, true);
    else if (e.isFile() && e.name.endsWith('.parquet') && (await stat(p)).size > 0) out.push(p);
  }
}
