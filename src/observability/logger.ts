import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths redacted everywhere: secrets never reach the logs. */
const REDACT = [
  '*.password', '*.sasl.password', '*.token', '*.bearer_token', '*.authorization', '*.apiKey', '*.api_key',
  'config.kafka.sasl.password', 'headers.authorization',
];

let root: Logger | undefined;

/** The process-wide logger: JSON lines, pretty on a terminal (unless STRATA_LOG_FORMAT=json). */
export function logger(): Logger {
  if (root) return root;
  const level = process.env.STRATA_LOG_LEVEL ?? 'info';
  const pretty = process.stderr.isTTY && process.env.STRATA_LOG_FORMAT !== 'json';
  root = pino(
    { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } },
    pretty
      ? pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true } })
      : pino.destination({ fd: 2, sync: false }),
  );
  return root;
}
