import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { HttpSourceError, StrataError } from '../../core/errors.ts';
import { logger, type Logger } from '../../observability/logger.ts';
import { jitteredBackoffMs, pause } from '../../core/retry.ts';
import type { Service } from './columns.ts';
import type { TlcSettings } from './settings.ts';

/** The TLC's file name for a month, e.g. yellow_tripdata_2025-01.parquet. */
export function tlcFileName(color: Service, month: string): string {
  return `${color}_tripdata_${month}.parquet`;
}

export interface TlcRequestEvent {
  status: number | 'error';
  attempt: number;
  url: string;
}

/** What the client takes besides its settings (`tlc:` in the service config). */
export interface TlcClientOptions {
  /** Where downloaded files are kept; a file already there (and whole) is not fetched again. */
  cacheDir: string;
  maxBackoffMs?: number;
  onRequest?: (e: TlcRequestEvent) => void;
  logger?: Logger;
}

/** An attempt that may succeed if repeated (5xx, 429, transport failure, short body). */
class RetryableError extends Error {
  constructor(message: string, readonly status: number | 'error', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Downloads TLC month files (`{base_url}/trip-data/{color}_tripdata_{YYYY-MM}.parquet`) into a
 * cache folder. The body streams to disk (a month is 50–100 MB), is checked against Content-Length
 * and the Parquet magic bytes, and is renamed into place only when whole. A missing month is an
 * error naming the month and URL: the real host answers 403 AccessDenied (S3 behind CloudFront)
 * rather than 404.
 */
export class TlcClient {
  readonly baseUrl: string;
  private readonly agent: Agent;
  private readonly closing = new AbortController();
  private readonly log: Logger;

  constructor(private readonly settings: TlcSettings, private readonly opts: TlcClientOptions) {
    this.baseUrl = settings.base_url.replace(/\/+$/, '');
    const timeout = settings.timeout_ms;
    this.agent = new Agent({ headersTimeout: timeout, bodyTimeout: timeout, connect: { timeout } });
    this.log = (opts.logger ?? logger()).child({ component: 'tlc-client' });
  }

  url(color: Service, month: string): string {
    return `${this.baseUrl}/trip-data/${tlcFileName(color, month)}`;
  }

  /** The local path of the month's file, downloading it unless the cache already has it whole. */
  async fetchMonth(color: Service, month: string): Promise<string> {
    const file = join(this.opts.cacheDir, tlcFileName(color, month));
    if (existsSync(file) && (await isWholeParquet(file))) return file;
    await mkdir(this.opts.cacheDir, { recursive: true });
    const url = this.url(color, month);
    const attempts = this.settings.retries + 1;
    let last: RetryableError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await this.download(url, file, attempt, { color, month });
        return file;
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        last = err;
      }
      if (attempt === attempts) break;
      const wait = jitteredBackoffMs(attempt, this.settings.backoff_ms, this.opts.maxBackoffMs ?? 30_000);
      this.log.warn({ url, attempt, status: last.status, wait_ms: wait, reason: last.message }, 'TLC download failed, retrying');
      if (!(await pause(wait, this.closing.signal))) throw this.closing.signal.reason;
    }
    throw new HttpSourceError('TLC_UNAVAILABLE', `TLC ${color} ${month}: GET ${url} failed after ${attempts} attempts; last: ${last?.message ?? 'unknown'}`, {
      url, color, month, attempts, last_status: last?.status,
    }, { cause: last });
  }

  async close(): Promise<void> {
    this.closing.abort(new StrataError('TLC_CLIENT_CLOSED', 'TLC client closed'));
    await this.agent.close();
  }

  private report(e: TlcRequestEvent): void {
    try {
      this.opts.onRequest?.(e);
    } catch (err) {
      this.log.warn({ err }, 'TLC onRequest hook threw'); // a metrics bug must not fail a download
    }
  }

  private async download(url: string, file: string, attempt: number, ctx: { color: Service; month: string }): Promise<void> {
    const tmp = `${file}.${randomBytes(4).toString('hex')}.part`;
    let reported = false;
    const report = (status: number | 'error'): void => {
      if (!reported) this.report({ status, attempt, url });
      reported = true;
    };
    try {
      const res = await request(url, { method: 'GET', dispatcher: this.agent, signal: this.closing.signal, headers: { 'user-agent': 'strata (tlc source)' } });
      const status = res.statusCode;
      if (status !== 200) {
        const body = await res.body.text().catch(() => '');
        report(status);
        if (status === 429 || status >= 500) throw new RetryableError(`HTTP ${status}${s3Reason(body)}`, status);
        const missing = status === 403 || status === 404;
        throw new HttpSourceError(
          missing ? 'TLC_MONTH_NOT_FOUND' : 'TLC_HTTP_ERROR',
          `TLC ${ctx.color} ${ctx.month}: ${missing ? 'no such file' : 'download refused'}: GET ${url} answered ${status}${s3Reason(body)}`,
          { url, status, ...ctx },
        );
      }
      const expected = Number(res.headers['content-length'] ?? NaN);
      let received = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          received += chunk.length;
          cb(null, chunk);
        },
      });
      await streamToFile(res.body, counter, tmp);
      if (Number.isFinite(expected) && received !== expected) throw new RetryableError(`body cut short: ${received} of ${expected} bytes`, 'error');
      if (!(await isWholeParquet(tmp))) throw new RetryableError(`body is not a whole Parquet file (${received} bytes)`, 'error');
      await rename(tmp, file);
      report(status);
    } catch (err) {
      report('error');
      await rm(tmp, { force: true });
      if (err instanceof RetryableError || err instanceof HttpSourceError || this.closing.signal.aborted) throw err;
      throw new RetryableError(`transport error: ${(err as Error).message}`, 'error', { cause: err });
    }
  }
}

/**
 * Pipes `body` through `through` into `file`, and settles only once the file is closed. A body that
 * has already failed when the pipeline is built (the socket closed right after the headers) makes
 * `pipeline` reject before the lazily opened file exists; it is created a moment later, after the
 * caller's clean-up had nothing to remove — a stray .part in the cache. So wait for the close.
 */
export async function streamToFile(body: Readable, through: Transform, file: string): Promise<void> {
  const sink = createWriteStream(file);
  try {
    await pipeline(body, through, sink);
  } finally {
    if (!sink.closed) await once(sink, 'close');
  }
}

/** `PAR1` at both ends: a download that stopped early fails this. */
async function isWholeParquet(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 12) return false;
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    await fh.read(tail, 0, 4, size - 4);
    return head.toString('latin1') === 'PAR1' && tail.toString('latin1') === 'PAR1';
  } finally {
    await fh.close();
  }
}

/** `: AccessDenied (Access Denied)` from an S3 XML error body, or ''. */
function s3Reason(body: string): string {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  return code ? ` ${code}${message ? ` (${message})` : ''}` : '';
}
