/**
 * The services some cases need. The harness uses what is already running, starts what is not (as
 * scripts/test.sh does) and, at exit, stops only what it started.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './paths.ts';

const exec = promisify(execFile);
const stops: (() => Promise<void>)[] = [];

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

async function brokerReachable(brokers: string): Promise<boolean> {
  try {
    const { stdout } = await exec('kcat', ['-b', brokers, '-L', '-J', '-m', '5'], { timeout: 20_000 });
    return ((JSON.parse(stdout) as { brokers?: unknown[] }).brokers?.length ?? 0) > 0;
  } catch {
    return false;
  }
}

let kafkaReady: Promise<string> | undefined;

/** A reachable broker; a local one on 127.0.0.1 is started with scripts/kafka/kafka.sh if down. */
export function ensureKafka(brokers: string): Promise<string> {
  kafkaReady ??= (async () => {
    if (spawnSync('kcat', ['-V']).status !== 0) throw new Error('kcat is not installed: run scripts/kafka/kafka.sh install (installs Debian\'s kcat)');
    if (await brokerReachable(brokers)) return brokers;
    const local = /^(127\.0\.0\.1|localhost):(\d+)$/.exec(brokers);
    if (!local) throw new Error(`no Kafka broker reachable at ${brokers}`);
    const env = { ...process.env, KAFKA_PORT: local[2] };
    log(`starting Kafka on ${brokers} (scripts/kafka/kafka.sh start)`);
    await exec('bash', [join(ROOT, 'scripts/kafka/kafka.sh'), 'start'], { env, timeout: 15 * 60_000 });
    stops.push(async () => {
      log('stopping the Kafka broker the harness started');
      await exec('bash', [join(ROOT, 'scripts/kafka/kafka.sh'), 'stop'], { env, timeout: 60_000 });
    });
    if (!(await brokerReachable(brokers))) throw new Error(`Kafka started but ${brokers} does not answer`);
    return brokers;
  })();
  return kafkaReady;
}

let sparkReady: Promise<NodeJS.ProcessEnv> | undefined;

/**
 * The environment spark-submit needs: the current one when SPARK_HOME is set, else what
 * `eval "$(scripts/spark/install.sh)"` exports (installing pyspark into .cache on a fresh machine).
 * Spark local[N] needs no service to be started.
 */
export function sparkEnv(): Promise<NodeJS.ProcessEnv> {
  sparkReady ??= (async () => {
    if (process.env.SPARK_HOME && process.env.PYSPARK_PYTHON) return { ...process.env };
    log('setting up Spark (eval "$(scripts/spark/install.sh)")');
    const { stdout } = await exec('bash', ['-c', 'eval "$(scripts/spark/install.sh)" && env -0'], { cwd: ROOT, maxBuffer: 16 << 20, timeout: 30 * 60_000 });
    const env: NodeJS.ProcessEnv = {};
    for (const kv of stdout.split('\0')) {
      const i = kv.indexOf('=');
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    if (!env.SPARK_HOME) throw new Error('scripts/spark/install.sh did not export SPARK_HOME');
    process.env.SPARK_HOME = env.SPARK_HOME;
    return env;
  })();
  return sparkReady;
}

/** Stops, in reverse order, what ensureKafka & co. started. */
export async function stopStartedServices(): Promise<void> {
  while (stops.length) await stops.pop()!().catch((e: Error) => log(`stop failed: ${e.message}`));
}
