/**
 * spark-submit as a child process: one per backfill chunk, so every chunk gets a fresh JVM (and a
 * fresh YARN application) and nothing accumulates between chunks.
 *
 * The command comes from the service config's `spark:` section. Its output is streamed into
 * Strata's logs line by line (with the chunk's ids), the YARN application id is parsed from it as
 * soon as the YARN client prints it, cancelling (AbortSignal) kills the YARN application through the
 * ResourceManager's REST API and then the child, and a failure becomes a SparkError whose message
 * is the reason: the job's own error line, else YARN's final status and diagnostics, else the last
 * meaningful log lines.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SparkSettings } from './settings.ts';
import { StrataError } from '../core/errors.ts';
import type { Logger } from '../observability/logger.ts';

export class SparkError extends StrataError {
  /** The YARN application, when one was submitted. */
  get applicationId(): string | undefined {
    return this.context.application_id as string | undefined;
  }
}

const APP_RE = /\bapplication_\d+_\d+\b/;

export interface SubmitCommand {
  bin: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The YARN RM web address (status, kill), when the master is YARN. */
  resourceManager?: string;
  yarn: boolean;
}

/** Where spark-submit is: spark.spark_home, else $SPARK_HOME, else PATH. Throws SPARK_SUBMIT_MISSING. */
export function findSparkSubmit(settings: Pick<SparkSettings, 'spark_home'>, env: NodeJS.ProcessEnv = process.env): string {
  const home = settings.spark_home ?? env.SPARK_HOME;
  const candidates = home ? [join(home, 'bin', 'spark-submit')] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'spark-submit'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  const where = home ? `${join(home, 'bin', 'spark-submit')} (from ${settings.spark_home ? 'spark.spark_home' : 'SPARK_HOME'})` : 'on PATH (SPARK_HOME is not set)';
  throw new SparkError('SPARK_SUBMIT_MISSING', `spark-submit not found ${where}: install Spark (eval "$(scripts/spark/install.sh)") or set spark.spark_home in the service config`, { candidates });
}

/** The YARN RM web address from yarn-site.xml (yarn.resourcemanager.webapp.address, else hostname:8088). */
export function resourceManagerUrl(hadoopConfDir: string): string | undefined {
  const file = join(hadoopConfDir, 'yarn-site.xml');
  if (!existsSync(file)) return undefined;
  const xml = readFileSync(file, 'utf8');
  const prop = (name: string): string | undefined => {
    const re = new RegExp(`<name>\\s*${name.replaceAll('.', '\\.')}\\s*</name>\\s*<value>\\s*([^<]*?)\\s*</value>`);
    return re.exec(xml)?.[1];
  };
  const web = prop('yarn.resourcemanager.webapp.address');
  if (web && !web.includes('${')) return `http://${web}`;
  const host = prop('yarn.resourcemanager.hostname');
  return host ? `http://${host}:8088` : undefined;
}

/**
 * The spark-submit command line for a script (pure: tested without Spark). Strata's defaults come
 * first; `settings.conf` comes last, so it wins.
 */
