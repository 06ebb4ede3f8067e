/**
 * A local stand-in for the Open-Meteo air-quality API: same path, parameters, JSON shape and
 * error bodies, deterministic synthetic values, switchable faults, and recorded real responses
 * served verbatim. Used by tests and for offline runs (scripts/open-meteo-emulator.ts).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerAirQuality, isoDatePlusDays } from './emulator-api.ts';

export type FaultKind = 'none' | '429' | '500' | 'slow' | 'truncated' | 'bad-json';
/** A fault on every request until changed, or `{ mode, count }`: the next `count` requests, then recover. */
export type FaultMode = FaultKind | { mode: FaultKind; count: number };

export interface OpenMeteoEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  fault?: FaultMode;
  /**
   * Recorded responses served verbatim: key "latitude,longitude" (numbers as in the request,
   * e.g. "40,116.4") or "latitude,longitude,start_date,end_date" → path of a JSON file.
   */
  fixtures?: Record<string, string>;
  /** Delay of the 'slow' fault. Default 5000 ms. */
  slowMs?: number;
  /** Allowed date range; default 2013-01-01 to today + 7 days. */
  minDate?: string;
  maxDate?: string;
  /** Clock for the default forecast window and date range. */
  now?: () => number;
}

export interface OpenMeteoEmulator {
  /** Base URL, e.g. http://127.0.0.1:41234 (pass as the client's baseUrl). */
  readonly url: string;
  /** Requests received so far, faulted ones included. */
  readonly requests: number;
  /** Path and query of every request received, in order. */
  readonly requestLog: readonly string[];
  setFault(f: FaultMode): void;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export async function startOpenMeteoEmulator(opts: OpenMeteoEmulatorOptions = {}): Promise<OpenMeteoEmulator> {
  const now = opts.now ?? Date.now;
  const slowMs = opts.slowMs ?? 5000;
  const fixtures = await loadFixtures(opts.fixtures ?? {});
  const log: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let fault: { mode: FaultKind; remaining: number } = toFaultState(opts.fault ?? 'none');

  /** The fault for this request, consuming one from a counted fault. */
  const takeFault = (): FaultKind => {
    if (fault.mode === 'none' || fault.remaining === 0) return 'none';
    const mode = fault.mode;
    if (Number.isFinite(fault.remaining)) {
      fault.remaining -= 1;
      if (fault.remaining === 0) fault = { mode: 'none', remaining: Infinity };
    }
    return mode;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    log.push(req.url ?? '/');
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname !== '/v1/air-quality') {
      send(res, 404, { error: true, reason: 'Not Found' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { error: true, reason: 'Method Not Allowed' });
      return;
    }
    const mode = takeFault();
    if (mode === '429') {
      send(res, 429, { error: true, reason: 'Minutely API request limit exceeded. Please try again in one minute.' }, { 'retry-after': '1' });
      return;
    }
    if (mode === '500') {
      send(res, 500, { error: true, reason: 'Something went wrong.' });
      return;
    }
    const respond = (): void => {
      if (res.destroyed) return;
      const { status, text } = answer(url);
      if (mode === 'truncated' && status === 200) {
        // Promise the full length, send half, then drop the connection mid-body.
        const bytes = Buffer.from(text);
        res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': bytes.length });
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy());
        return;
      }
      if (mode === 'bad-json' && status === 200) {
        // A complete HTTP response whose body is cut JSON.
        sendText(res, 200, text.slice(0, Math.floor(text.length * 0.6)));
        return;
      }
      sendText(res, status, text);
    };
    if (mode === 'slow') {
      const t = setTimeout(() => {
        timers.delete(t);
        respond();
      }, slowMs);
      timers.add(t);
    } else {
      respond();
    }
  };

  const answer = (url: URL): { status: number; text: string } => {
    const q = url.searchParams;
    const fixture = fixtures.get(fixtureKey(q.get('latitude'), q.get('longitude'), q.get('start_date'), q.get('end_date'))) ?? fixtures.get(fixtureKey(q.get('latitude'), q.get('longitude')));
    if (fixture !== undefined) return { status: 200, text: fixture };
    const t = now();
    const result = answerAirQuality(q, { minDate: opts.minDate ?? '2013-01-01', maxDate: opts.maxDate ?? isoDatePlusDays(t, 7), now: t });
    return { status: result.status, text: JSON.stringify(result.body) };
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      // A bug in the emulator answers like the real API's generic failure.
      if (!res.headersSent) send(res, 500, { error: true, reason: `Something went wrong. ${(err as Error).message}` });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${host}:${addr.port}`,
    get requests() {
      return log.length;
    },
    get requestLog() {
      return log;
    },
    setFault(f: FaultMode) {
      fault = toFaultState(f);
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function toFaultState(f: FaultMode): { mode: FaultKind; remaining: number } {
  if (typeof f === 'string') return { mode: f, remaining: Infinity };
  if (!Number.isInteger(f.count) || f.count < 0) throw new Error(`fault count must be a non-negative integer, got ${f.count}`);
  return { mode: f.count === 0 ? 'none' : f.mode, remaining: f.count === 0 ? Infinity : f.count };
}

/** Keys compare numbers, so "40.0,116.40" in a fixture matches a request for 40,116.4. */
function fixtureKey(lat: string | null, lon: string | null, start?: string | null, end?: string | null): string {
  const parts = [String(Number(lat)), String(Number(lon))];
  if (start !== undefined || end !== undefined) parts.push(start ?? '', end ?? '');
  return parts.join(',');
}

async function loadFixtures(spec: Record<string, string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [key, file] of Object.entries(spec)) {
    const [lat, lon, start, end] = key.split(',').map((s) => s.trim());
    const k = start === undefined ? fixtureKey(lat ?? null, lon ?? null) : fixtureKey(lat ?? null, lon ?? null, start, end ?? null);
    out.set(k, await readFile(file, 'utf8'));
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendText(res, status, JSON.stringify(body), headers);
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(text);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': bytes.length, ...headers });
  res.end(bytes);
}
