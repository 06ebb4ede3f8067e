import { Agent, request } from 'undici';
import { HttpSourceError, StrataError } from '../../core/errors.ts';
import { logger, type Logger } from '../../observability/logger.ts';
import { ResponseCache } from './cache.ts';
import { splitDateRange } from './dates.ts';
import { toReadings } from './parse.ts';
import { jitteredBackoffMs, parseRetryAfter, pause } from '../../core/retry.ts';
import type { OpenMeteoSettings } from './settings.ts';
import { POLLUTANT_VARIABLES, type Location, type Reading } from './types.ts';


/** One HTTP attempt, reported so metrics can count requests, retries and errors. */
export interface OpenMeteoRequestEvent {
  /** HTTP status, or 'error' when no complete response arrived (timeout, reset, truncated body). */
  status: number | 'error';
  /** 1 for the first try of a URL, 2 for its first retry, … */
  attempt: number;
  url: string;
  durationMs: number;
}

/** What the client takes besides its settings (`open_meteo:` in the service config). */
export interface OpenMeteoClientOptions {
  /** Ceiling of one backoff wait. Default 30 000. */
  maxBackoffMs?: number;
  /** Ceiling of a server-requested Retry-After wait (tests set it low). Default 120 000. */
  maxRetryAfterMs?: number;
  /** Directory of the on-disk response cache; no cache when unset (or when settings.cache_ttl_hours is 0). */
  cacheDir?: string;
  /** Hourly variables to request. Default POLLUTANT_VARIABLES. */
  hourly?: readonly string[];
  /** Value of Reading.source. Default 'open-meteo'. */
  source?: string;
  onRequest?: (evt: OpenMeteoRequestEvent) => void;
  /** A request that failed for good (retries exhausted, or not worth retrying), with its last status. */
  onFailure?: (evt: { status: number | 'error'; attempts: number; url: string }) => void;
  logger?: Logger;
  /** Clock for fetched_at and cache expiry (tests move it). Default Date.now. */
  now?: () => number;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
}

