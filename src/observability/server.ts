import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkBearer } from './auth.ts';
import type { Metrics } from './metrics.ts';

export interface HealthCheck {
  name: string;
  check(): { ok: boolean; detail: string };
}

/** What /runs may filter on. */
export interface RunsQuery {
  topology?: string;
  kind?: 'backfill' | 'chunk' | 'scheduled';
  parent?: string;
  limit: number;
}

const ENDPOINTS = ['/metrics', '/healthz', '/readyz', '/runs'];
const KINDS = new Set(['backfill', 'chunk', 'scheduled']);
/** Open even with a token: liveness probes and Prometheus scrapes carry no credentials. */
const OPEN = new Set(['/healthz', '/metrics']);

/**
 * The HTTP face of the service:
 * - `/metrics`: Prometheus exposition;
 * - `/healthz`: the process is alive (always 200 while it answers);
 * - `/readyz`: 200 when every check passes (sources connected, pipelines healthy, last batch
 *   recent), else 503; the JSON body lists every check and names the failing ones with why;
 * - `/runs[?topology=T&kind=K&parent=ID&limit=N]`: the run history (newest first) as JSON.
 * With `authToken` returning a token, every path but /healthz and /metrics needs
 * `Authorization: Bearer <token>` (else 401 with `WWW-Authenticate: Bearer`).
 */
export async function startHttpServer(opts: {
  host: string;
  port: number;
  metrics: Metrics;
  checks: () => HealthCheck[];
  runs?: (q: RunsQuery) => Promise<unknown[]>;
  /** The bearer token, read on each request (a reloaded config may change it); undefined = no auth. */
  authToken?: () => string | undefined;
}): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const started = Date.now();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://strata');
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(body)}\n`);
    };
    const fail = (err: Error): void => json(500, { error: err.message });
    const token = OPEN.has(url.pathname) ? undefined : opts.authToken?.();
    if (token !== undefined) {
      const auth = checkBearer(req.headers.authorization, token);
      if (auth !== 'ok') {
        // RFC 6750: no credentials → just the challenge; wrong ones → error="invalid_token".
        res.setHeader('www-authenticate', auth === 'missing' ? 'Bearer realm="strata"' : 'Bearer realm="strata", error="invalid_token"');
        json(401, { error: auth === 'missing' ? 'missing bearer token (Authorization: Bearer <token>)' : 'invalid bearer token', open_endpoints: [...OPEN] });
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      json(405, { error: `method ${req.method} not allowed`, endpoints: ENDPOINTS });
      return;
    }
    switch (url.pathname) {
      case '/metrics':
        opts.metrics.scrape().then((text) => {
          res.writeHead(200, { 'content-type': opts.metrics.registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
        }, fail);
        return;
      case '/healthz':
        json(200, { status: 'ok', pid: process.pid, uptime_seconds: Math.round((Date.now() - started) / 1000) });
        return;
      case '/readyz': {
        const checks = opts.checks().map((c) => {
          try {
            return { name: c.name, ...c.check() };
          } catch (err) {
            return { name: c.name, ok: false, detail: `check failed: ${(err as Error).message}` };
          }
        });
        const failing = checks.filter((c) => !c.ok);
        json(failing.length ? 503 : 200, {
          status: failing.length ? 'not ready' : 'ready',
          ...(failing.length ? { failing: failing.map((c) => `${c.name}: ${c.detail}`) } : {}),
          checks,
        });
        return;
      }
      case '/runs': {
        if (!opts.runs) return json(404, { error: 'no run history in this process' });
        const kind = url.searchParams.get('kind') ?? undefined;
        if (kind && !KINDS.has(kind)) return json(400, { error: `kind must be one of ${[...KINDS].join(', ')}, not "${kind}"` });
        const limitText = url.searchParams.get('limit');
        const limit = limitText === null ? 100 : Number(limitText);
        if (!Number.isInteger(limit) || limit < 1) return json(400, { error: `limit must be a positive integer, not "${limitText}"` });
        const q: RunsQuery = { limit, topology: url.searchParams.get('topology') ?? undefined, kind: kind as RunsQuery['kind'], parent: url.searchParams.get('parent') ?? undefined };
        opts.runs(q).then((runs) => json(200, { runs }), fail);
        return;
      }
      default:
        json(404, { error: `no such endpoint: ${url.pathname}`, endpoints: ENDPOINTS });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${addr.port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
      }),
  };
}