export function sparkSubmitCommand(
  settings: SparkSettings,
  o: { script: string; args: string[]; appName: string; tag: string },
  env: NodeJS.ProcessEnv = process.env,
): SubmitCommand {
  const bin = findSparkSubmit(settings, env);
  const yarn = settings.master === 'yarn' || settings.master.startsWith('yarn');
  const conf: Record<string, string> = {
    'spark.ui.showConsoleProgress': 'false',
    // Shuffles sized to the cores the application has (not Spark's 200: a chunk is small, and
    // adaptive execution coalesces further). Set spark.sql.shuffle.partitions in `conf` for more.
    'spark.sql.shuffle.partitions': String(Math.max(2, 2 * totalCores(settings))),
  };
  const args = ['--master', settings.master, '--name', o.appName, '--driver-memory', settings.driver_memory, '--executor-memory', settings.executor_memory];
  const childEnv: NodeJS.ProcessEnv = { ...env };
  if (settings.spark_home) childEnv.SPARK_HOME = settings.spark_home;
  if (settings.python) {
    childEnv.PYSPARK_PYTHON = settings.python;
    childEnv.PYSPARK_DRIVER_PYTHON = settings.python;
    conf['spark.pyspark.python'] = settings.python;
  }
  let resourceManager: string | undefined;
  if (yarn) {
    const confDir = settings.hadoop_conf_dir ?? env.HADOOP_CONF_DIR ?? env.YARN_CONF_DIR;
    if (!confDir) {
      throw new SparkError('SPARK_NO_HADOOP_CONF', 'spark.master is yarn but no Hadoop configuration is known: set HADOOP_CONF_DIR (eval "$(scripts/yarn/yarn.sh start)" prints it) or spark.hadoop_conf_dir', {});
    }
    childEnv.HADOOP_CONF_DIR = confDir;
    childEnv.YARN_CONF_DIR ??= confDir;
    resourceManager = settings.resource_manager_url?.replace(/\/+$/, '') ?? resourceManagerUrl(confDir);
    args.push('--deploy-mode', settings.deploy_mode, '--queue', settings.queue, '--executor-cores', String(settings.executor_cores));
    conf['spark.yarn.tags'] = o.tag;
    // A failed attempt is a failed chunk: Strata retries the chunk, not YARN the application.
    conf['spark.yarn.maxAppAttempts'] = '1';
    conf['spark.yarn.submit.waitAppCompletion'] = 'true';
    if (settings.deploy_mode === 'client') conf['spark.yarn.am.memory'] = settings.driver_memory;
    if (settings.python && settings.deploy_mode === 'cluster') conf['spark.yarn.appMasterEnv.PYSPARK_PYTHON'] = settings.python;
  }
  const dyn = settings.dynamic_allocation;
  if (dyn?.enabled) {
    conf['spark.dynamicAllocation.enabled'] = 'true';
    conf['spark.dynamicAllocation.shuffleTracking.enabled'] = 'true';
    conf['spark.dynamicAllocation.minExecutors'] = String(dyn.min_executors);
    conf['spark.dynamicAllocation.maxExecutors'] = String(dyn.max_executors);
  } else if (yarn) {
    args.push('--num-executors', String(settings.num_executors));
  }
  const user = Object.entries(settings.conf ?? {}).map(([k, v]): [string, string] => [k, String(v)]);
  for (const [k, v] of [...Object.entries(conf).filter(([k]) => !user.some(([u]) => u === k)), ...user]) args.push('--conf', `${k}=${v}`);
  args.push(o.script, ...o.args);
  return { bin, args, env: childEnv, resourceManager, yarn };
}

/** Cores the application runs tasks on: local[N] / local[*], or executors × cores on a cluster. */
export function totalCores(settings: Pick<SparkSettings, 'master' | 'num_executors' | 'executor_cores' | 'dynamic_allocation'>): number {
  const local = /^local(?:\[(\d+|\*)(?:,\d+)?\])?$/.exec(settings.master);
  if (local) return local[1] === '*' ? availableParallelism() : Number(local[1] ?? 1);
  const executors = settings.dynamic_allocation?.enabled ? settings.dynamic_allocation.max_executors : settings.num_executors;
  return executors * settings.executor_cores;
}

