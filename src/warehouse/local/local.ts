import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { BATCH_ID_COLUMN } from '../../core/batch.ts';
import { EngineError } from '../../core/errors.ts';
import { failpoint } from '../../core/failpoints.ts';
import { LAYERS, parseTable } from '../../core/layers.ts';
import { StatePaths } from '../../core/state.ts';
import { fileList, ident, lit } from '../../duckdb/instance.ts';
import { distinctValues, latestByKey } from '../../duckdb/relations.ts';
import type { TableFreshness } from '../../observability/freshness.ts';
import { batchFileName, DATA_FILE, partitionValues } from '../partitions.ts';
import type { PartitionFilter, Warehouse } from '../warehouse.ts';
import { readConsistently } from './consistent-read.ts';
import { newestPartitions } from './freshness.ts';

/**
 * The warehouse: `<root>/<layer>/<table>/[<col>=<value>/]*.parquet`, state under `<root>/_state`.
 * Writers stage files under `<root>/_staging` (same filesystem) and rename them into place, so a
 * reader never sees a half-written file; nothing holds a lock.
 */
export class LocalWarehouse implements Warehouse {
  readonly kind = 'local';
  readonly root: string;
  readonly state: StatePaths;

  constructor(root: string) {
    this.root = resolve(root);
    this.state = new StatePaths(join(this.root, '_state'));
  }

  get location(): string {
    return this.root;
  }

  tableDir(table: string): string {
    const { layer, name } = parseTable(table);
    return join(this.root, layer, name);
  }

  get stagingDir(): string {
    return join(this.root, '_staging');
  }

  async connect(): Promise<void> {
    // Plain Parquet: nothing to attach.
  }

  /** Removes leftovers of writers that died mid-write (staging is never read). */
  async recover(): Promise<void> {
    await rm(this.stagingDir, { recursive: true, force: true });
  }

  async scan(_conn: DuckDBConnection, table: string, filter?: PartitionFilter): Promise<string | undefined> {
    return this.readSql(await this.files(table, filter), filter ? true : await this.isPartitioned(table));
  }

  /** A read that failed on a file replaced under it runs again (see consistent-read.ts): writers never wait for readers. */
  consistent<T>(read: () => Promise<T>): Promise<T> {
    return readConsistently(this, read);
  }

  async freshness(layer: 'gold'): Promise<TableFreshness[]> {
    return newestPartitions(join(this.root, layer), layer);
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
  async files(table: string, partition?: PartitionFilter): Promise<string[]> {
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
  async attach(conn: DuckDBConnection): Promise<string[]> {
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
   * One file per source batch (per partition), named after the row's `_batch_id`: re-delivering a
   * batch — alone, or grouped with other partitions' ranges differently than the first time —
   * rewrites the same files instead of adding copies. Rows without a batch id go under `batchId`.
   */
  async append(conn: DuckDBConnection, relation: string, table: string, opts: { partitionBy?: string; batchId: string }): Promise<string[]> {
    const cols = (await conn.runAndReadAll(`DESCRIBE ${ident(relation)}`)).getRowsJS().map((r) => String(r[0]));
    const ids = cols.includes(BATCH_ID_COLUMN)
      ? (await conn.runAndReadAll(`SELECT DISTINCT ${ident(BATCH_ID_COLUMN)} FROM ${ident(relation)} ORDER BY 1`)).getRowsJS().map((r) => (r[0] === null ? null : String(r[0])))
      : [opts.batchId];
    const partitions = new Set<string>();
    for (const id of ids) {
      const rel = ids.length === 1 ? ident(relation) : `(SELECT * FROM ${ident(relation)} WHERE ${ident(BATCH_ID_COLUMN)} ${id === null ? 'IS NULL' : `= ${lit(id)}`})`;
      const written = await this.write(conn, rel, table, { partitionBy: opts.partitionBy, fileName: batchFileName(id ?? opts.batchId) });
      written.forEach((p) => partitions.add(p));
    }
    return [...partitions].sort();
  }

  /**
   * Merges into the partitions the rows fall in: each such partition's data file is rewritten
   * whole (written aside, renamed into place). Partitions that hold nothing yet are written as
   * they come (a batch of a new day, or a month file read in order, merges little).
   */
  async upsert(conn: DuckDBConnection, relation: string, table: string, opts: { partitionBy?: string; key: readonly string[]; orderBy: readonly string[] }): Promise<string[]> {
    const part = opts.partitionBy;
    const key = opts.key.map(ident).join(', ');
    const partitions = part ? await distinctValues(conn, relation, part) : [];
    const existing = (await this.files(table, part ? { column: part, values: partitions } : undefined)).filter((f) => f.endsWith(`/${DATA_FILE}`));
    const held = part ? partitionValues(existing, part) : [];
    const inHeld = !part ? 'TRUE' : held.length ? `COALESCE(CAST(${ident(part)} AS VARCHAR) IN (${held.map(lit).join(', ')}), FALSE)` : 'FALSE';
    if (existing.length) {
      const existingSql = this.readSql(existing, Boolean(part))!;
      const incoming = `(SELECT * FROM ${ident(relation)} WHERE ${inHeld})`;
      // Usually no incoming row is older than a stored one (new data, or a re-run of the same data):
      // then the merge is the incoming rows plus the stored rows whose key is not among them — a
      // hash anti join instead of ranking the union. Late or replayed older data ranks the union.
      // (An exact tie on order_by is either row in the ranking; here the incoming one.)
      const cols = opts.orderBy.map(ident);
      const tuple = `{${cols.map((c, i) => `'k${i}': ${c}`).join(', ')}}`;
      const newer = await conn.runAndReadAll(
        `SELECT (SELECT count(*) > 0 AND ${cols.map((c) => `count(${c}) = count(*)`).join(' AND ')} AND min(${tuple}) >= (SELECT max(${tuple}) FROM ${existingSql}) FROM ${incoming})`,
      );
      const sql = newer.getRowsJS()[0]![0] === true
        ? `${incoming} UNION ALL BY NAME (SELECT * FROM ${existingSql} ANTI JOIN (SELECT ${key} FROM ${incoming}) USING (${key}))`
        : latestByKey(`(${incoming} UNION ALL BY NAME SELECT * FROM ${existingSql})`, opts.key, opts.orderBy);
      // Written straight from the query: the merged rows are never materialised in memory first.
      await this.write(conn, `(${sql})`, table, { partitionBy: part, fileName: DATA_FILE });
    }
    if (!existing.length || (part && held.length < partitions.length)) {
      const fresh = existing.length ? `(SELECT * FROM ${ident(relation)} WHERE NOT (${inHeld}))` : ident(relation);
      await this.write(conn, fresh, table, { partitionBy: part, fileName: DATA_FILE });
    }
    return partitions;
  }

  /** Each partition the relation has rows in becomes its one data file (one atomic rename each). */
  async replace(conn: DuckDBConnection, relation: string, table: string, opts: { partitionBy?: string }): Promise<string[]> {
    return this.write(conn, ident(relation), table, { partitionBy: opts.partitionBy, fileName: DATA_FILE });
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

