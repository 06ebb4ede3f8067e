import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a cache file holds: the parsed body plus when it was fetched and until when it is good. */
interface Envelope {
  url: string;
  fetched_at: number;
  expires_at: number;
  body: unknown;
}

export interface CacheHit {
  body: unknown;
  fetchedAt: number;
}

/**
 * A response cache on disk, one file per request URL (named by its SHA-256), each with its own
 * expiry. Re-running a backfill re-reads files instead of spending the API's rate limit.
 * Files are written aside and renamed, so a crash never leaves a half-written entry.
 */
export class ResponseCache {
  constructor(
    private readonly dir: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The file a URL is cached in (exposed for tests and for humans debugging). */
  pathFor(url: string): string {
    return join(this.dir, `${createHash('sha256').update(url).digest('hex')}.json`);
  }

  async get(url: string): Promise<CacheHit | undefined> {
    const file = this.pathFor(url);
    let env: Envelope;
    try {
      env = JSON.parse(await readFile(file, 'utf8')) as Envelope;
    } catch {
      return undefined; // missing or unreadable: a miss, never an error
    }
    if (env.url !== url || typeof env.expires_at !== 'number' || typeof env.fetched_at !== 'number') return undefined;
    if (env.expires_at <= this.now()) {
      await rm(file, { force: true }).catch(() => undefined);
      return undefined;
    }
    return { body: env.body, fetchedAt: env.fetched_at };
  }

  async set(url: string, body: unknown, fetchedAt: number): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.pathFor(url);
    const env: Envelope = { url, fetched_at: fetchedAt, expires_at: this.now() + this.ttlMs, body };
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(env));
    await rename(tmp, file);
  }
}
