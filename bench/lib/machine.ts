/** What the figures were measured on: hardware, versions, commit, load. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths.ts';

export interface MachineInfo {
  cores: number;
  cpu_model: string;
  memory_gib: number;
  kernel: string;
  node: string;
  duckdb: string;
  duckdb_node_api: string;
  spark: string;
  kafka: string;
  kcat: string;
  git_commit: string;
  git_dirty: boolean;
  date: string;
  load_average_1m: number;
}

function tryExec(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

/** pyspark's version from SPARK_HOME (or the venv scripts/spark/install.sh makes) without starting a JVM. */
export function sparkVersion(sparkHome = process.env.SPARK_HOME): string {
  const venvLib = join(ROOT, '.cache/spark-venv/lib');
  const homes = sparkHome ? [sparkHome] : existsSync(venvLib) ? readdirSync(venvLib).map((py) => join(venvLib, py, 'site-packages/pyspark')) : [];
  for (const h of homes) {
    const f = join(h, 'version.py');
    if (existsSync(f)) return /__version__[^=]*=\s*['"]([^'"]+)/.exec(readFileSync(f, 'utf8'))?.[1] ?? 'unknown';
  }
  return 'not installed';
}

/** The version of the broker started by scripts/kafka/kafka.sh on `port`, from its classpath, plus its JVM flags. */
export function kafkaVersion(port = 19092): string {
  const pidFile = join(ROOT, `.cache/kafka-run-${port}/kafka.pid`);
  try {
    const pid = readFileSync(pidFile, 'utf8').trim();
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const version = args.map((a) => /kafka-(\d+\.\d+\.\d+)\/libs/.exec(a)?.[1]).find(Boolean) ?? 'unknown';
    const jvm = args.filter((a) => /^-X(mx|X:(TieredStopAtLevel|\+Use\w+GC))/.test(a)).join(' ');
    return `${version} (${jvm || 'default JVM flags'})`;
  } catch {
    return 'not started by scripts/kafka/kafka.sh';
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const { openDuckDB } = await import('../../src/duckdb/instance.ts');
  const db = await openDuckDB();
  const conn = await db.connect();
  const duckdb = String((await conn.runAndReadAll('SELECT version()')).getRowsJS()[0]![0]);
  conn.closeSync();
  db.closeSync();
  const api = JSON.parse(readFileSync(join(ROOT, 'node_modules/@duckdb/node-api/package.json'), 'utf8')) as { version: string };
  return {
    cores: cpus().length,
    cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    duckdb,
    duckdb_node_api: api.version,
    spark: sparkVersion(),
    kafka: kafkaVersion(Number(/:(\d+)/.exec(process.env.STRATA_KAFKA_BROKERS ?? '')?.[1] ?? 19092)),
    kcat: /Version (\S+)/.exec(tryExec('kcat', ['-V']) ?? '')?.[1] ?? 'not installed',
    git_commit: tryExec('git', ['rev-parse', '--short=12', 'HEAD']) ?? 'unknown',
    git_dirty: (tryExec('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'sql', 'topologies', 'config', 'bin']) ?? '') !== '',
    date: new Date().toISOString(),
    load_average_1m: Math.round(loadavg()[0]! * 10) / 10,
  };
}
