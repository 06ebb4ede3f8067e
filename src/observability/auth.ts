import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HttpSettings } from './settings.ts';
import { ConfigError } from '../core/errors.ts';

/** RFC 6750 `b64token`: what may follow `Bearer ` in an Authorization header. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The bearer token guarding the HTTP endpoints, or undefined when none is configured. Like the
 * Kafka password it is read here, from the named environment variable or file, so it is never part
 * of the config object (which is logged and printed); only its source is.
 */
export function httpAuthToken(http: HttpSettings | undefined, env: NodeJS.ProcessEnv = process.env, configFile = 'service config'): string | undefined {
  if (!http?.auth_token_env && !http?.auth_token_file) return undefined;
  const problem = (reason: string, file = configFile): ConfigError => new ConfigError([{ file, line: 1, col: 1, reason }]);
  if (http.auth_token_env && http.auth_token_file) throw problem('http: set one of auth_token_env and auth_token_file, not both');
  let token: string | undefined;
  let from: string;
  if (http.auth_token_env) {
    from = `environment variable ${http.auth_token_env}`;
    token = env[http.auth_token_env];
    if (token === undefined) throw problem(`http.auth_token_env: ${from} is not set`);
  } else {
    from = `file ${http.auth_token_file}`;
    try {
      token = readFileSync(http.auth_token_file!, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw problem(`http.auth_token_file: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, http.auth_token_file);
    }
  }
  // The token's value is never quoted in these errors: only where it came from.
  if (!token) throw problem(`http: the bearer token in ${from} is empty`);
  if (!B64TOKEN.test(token)) throw problem(`http: the bearer token in ${from} has characters a Bearer header cannot carry (allowed: A-Z a-z 0-9 - . _ ~ + / and trailing =)`);
  return token;
}

export type AuthResult = 'ok' | 'missing' | 'invalid';

/**
 * Checks an Authorization header against the token in constant time: both sides are hashed first,
 * so neither the content nor the length of the token shows in the comparison's timing.
 */
export function checkBearer(header: string | undefined, token: string): AuthResult {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return 'missing';
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(m[1]!), digest(token)) ? 'ok' : 'invalid';
}