/** Raised internally for an attempt that may succeed if repeated. */
class RetryableError extends Error {
  constructor(message: string, readonly status: number | 'error', readonly retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Fetches hourly air quality from the Open-Meteo API as Readings. Splits long ranges into
 * request-sized chunks, retries what is transient (429, 5xx, timeouts, resets, truncated or
 * invalid bodies) with backoff, fails fast on what is not (400), and can cache responses on disk.
 */
export class OpenMeteoClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly hourly: readonly string[];
  private readonly maxDaysPerRequest: number;
  private readonly source: string;
  private readonly onRequest: ((evt: OpenMeteoRequestEvent) => void) | undefined;
  private readonly onFailure: OpenMeteoClientOptions['onFailure'];
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly cache: ResponseCache | undefined;
  private readonly agent: Agent;
  /** Aborted by close(): cancels in-flight requests and backoff sleeps. */
  private readonly closing = new AbortController();

  constructor(settings: OpenMeteoSettings, opts: OpenMeteoClientOptions = {}) {
    this.baseUrl = settings.base_url.replace(/\/+$/, '');
    this.timeoutMs = settings.timeout_ms;
    this.retries = settings.retries;
    this.backoffMs = settings.backoff_ms;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 120_000;
    this.hourly = opts.hourly ?? POLLUTANT_VARIABLES;
    this.maxDaysPerRequest = settings.max_days_per_request;
    this.source = opts.source ?? 'open-meteo';
    this.onRequest = opts.onRequest;
    this.onFailure = opts.onFailure;
    this.log = (opts.logger ?? logger()).child({ component: 'open-meteo-client' });
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.cache = opts.cacheDir && settings.cache_ttl_hours > 0 ? new ResponseCache(opts.cacheDir, settings.cache_ttl_hours * 3_600_000, this.now) : undefined;
    this.agent = new Agent({
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connect: { timeout: this.timeoutMs },
    });
    if (this.hourly.length === 0) throw new StrataError('OPEN_METEO_CONFIG', 'hourly variable list is empty');
  }

  /** All hours of [startDate, endDate] (inclusive, 'YYYY-MM-DD', UTC days) for one location. */
  async fetchRange(loc: Location, startDate: string, endDate: string): Promise<Reading[]> {
    const out: Reading[] = [];
    for (const chunk of splitDateRange(startDate, endDate, this.maxDaysPerRequest)) {
      const readings = await this.fetchChunk(loc, chunk.start, chunk.end);
      for (const r of readings) out.push(r);
    }
    return out;
  }

  /** The request URL for one chunk (also the cache key). */
  buildUrl(loc: Location, startDate: string, endDate: string): string {
    const hourly = this.hourly.map(encodeURIComponent).join(',');
    return (
      `${this.baseUrl}/v1/air-quality?latitude=${loc.latitude}&longitude=${loc.longitude}` +
      `&hourly=${hourly}&start_date=${startDate}&end_date=${endDate}&timezone=GMT`
    );
  }

  async close(): Promise<void> {
    this.closing.abort(new StrataError('OPEN_METEO_CLOSED', 'Open-Meteo client closed'));
    await this.agent.close();
  }

  private async fetchChunk(loc: Location, startDate: string, endDate: string): Promise<Reading[]> {
    const url = this.buildUrl(loc, startDate, endDate);
    const cached = await this.cache?.get(url);
    if (cached) {
      try {
        const readings = toReadings(cached.body, loc, { source: this.source, requestUrl: url, fetchedAt: cached.fetchedAt });
        this.log.debug({ url, location_id: loc.id }, 'open-meteo cache hit');
        return readings;
      } catch (err) {
        // An entry we can no longer use (say, written by an older parser) is just a miss.
        this.log.warn({ err, url }, 'open-meteo cache entry unusable, refetching');
      }
    }
    const ctx = { location_id: loc.id, start_date: startDate, end_date: endDate, url };
    const { body, fetchedAt } = await this.getJson(url, ctx);
    // Parse before caching so a body we cannot use is never kept.
    const readings = toReadings(body, loc, { source: this.source, requestUrl: url, fetchedAt });
    if (this.cache) {
      await this.cache.set(url, body, fetchedAt).catch((err: unknown) => this.log.warn({ err, url }, 'open-meteo cache write failed'));
    }
    return readings;
  }

  /** GET with retries; resolves to the parsed JSON of a 200 response. */
  private async getJson(url: string, ctx: Record<string, unknown>): Promise<{ body: unknown; fetchedAt: number }> {
    let last: RetryableError | undefined;
    const attempts = this.retries + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await this.attempt(url, attempt, ctx);
      } catch (err) {
        if (!(err instanceof RetryableError)) {
          if (err instanceof HttpSourceError) this.failed(typeof err.context.status === 'number' ? err.context.status : 'error', attempt, url);
          throw err;
        }
        last = err;
      }
      if (attempt === attempts) break;
      const backoff = jitteredBackoffMs(attempt, this.backoffMs, this.maxBackoffMs, this.random);
      const wait = Math.max(backoff, Math.min(last.retryAfterMs ?? 0, this.maxRetryAfterMs));
      this.log.warn({ ...ctx, attempt, status: last.status, wait_ms: wait, reason: last.message }, 'open-meteo request failed, retrying');
      if (!(await pause(wait, this.closing.signal))) throw this.closing.signal.reason;
    }
    this.failed(last?.status ?? 'error', attempts, url);
    throw new HttpSourceError(
      'OPEN_METEO_UNAVAILABLE',
      `Open-Meteo request for ${String(ctx.location_id)} ${String(ctx.start_date)}..${String(ctx.end_date)} failed after ${attempts} attempts; last: ${last?.message ?? 'unknown'}`,
      { ...ctx, attempts, last_status: last?.status },
      { cause: last?.cause ?? last },
    );
  }

  private failed(status: number | 'error', attempts: number, url: string): void {
    try {
      this.onFailure?.({ status, attempts, url });
    } catch (err) {
      this.log.warn({ err }, 'open-meteo onFailure hook threw');
    }
  }

  /** One HTTP exchange. Throws RetryableError for transient failures, HttpSourceError for final ones. */
  private async attempt(url: string, attempt: number, ctx: Record<string, unknown>): Promise<{ body: unknown; fetchedAt: number }> {
    const started = performance.now();
    const report = (status: number | 'error'): void => {
      try {
        this.onRequest?.({ status, attempt, url, durationMs: performance.now() - started });
      } catch (err) {
        this.log.warn({ err }, 'open-meteo onRequest hook threw'); // a metrics bug must not fail a fetch
      }
    };

    let status: number;
    let text: string;
    let retryAfter: string | string[] | undefined;
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]);
      const res = await request(url, {
        method: 'GET',
        dispatcher: this.agent,
        signal,
        headers: { accept: 'application/json', 'user-agent': 'strata (open-meteo source)' },
      });
      status = res.statusCode;
      retryAfter = res.headers['retry-after'];
      // Reading the whole body inside the try: a connection closed mid-body or a stalled body
      // surfaces here and is retried like any other transport failure.
      text = await res.body.text();
    } catch (err) {
      report('error');
      if (this.closing.signal.aborted) throw err;
      throw new RetryableError(`transport error: ${describe(err)}`, 'error', undefined, { cause: err });
    }
    report(status);
    const fetchedAt = this.now();

    if (status === 200) {
      try {
        return { body: JSON.parse(text) as unknown, fetchedAt };
      } catch (err) {
        throw new RetryableError(`invalid JSON body (${text.length} bytes): ${describe(err)}`, status, undefined, { cause: err });
      }
    }
    if (status === 429 || status >= 500) {
      throw new RetryableError(`HTTP ${status}${reasonSuffix(text)}`, status, parseRetryAfter(retryAfter, Date.now()));
    }
    const reason = apiReason(text);
    if (status === 400) {
      throw new HttpSourceError('OPEN_METEO_BAD_REQUEST', `Open-Meteo rejected the request for ${String(ctx.location_id)} ${String(ctx.start_date)}..${String(ctx.end_date)}: ${reason ?? text.slice(0, 200)}`, {
        ...ctx,
        status,
        reason,
      });
    }
    throw new HttpSourceError('OPEN_METEO_HTTP_ERROR', `Open-Meteo answered HTTP ${status} for ${String(ctx.location_id)}${reasonSuffix(text)}`, { ...ctx, status, reason });
  }
}

/** The `reason` of the API's `{"error":true,"reason":"…"}` body, if that is what `text` is. */
function apiReason(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && 'reason' in v && typeof v.reason === 'string') return v.reason;
  } catch {
    // not JSON (an HTML error page from a proxy, say): no reason to extract
  }
  return undefined;
}

function reasonSuffix(text: string): string {
  const reason = apiReason(text);
  return reason ? `: ${reason}` : '';
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${err.name} ${code}: ${err.message}` : `${err.name}: ${err.message}`;
  }
  return String(err);
}
