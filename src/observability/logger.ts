import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Keys whose values are secrets, wherever they sit (up to four levels deep in a logged object). */
const SECRET_KEYS = ['password', 'token', 'bearer_token', 'authorization', 'cookie', 'apiKey', 'api_key', 'secret', 'webhook_url', 'key_pem'];

/** Paths redacted everywhere: secrets never reach the logs (`[redacted]` instead). */
export const REDACT: string[] = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]),
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
];

let root: Logger | undefined;

/**
 * A logger as the process-wide one is made: JSON lines to `destination` (stderr by default) with the
 * secrets redacted, or pretty on a terminal (unless STRATA_LOG_FORMAT=json). Components add their
 * ids with `child()`: topology, run, batch, chunk, source.
 */
export function createLogger(opts: { level?: string; pretty?: boolean; destination?: DestinationStream } = {}): Logger {
  const level = opts.level ?? process.env.STRATA_LOG_LEVEL ?? 'info';
  const pretty = opts.pretty ?? (process.stderr.isTTY === true && process.env.STRATA_LOG_FORMAT !== 'json');
  return pino(
    { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } },
    pretty
      ? pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } })
      : (opts.destination ?? pino.destination({ fd: 2, sync: false })),
  );
}

/** The process-wide logger: JSON lines on stderr, pretty on a terminal (unless STRATA_LOG_FORMAT=json). */
export function logger(): Logger {
  root ??= createLogger();
  return root;
}
