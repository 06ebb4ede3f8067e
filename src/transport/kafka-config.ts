import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { KafkaSettings } from './settings.ts';
import { ConfigError } from '../core/errors.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * kafkajs client options from the service config. Secrets are read here, at connect time, from
 * the named environment variable or file; they are never part of the config object that is logged.
 */
export function kafkaClientConfig(cfg: KafkaSettings, log: Logger, env: NodeJS.ProcessEnv = process.env): KafkaConfig {
  return {
    clientId: cfg.client_id,
    brokers: cfg.brokers,
    connectionTimeout: cfg.connection_timeout_ms,
    ssl: sslOptions(cfg.ssl),
    sasl: saslOptions(cfg.sasl, env),
    // kafkajs retries each request a few times; longer outages are retried by Strata with back-off.
    retry: { initialRetryTime: 300, retries: 4, maxRetryTime: Math.min(cfg.max_backoff_ms, 5000) },
    logLevel: logLevel.WARN,
    logCreator: () => (e: LogEntry) => kafkaLog(log, e),
  };
}

function kafkaLog(log: Logger, e: LogEntry): void {
  const { message, ...extra } = e.log;
  // kafkajs reports every failed attempt (connection refused, topic being created) as an error;
  // Strata logs the outcome (retrying, crashed, not ready) itself, so these are detail.
  log.debug({ component: 'kafkajs', namespace: e.namespace, ...pick(extra) }, String(message));
}

/** Only plain, non-secret fields of a kafkajs log entry. */
function pick(extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['broker', 'clientId', 'groupId', 'topic', 'partition', 'error', 'retryCount', 'retryTime']) if (extra[k] !== undefined) out[k] = extra[k];
  return out;
}

function sslOptions(ssl: KafkaSettings['ssl']): ConnectionOptions | boolean | undefined {
  if (ssl === undefined || typeof ssl === 'boolean') return ssl;
  const read = (f: string | undefined, what: string): string | undefined => {
    if (!f) return undefined;
    try {
      return readFileSync(f, 'utf8');
    } catch (err) {
      throw new ConfigError([{ file: f, line: 1, col: 1, reason: `kafka.ssl.${what}: cannot read: ${(err as Error).message}` }]);
    }
  };
  return { ca: read(ssl.ca_file, 'ca_file'), cert: read(ssl.cert_file, 'cert_file'), key: read(ssl.key_file, 'key_file'), rejectUnauthorized: ssl.reject_unauthorized ?? true };
}

function saslOptions(sasl: KafkaSettings['sasl'], env: NodeJS.ProcessEnv): SASLOptions | undefined {
  if (!sasl) return undefined;
  let password: string | undefined;
  if (sasl.password_env) password = env[sasl.password_env];
  else if (sasl.password_file) {
    try {
      password = readFileSync(sasl.password_file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError([{ file: sasl.password_file, line: 1, col: 1, reason: `kafka.sasl.password_file: cannot read: ${(err as Error).message}` }]);
    }
  }
  if (password === undefined) {
    const where = sasl.password_env ? `environment variable ${sasl.password_env} is not set` : 'set kafka.sasl.password_env or kafka.sasl.password_file';
    throw new ConfigError([{ file: 'service config', line: 1, col: 1, reason: `kafka.sasl: no password (${where})` }]);
  }
  return { mechanism: sasl.mechanism, username: sasl.username, password };
}