export interface SubmitOptions {
  settings: SparkSettings;
  script: string;
  args: string[];
  appName: string;
  /** A unique YARN application tag: finds the application even if its id was never printed. */
  tag: string;
  log: Logger;
  signal?: AbortSignal;
  onApplication?: (id: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface SubmitResult {
  applicationId?: string;
  seconds: number;
}

/** Runs spark-submit to completion. Throws SparkError (code ≠ 0, cancelled, timed out, unreachable YARN, missing Spark). */
export async function sparkSubmit(o: SubmitOptions): Promise<SubmitResult> {
  const cmd = sparkSubmitCommand(o.settings, { script: o.script, args: o.args, appName: o.appName, tag: o.tag }, o.env ?? process.env);
  const log = o.log.child({ engine: 'spark' });
  if (cmd.yarn && cmd.resourceManager) await checkResourceManager(cmd.resourceManager);
  if (o.signal?.aborted) throw new SparkError('SPARK_CANCELLED', 'cancelled before spark-submit started', {});
  const t0 = Date.now();
  log.info({ master: o.settings.master, deploy_mode: cmd.yarn ? o.settings.deploy_mode : undefined, app: o.appName, cmd: [cmd.bin, ...cmd.args].join(' ') }, 'spark-submit');

  const child = spawn(cmd.bin, cmd.args, { env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let appId: string | undefined;
  let jobError: string | undefined;
  const tail: string[] = [];
  let killing: Promise<void> | undefined;
  let why: 'cancelled' | 'timeout' | undefined;

  const onLine = (line: string, stream: 'stdout' | 'stderr'): void => {
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 400) tail.shift();
    const m = APP_RE.exec(line);
    if (m && !appId) {
      appId = m[0];
      log.info({ application_id: appId }, 'YARN application submitted');
      o.onApplication?.(appId);
    }
    const tagged = /^(STRATA_JOB(?:_ERROR|_RESULT)?) (\{.*\})\s*$/.exec(line);
    if (tagged) {
      let payload: Record<string, unknown> = {};
      try {
        payload = JSON.parse(tagged[2]!) as Record<string, unknown>;
      } catch {
        payload = { raw: tagged[2] };
      }
      if (tagged[1] === 'STRATA_JOB_ERROR') {
        jobError = String(payload.error ?? tagged[2]);
        log.error({ application_id: appId, ...payload }, 'spark job failed');
      } else log.info({ application_id: appId, ...payload }, tagged[1] === 'STRATA_JOB_RESULT' ? 'spark job result' : 'spark job');
      return;
    }
    const level = lineLevel(line);
    log[level]({ application_id: appId, stream, line: line.length > 4000 ? `${line.slice(0, 4000)}…` : line }, 'spark');
  };
  createInterface({ input: child.stdout! }).on('line', (l) => onLine(l, 'stdout'));
  createInterface({ input: child.stderr! }).on('line', (l) => onLine(l, 'stderr'));
  // 'close' comes after the process ended and its output streams closed (every line seen).
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((res) => {
    let error: Error | undefined;
    child.once('error', (e) => {
      error = e;
      setTimeout(() => res({ code: null, signal: null, error }), 1000).unref();
    });
    child.once('close', (code, signal) => res({ code, signal, error }));
  });

  const kill = (reason: 'cancelled' | 'timeout'): void => {
    if (killing) return;
    why = reason;
    killing = (async () => {
      log.warn({ application_id: appId, reason }, 'killing the Spark application');
      if (cmd.yarn && cmd.resourceManager) await killYarnApps(cmd.resourceManager, appId, o.tag, log);
      signalGroup(child.pid, 'SIGTERM');
      const hard = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 10_000);
      hard.unref();
      await done;
      clearTimeout(hard);
      // spark-submit may have submitted an application it never named before it died.
      if (cmd.yarn && cmd.resourceManager) await killYarnApps(cmd.resourceManager, undefined, o.tag, log);
    })();
  };
  const onAbort = (): void => kill('cancelled');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => kill('timeout'), Math.min(o.settings.timeout_minutes * 60_000, 2 ** 31 - 1));
  timer.unref();

  const exit = await done;
  clearTimeout(timer);
  o.signal?.removeEventListener('abort', onAbort);
  if (killing) await killing;
  const seconds = (Date.now() - t0) / 1000;
  const ctx = { application_id: appId, exit_code: exit.code, signal: exit.signal, seconds };

  if (exit.error) {
    const code = (exit.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') throw new SparkError('SPARK_SUBMIT_MISSING', `cannot run ${cmd.bin}: ${exit.error.message}`, ctx);
    throw new SparkError('SPARK_SUBMIT_FAILED', `spark-submit could not start: ${exit.error.message}`, ctx);
  }
  if (why === 'cancelled') throw new SparkError('SPARK_CANCELLED', `cancelled${appId ? `: YARN application ${appId} killed` : ''}`, ctx);
  if (why === 'timeout') throw new SparkError('SPARK_TIMEOUT', `Spark application ${appId ?? '(not started)'} killed after ${o.settings.timeout_minutes} min (spark.timeout_minutes)`, ctx);
  if (exit.code !== 0) {
    const reasons: string[] = [];
    if (jobError) reasons.push(jobError);
    if (cmd.yarn && cmd.resourceManager && appId) {
      const st = await appState(cmd.resourceManager, appId);
      // Killed or failed by YARN: that is the reason; what the driver said after is a consequence.
      const yarnSays = st && `YARN application ${appId} ${st.state}/${st.finalStatus}${st.diagnostics ? `: ${st.diagnostics.split('\n')[0]}` : ''}`;
      if (yarnSays && (st.state === 'KILLED' || st.finalStatus === 'KILLED' || st.finalStatus === 'FAILED')) reasons.unshift(yarnSays);
      else if (yarnSays) reasons.push(yarnSays);
    }
    if (!reasons.length) reasons.push(meaningful(tail).join(' | ') || `no output (exit ${exit.code ?? exit.signal})`);
    throw new SparkError('SPARK_JOB_FAILED', `spark-submit exited ${exit.code ?? exit.signal}: ${reasons.join('; ')}`, { ...ctx, tail: tail.slice(-40) });
  }
  log.info({ application_id: appId, seconds }, 'spark-submit finished');
  return { applicationId: appId, seconds };
}

function lineLevel(line: string): 'error' | 'warn' | 'info' | 'debug' {
  // Spark 4's structured (JSON) log lines carry their level; log4j pattern lines have it as a word.
  const json = /^\{"ts": "[^"]*", "level": "([A-Z]+)"/.exec(line)?.[1];
  const word = json ?? /\b(ERROR|WARN|INFO|DEBUG|FATAL)\b/.exec(line.slice(0, 60))?.[1];
  if (word === 'ERROR' || word === 'FATAL' || /^Traceback|^\w+(\.\w+)*(Exception|Error)\b/.test(line)) return 'error';
  if (word === 'WARN') return 'warn';
  if (word === 'DEBUG') return 'debug';
  return 'info';
}

/** The lines that say what went wrong, last ones first-class: exceptions, errors, final states. */
function meaningful(lines: string[]): string[] {
  const picked = lines.filter((l) => /Exception|Error|error:|Caused by|FAILED|KILLED|Traceback|refused|not found/i.test(l) && !/^\s+at /.test(l));
  const out = [...new Set(picked.map((l) => {
    const json = /"msg": "((?:[^"\\]|\\.)*)"/.exec(l)?.[1];
    return (json ?? l).slice(0, 500);
  }))];
  return out.slice(-4);
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig); // the child's own process group (spawned detached): spark-submit, its JVM and the Python driver
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

