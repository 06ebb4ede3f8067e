import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { TlcSourceSpec } from './spec.ts';
import { openDuckDB } from '../../duckdb/instance.ts';
import { DataError, StrataError } from '../../core/errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { AckOutcome, SourceBatch } from '../../core/batch.ts';
import type { Source } from '../source.ts';
import type { TlcClient } from './client.ts';
import { expandPatterns } from '../../core/globs.ts';
import { openTlcFile, type TlcFile } from './reader.ts';

export interface TlcSourceDeps {
  topology: string;
  baseDir: string;
  /** `$WAREHOUSE/_state/cache/tlc`: downloaded months, and CSVs staged as Parquet. */
  cacheDir: string;
  /** Needed only for `months`. */
  client?: TlcClient;
  log: Logger;
  now?: () => number;
}

type Target = { kind: 'file'; path: string } | { kind: 'month'; month: string };

/**
 * Reads TLC trip files — the topology's `files` (globs resolved when the source starts), then its
 * `months` (downloaded once into the cache) — and emits each as batches of `batch_rows` rows.
 * A batch carries a DuckDB `scan` over the file (never the rows themselves), with a deterministic
 * id `<file name>#<batch index>`.
 *
 * A file that fails its checks (or cannot be downloaded) lands nothing: it is logged and skipped,
 * the other files go on, and when all are done the source ends with a DataError listing every
 * failed file — so the pipeline reports it (status, /readyz) while the good files are in.
 */
export class TlcSource implements Source {
  readonly kind = 'tlc';
  private readonly failures: string[] = [];
  private current: string | undefined;
  private done = 0;

  constructor(readonly name: string, private readonly spec: TlcSourceSpec, private readonly deps: TlcSourceDeps) {}

  health(): { ok: boolean; detail: string } {
    if (this.failures.length) return { ok: false, detail: this.failures.join('; ') };
    return { ok: true, detail: this.current ? `reading ${this.current}` : `${this.done} files read` };
  }

  async *batches(signal: AbortSignal): AsyncIterable<SourceBatch> {
    const targets: Target[] = [
      ...expandPatterns(this.deps.baseDir, this.spec.files ?? []).map((path): Target => ({ kind: 'file', path })),
      ...(this.spec.months ?? []).map((month): Target => ({ kind: 'month', month })),
    ];
    if (!targets.length) this.deps.log.warn({ files: this.spec.files }, 'tlc source: no file matches');
    // A DuckDB of its own, for checking files and staging CSVs; the batches are read by the pipeline's.
    let db: DuckDBInstance | undefined;
    let conn: DuckDBConnection | undefined;
    try {
      for (const target of targets) {
        if (signal.aborted) return;
        this.current = target.kind === 'file' ? basename(target.path) : target.month;
        let file: TlcFile;
        try {
          const path = target.kind === 'file' ? target.path : await this.download(target.month);
          db ??= await openDuckDB({ memory_limit: '1GB' });
          conn ??= await db.connect();
          await mkdir(join(this.deps.cacheDir, 'staged'), { recursive: true });
          file = await openTlcFile(conn, path, { stagingDir: join(this.deps.cacheDir, 'staged') });
        } catch (err) {
          if (!(err instanceof StrataError)) throw err;
          this.failures.push(err.message);
          this.deps.log.error({ err, target }, 'tlc file rejected before its first batch; nothing of it lands');
          continue;
        }
        this.deps.log.info({ file: file.path, format: file.format, service: file.service, rows: file.rows }, 'tlc file checked');
        yield* this.emit(file, signal);
        this.done++;
      }
    } finally {
      this.current = undefined;
      conn?.closeSync();
      db?.closeSync();
    }
    if (this.failures.length) {
      throw new DataError('TLC_FILES_FAILED', `${this.failures.length} TLC file(s) not loaded:\n${this.failures.join('\n')}`, { failures: [...this.failures] });
    }
  }

  private async download(month: string): Promise<string> {
    if (!this.deps.client) throw new StrataError('TLC_NO_CLIENT', `source ${this.name}: months need a TLC client`, { source: this.name });
    return this.deps.client.fetchMonth(this.spec.color, month);
  }

  private async *emit(file: TlcFile, signal: AbortSignal): AsyncIterable<SourceBatch> {
    const size = this.spec.batch_rows;
    const count = Math.ceil(file.rows / size);
    for (let k = 0; k < count; k++) {
      if (signal.aborted) return;
      let outcome: AckOutcome | undefined;
      let release!: () => void;
      const acked = new Promise<void>((r) => (release = r));
      const first = k * size + 1;
      yield {
        meta: {
          topology: this.deps.topology,
          batchId: `${file.name}#${k}`,
          source: this.name,
          createdAt: (this.deps.now ?? Date.now)(),
          position: { describe: `tlc:${file.name}#${k} rows ${first}..${Math.min(file.rows, first + size - 1)}`, file: file.path, batch: k },
        },
        scan: file.scan(k, size),
        ack: async (o?: AckOutcome) => {
          outcome = o;
          release();
        },
      };
      await acked;
      if (outcome?.failed) this.failures.push(`${file.path} batch ${k}: ${outcome.error ?? 'failed'}`);
    }
  }
}
