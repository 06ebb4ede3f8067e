/**
 * `strata run` as a measured child: a service config naming only the topologies under test, JSON
 * logs parsed for the events the cases time (consumer joined, topology started, batch committed).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastLines, parseLogLine, strata, type Measured, type MeasuredResult } from './proc.ts';

export interface Commit {
  /** Epoch ms of the log line (written right after the batch's sinks and acknowledgement). */
  time: number;
  rows: number;
  batch: string;
  /** A Kafka batch's offset ranges, one per partition it grouped. */
  ranges?: { partition: number; first: string; last: string }[];
}

export interface ServiceOptions {
  dir: string;
  topologies: string[];
  warehouse: string;
  /** With brokers: topics read from Kafka, names prefixed (a fresh prefix = fresh topics and groups). */
  kafka?: { brokers: string; prefix: string };
  rssIntervalMs?: number;
}

export class Service {
  readonly commits: Commit[] = [];
  rows = 0;
  joinedAt?: number;
  startedAt?: number;
  readonly spawnedAt = Date.now();
  private failure?: string;
  private waiters: (() => void)[] = [];
  private constructor(readonly proc: Measured) {}

  static async start(o: ServiceOptions): Promise<Service> {
    const config = join(o.dir, `service-${Date.now().toString(36)}.yaml`);
    const kafka = o.kafka ? `kafka: { topic_prefix: ${JSON.stringify(o.kafka.prefix)} }\n` : '';
    await writeFile(config, `service: { name: bench, warehouse: ${JSON.stringify(o.warehouse)}, topologies: ${JSON.stringify(o.topologies)} }\nmetrics: { enabled: false }\n${kafka}`);
    const env: NodeJS.ProcessEnv = { ...process.env, STRATA_CONFIG: config, STRATA_LOG_FORMAT: 'json', STRATA_LOG_LEVEL: 'info' };
    if (o.kafka) env.STRATA_KAFKA_BROKERS = o.kafka.brokers;
    else delete env.STRATA_KAFKA_BROKERS;
    let svc!: Service;
    const proc = strata(['run'], { env, rssIntervalMs: o.rssIntervalMs, onStderr: (l) => svc.onLine(l) });
    svc = new Service(proc);
    void proc.done.then((r) => {
      svc.failure ??= `strata run exited with ${r.code ?? r.signal}\n${lastLines(r.stderrTail, 15)}`;
      svc.wake();
    });
    return svc;
  }

  private onLine(line: string): void {
    const e = parseLogLine(line);
    if (!e) return;
    const time = Number(e.time);
    if (e.msg === 'kafka consumer joined its group') this.joinedAt ??= time;
    else if (e.msg === 'topology started') this.startedAt ??= time;
    else if (e.msg === 'batch committed' && typeof e.rows === 'number' && typeof e.batch === 'string') {
      this.commits.push({ time, rows: e.rows, batch: e.batch, ranges: Array.isArray(e.ranges) ? (e.ranges as Commit['ranges']) : undefined });
      this.rows += e.rows;
    } else if (e.msg === 'batch failed after retries') this.failure = `a batch failed: ${String(e.error)}`;
    else return;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `pred` holds; rejects if the service fails or exits, or after `timeoutMs`. */
  async until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (this.failure) throw new Error(this.failure);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (${this.rows} rows committed)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  /** Waits for `pred`, then stops the service (also when waiting failed). */
  async run(pred: () => boolean, timeoutMs: number, what: string): Promise<MeasuredResult> {
    try {
      await this.until(pred, timeoutMs, what);
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this.stop();
  }

  /** SIGTERM (drain), SIGKILL if it does not exit in time. */
  stop(): Promise<MeasuredResult> {
    return this.proc.stop(30_000);
  }
}