async function rm(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
}

/** Fails fast (instead of the YARN client's minute of retries) when the ResourceManager does not answer. */
export async function checkResourceManager(base: string): Promise<void> {
  try {
    const r = await rm(`${base}/ws/v1/cluster/info`, { headers: { accept: 'application/json' } });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const info = (await r.json()) as { clusterInfo?: { state?: string } };
    if (info.clusterInfo?.state && info.clusterInfo.state !== 'STARTED') throw new Error(`state ${info.clusterInfo.state}`);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
    const why = e.cause?.code ?? e.cause?.errors?.find((x) => x.code)?.code ?? e.cause?.message ?? e.message;
    throw new SparkError('YARN_UNREACHABLE', `YARN ResourceManager at ${base} is unreachable (${why}): is YARN running? (scripts/yarn/yarn.sh start)`, { resource_manager: base });
  }
}

export interface AppState {
  state: string;
  finalStatus: string;
  diagnostics?: string;
}

export async function appState(base: string, id: string): Promise<AppState | undefined> {
  try {
    const r = await rm(`${base}/ws/v1/cluster/apps/${id}`, { headers: { accept: 'application/json' } });
    if (!r.ok) return undefined;
    const a = ((await r.json()) as { app?: AppState }).app;
    return a ? { state: a.state, finalStatus: a.finalStatus, diagnostics: a.diagnostics || undefined } : undefined;
  } catch {
    return undefined;
  }
}

/** Kills an application through the RM REST API (PUT …/state {"state":"KILLED"}). */
export async function killYarnApp(base: string, id: string): Promise<boolean> {
  const user = process.env.USER ?? process.env.LOGNAME ?? 'root';
  try {
    const r = await rm(`${base}/ws/v1/cluster/apps/${id}/state?user.name=${encodeURIComponent(user)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ state: 'KILLED' }),
    });
    return r.ok || r.status === 202;
  } catch {
    return false;
  }
}

const ACTIVE = 'NEW,NEW_SAVING,SUBMITTED,ACCEPTED,RUNNING';

/** Kills `id`, and every still-active application carrying `tag`. */
async function killYarnApps(base: string, id: string | undefined, tag: string, log: Logger): Promise<void> {
  const ids = new Set<string>(id ? [id] : []);
  try {
    const r = await rm(`${base}/ws/v1/cluster/apps?applicationTags=${encodeURIComponent(tag)}&states=${ACTIVE}`, { headers: { accept: 'application/json' } });
    if (r.ok) for (const a of ((await r.json()) as { apps?: { app?: { id: string }[] } | null }).apps?.app ?? []) ids.add(a.id);
  } catch {
    // the RM may be gone: nothing more to kill there
  }
  for (const app of ids) {
    const ok = await killYarnApp(base, app);
    log[ok ? 'info' : 'warn']({ application_id: app }, ok ? 'YARN application killed' : 'could not kill the YARN application (RM unreachable or already finished)');
  }
}
