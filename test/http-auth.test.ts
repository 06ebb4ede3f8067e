// The HTTP bearer token on a real `strata run`: /readyz, /runs (and anything else) need it; /healthz
// and /metrics stay open for probes and Prometheus; the token never shows in logs or command output.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startOpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { freePort } from './support/net.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/strata.mjs');
const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

/** A service config in a fresh folder, with `http` (given that folder) as its http section. */
async function config(http: (dir: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-auth-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, `service: { name: auth-test, warehouse: ${JSON.stringify(join(dir, 'warehouse'))}, topologies: [${JSON.stringify(join(ROOT, 'topologies/air_quality.yaml'))}] }\n${http(dir)}\n`);
  return file;
}

function envFor(file: string, port: number, extra: Record<string, string>): NodeJS.ProcessEnv {
  // Debug logs: the most the service ever writes, so a leak anywhere in them is caught.
  const env: NodeJS.ProcessEnv = { ...process.env, STRATA_CONFIG: file, STRATA_METRICS_PORT: String(port), STRATA_LOG_FORMAT: 'json', STRATA_LOG_LEVEL: 'debug', ...extra };
  delete env.STRATA_KAFKA_BROKERS;
  delete env.STRATA_WAREHOUSE;
  return env;
}

/** Until the service logged that every topology started (the HTTP server answers before that). */
async function started(child: ChildProcess, log: () => string): Promise<void> {
  const end = Date.now() + 60_000;
  while (!log().includes('"msg":"strata running"')) {
    assert.ok(Date.now() < end && child.exitCode === null, `service did not come up: ${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode ?? new Promise((r) => child.once('exit', (code) => r(code)));
}

test('bearer token: /readyz and /runs need it, /healthz and /metrics do not; 401 with WWW-Authenticate; never logged', { timeout: 120_000 }, async () => {
  const emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
  const token = randomBytes(24).toString('base64url');
  const wrong = randomBytes(24).toString('base64url');
  const file = await config(() => 'http: { auth_token_env: STRATA_TEST_HTTP_TOKEN }');
  const port = await freePort();
  const env = envFor(file, port, { STRATA_OPEN_METEO_BASE_URL: emu.url, STRATA_TEST_HTTP_TOKEN: token });
  const child = spawn(process.execPath, [BIN, 'run'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const get = (path: string, auth?: string, method = 'GET'): Promise<Response> => fetch(`${url}${path}`, { method, headers: auth ? { authorization: auth } : {} });
  try {
    await started(child, () => log);

    // Open without a token: liveness and Prometheus.
    assert.equal((await get('/healthz')).status, 200);
    const metrics = await get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /strata_topology_up\{topology="air_quality"\} 1/);

    // Guarded: no token, a wrong one, another scheme, a HEAD, an unknown path (which must not list endpoints).
    for (const path of ['/readyz', '/runs', '/runs?kind=scheduled', '/nope']) {
      const none = await get(path);
      assert.equal(none.status, 401, `${path} without a token`);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm="strata"$/);
      assert.match(none.headers.get('content-type') ?? '', /application\/json/);
      const body = (await none.json()) as { error: string; endpoints?: unknown };
      assert.match(body.error, /missing bearer token/);
      assert.equal(body.endpoints, undefined, 'a 401 does not list the endpoints');
      const bad = await get(path, `Bearer ${wrong}`);
      assert.equal(bad.status, 401, `${path} with a wrong token`);
      assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer realm="strata", error="invalid_token"$/);
      assert.match(((await bad.json()) as { error: string }).error, /invalid bearer token/);
      assert.equal((await get(path, `Basic ${Buffer.from(`u:${token}`).toString('base64')}`)).status, 401, `${path} with Basic auth`);
      assert.equal((await get(path, `Bearer ${token}x`)).status, 401, `${path} with the token plus a character`);
      assert.equal((await get(path, `Bearer ${token.slice(0, -1)}`)).status, 401, `${path} with a prefix of the token`);
    }
    assert.equal((await get('/readyz', undefined, 'HEAD')).status, 401);

    // With the token (the scheme is case-insensitive, per RFC 7235).
    const ready = await get('/readyz', `Bearer ${token}`);
    assert.ok([200, 503].includes(ready.status), `/readyz with the token answers its checks, got ${ready.status}`);
    assert.ok(Array.isArray(((await ready.json()) as { checks: unknown[] }).checks));
    const runs = await get('/runs?limit=5', `bearer ${token}`);
    assert.equal(runs.status, 200);
    assert.ok(Array.isArray(((await runs.json()) as { runs: unknown[] }).runs));
    assert.equal((await get('/nope', `Bearer ${token}`)).status, 404);

    // Commands that print config-derived output.
    for (const args of [['describe', 'air_quality'], ['validate', file]]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8' });
      assert.equal(r.status, 0, `strata ${args.join(' ')}: ${r.stderr}`);
      assert.ok(!`${r.stdout}${r.stderr}`.includes(token), `strata ${args[0]} prints the token`);
    }

    child.kill('SIGTERM');
    assert.equal(await exited(child), 0, log.slice(-2000));
    assert.match(log, /"auth":"bearer token \(all but \/healthz, \/metrics\)"/, 'the log says the endpoints are guarded');
    assert.match(log, /"msg":"batch committed"/, 'the service logged its work');
    assert.ok(!log.includes(token), 'the token appears in the logs');
    assert.ok(!log.includes(wrong), 'a presented token appears in the logs');
  } finally {
    await emu.close();
  }
});

test('bearer token from a file; a token source that is unset refuses the start without quoting anything secret', { timeout: 60_000 }, async () => {
  const token = randomBytes(24).toString('base64url');
  let tokenFile = '';
  const file = await config((dir) => `http: { auth_token_file: ${JSON.stringify((tokenFile = join(dir, 'token')))} }`);
  await writeFile(tokenFile, `${token}\n`);
  const dead = `http://127.0.0.1:${await freePort()}`; // offline: this test is about access, not data
  const port = await freePort();
  const env = envFor(file, port, { STRATA_OPEN_METEO_BASE_URL: dead });
  const child = spawn(process.execPath, [BIN, 'run'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await started(child, () => log);
  assert.equal((await fetch(`${url}/runs`)).status, 401);
  assert.equal((await fetch(`${url}/runs`, { headers: { authorization: `Bearer ${token}` } })).status, 200, 'the trailing newline of the file is not part of the token');
  child.kill('SIGTERM');
  assert.equal(await exited(child), 0);
  assert.ok(!log.includes(token));

  // The named variable is not set: no start, and the reason names the variable.
  const unset = await config(() => 'http: { auth_token_env: STRATA_TEST_HTTP_TOKEN_UNSET }');
  const r = spawnSync(process.execPath, [BIN, 'run'], { cwd: ROOT, env: envFor(unset, await freePort(), { STRATA_OPEN_METEO_BASE_URL: dead }), encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /http\.auth_token_env: environment variable STRATA_TEST_HTTP_TOKEN_UNSET is not set/);
});
