import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.ts';

export interface HealthCheck {
  name: string;
  check(): { ok: boolean; detail: string };
}

/** The HTTP face of the service: /metrics, /healthz (alive) and /readyz (sources and pipelines healthy). */
export async function startHttpServer(opts: { host: string; port: number; metrics: Metrics; checks: () => HealthCheck[] }): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/metrics') {
      opts.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': opts.metrics.registry.contentType });
          res.end(text);
        },
        (err: Error) => json(500, { error: err.message }),
      );
    } else if (path === '/healthz') {
      json(200, { status: 'ok', uptime_seconds: Math.round(process.uptime()) });
    } else if (path === '/readyz') {
      const checks = opts.checks().map((c) => ({ name: c.name, ...c.check() }));
      const ok = checks.every((c) => c.ok);
      json(ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', checks });
    } else {
      json(404, { error: `no such endpoint: ${path}`, endpoints: ['/metrics', '/healthz', '/readyz'] });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    server,
    url: `http://${opts.host}:${addr.port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
