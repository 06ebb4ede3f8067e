/**
 * A local stand-in for the TLC trip-data host: serves the files of a folder at
 * `/trip-data/<name>` with Content-Length, and answers a missing file as the real host does
 * (CloudFront over S3): HTTP 403 with an AccessDenied XML body. Faults can be switched on to test
 * retries: HTTP 500, or a body cut off halfway (the connection closes early).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export type TlcFaultKind = 'none' | '500' | 'truncated';
/** A fault on every request until changed, or `{ mode, count }`: the next `count` file requests, then recover. */
export type TlcFault = TlcFaultKind | { mode: TlcFaultKind; count: number };

export interface TlcEmulatorOptions {
  /** Folder whose files are served. */
  dir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  fault?: TlcFault;
}

export interface TlcEmulator {
  /** Base URL, e.g. http://127.0.0.1:41234 (the client's base_url). */
  readonly url: string;
  /** Path of every request received, in order. */
  readonly requestLog: readonly string[];
  setFault(f: TlcFault): void;
  close(): Promise<void>;
}

const NAME = /^\/trip-data\/([A-Za-z0-9._-]+)$/;

export async function startTlcEmulator(opts: TlcEmulatorOptions): Promise<TlcEmulator> {
  const log: string[] = [];
  let fault = toState(opts.fault ?? 'none');

  const takeFault = (): TlcFaultKind => {
    if (fault.mode === 'none' || fault.remaining <= 0) return 'none';
    fault.remaining -= 1;
    const mode = fault.mode;
    if (fault.remaining <= 0) fault = toState('none');
    return mode;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    log.push(req.url ?? '/');
    const m = NAME.exec(new URL(req.url ?? '/', 'http://emulator').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') return s3Error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    const file = m ? join(opts.dir, m[1]!) : undefined;
    const st = file ? await stat(file).catch(() => undefined) : undefined;
    // Like the real host: any key that is not there is AccessDenied (the bucket does not allow listing).
    if (!file || !st?.isFile()) return s3Error(res, 403, 'AccessDenied', 'Access Denied');
    const mode = takeFault();
    if (mode === '500') return s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
    res.writeHead(200, { 'content-type': 'binary/octet-stream', 'content-length': st.size, 'accept-ranges': 'bytes' });
    if (req.method === 'HEAD') return void res.end();
    if (mode === 'truncated') {
      const half = (await readFile(file)).subarray(0, Math.floor(st.size / 2));
      res.write(half, () => res.destroy()); // the peer sees the connection close before Content-Length bytes
      return;
    }
    createReadStream(file).pipe(res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) s3Error(res, 500, 'InternalError', err.message);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    requestLog: log,
    setFault: (f) => void (fault = toState(f)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function toState(f: TlcFault): { mode: TlcFaultKind; remaining: number } {
  return typeof f === 'string' ? { mode: f, remaining: Infinity } : { mode: f.mode, remaining: f.count };
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const id = randomBytes(8).toString('hex').toUpperCase();
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${id}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
