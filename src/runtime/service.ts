import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { loadServiceConfig } from '../config/service.ts';
import { loadTopology } from '../config/topology.ts';
import { ConfigError, formatProblem } from '../core/errors.ts';
import type { LoadedTopology } from '../components/topology.ts';
import type { ServiceConfig } from '../config/service-schema.ts';
import { openDuckDB } from '../duckdb/instance.ts';
import { logger, type Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { httpAuthToken } from '../observability/auth.ts';
import { startHttpServer, type HealthCheck } from '../observability/server.ts';
import type { ScheduledRun } from '../sources/source.ts';
import type { RunRecord } from '../core/runs.ts';
import { RunHistory } from './runs.ts';
import { RunHistoryTail } from './runs-tail.ts';
import { openWarehouse } from '../warehouse/index.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { buildGraph } from './build.ts';
import { topologyFiles } from './discover.ts';
import { Pipeline, type FailingBatch } from './pipeline.ts';
import { topologyFingerprint, watchedFolders } from './fingerprint.ts';
import { FolderWatcher } from './watch.ts';

/** The long-running service: every enabled topology, its schedules, and the metrics/health server. */
export class Service {
  readonly pipelines = new Map<string, Pipeline>();
  readonly metrics = new Metrics().withProcessMetrics();
  readonly warehouse: Warehouse;
  private db?: DuckDBInstance;
  private http?: { url: string; close(): Promise<void> };
  private readonly log: Logger;
  /** Run history (`_state/runs.jsonl`): scheduled runs are recorded here; what others append is read back into the metrics. */
  readonly runs: RunHistory;
  private readonly runsTail: RunHistoryTail;
  private historyWrites: Promise<void> = Promise.resolve();
  /** Topologies with a scheduled source: a batch is expected at least once per schedule period. */
  private readonly scheduled = new Set<string>();
  /** What each running topology was started from (its file and every file it reads). */
  private readonly fingerprints = new Map<string, string>();
  private configHash = '';
  private watcher?: FolderWatcher;
  /** The HTTP bearer token (from http.auth_token_env/_file); kept out of `config`, which is logged. */
  private authToken?: string;

  constructor(public config: ServiceConfig, log: Logger = logger()) {
    this.log = log.child({ service: config.service.name });
    this.warehouse = openWarehouse(config);
    this.runs = new RunHistory(this.warehouse.state, { onRecord: (r) => this.metrics.observeRun(r) });
    // Backfills run by `strata backfill` (another process) and Spark jobs append here: count them on each scrape.
    this.runsTail = new RunHistoryTail(this.runs.file, (r) => this.metrics.observeRun(r));
    this.metrics.onScrape(() => this.runsTail.poll());
    this.metrics.setFreshnessSource(() => this.warehouse.freshness('gold'));
  }

  get url(): string | undefined {
    return this.http?.url;
  }

  /** Loads every topology first: a bad file stops the start with file:line:col, and nothing runs. */
  async start(): Promise<void> {
    const topologies = [];
    for (const file of await topologyFiles(this.config)) {
      const t = await loadTopology(file);
      if (t.spec.enabled === false) continue;
      topologies.push(t);
    }
    this.authToken = httpAuthToken(this.config.http, process.env, this.config.file);
    await this.warehouse.recover();
    this.db = await openDuckDB({ ...this.config.duckdb, temp_directory: this.warehouse.state.duckdbTemp });
    if (this.config.metrics.enabled) {
      this.http = await startHttpServer({
        host: this.config.metrics.host,
        port: this.config.metrics.port,
        metrics: this.metrics,
        checks: () => this.checks(),
        runs: async (q) => (await this.runs.list({ topology: q.topology, kind: q.kind, parent: q.parent })).slice(0, q.limit),
        authToken: () => this.authToken,
      });
      this.log.info({ url: this.http.url, auth: this.authToken ? 'bearer token (all but /healthz, /metrics)' : 'none' }, 'metrics and health endpoints listening');
    }
    for (const t of topologies) await this.startPipeline(t);
    this.configHash = serviceConfigHash(this.config.file);
    if (this.config.service.watch !== false) {
      this.watcher = new FolderWatcher(() => this.reconcile());
      this.watcher.setFolders(this.watchedFolders());
    }
  }

  private async startPipeline(t: LoadedTopology): Promise<void> {
    const graph = buildGraph(t, {
      config: this.config,
      log: this.log,
      metrics: this.metrics,
      state: this.warehouse.state,
      persistent: true,
      onScheduledRun: (topology, run) => this.recordScheduledRun(topology, run),
    });
    const scheduled = Object.entries(t.spec.sources).filter(([n, s]) => graph.sources.has(n) && 'schedule' in s && s.schedule).map(([n]) => n);
    this.metrics.initTopology(t.spec.name, {
      operators: [...graph.operators.keys()],
      sources: [...graph.sources.keys()],
      scheduledSources: scheduled,
      topicSources: [...graph.sources.values()].filter((s) => s.kind === 'topic').map((s) => s.name),
    });
    if (scheduled.length) this.scheduled.add(t.spec.name);
    else this.scheduled.delete(t.spec.name);
    // A live service never gives up on a batch that an operator or a warehouse write fails on (a SQL
    // bug, a full or read-only disk): dropping or dead-lettering it would lose good records. It retries
    // with capped back-off, reports not ready, and goes on once the SQL is fixed or the disk recovers.
    const p = new Pipeline(t, graph, { db: this.db!, warehouse: this.warehouse, log: this.log, metrics: this.metrics }, { retries: Infinity, maxRetryBackoffMs: RETRY_MAX_BACKOFF_MS });
    await p.start();
    this.pipelines.set(t.spec.name, p);
    this.fingerprints.set(t.spec.name, topologyFingerprint(t));
    this.log.info({ topology: t.spec.name, file: t.file, warehouse: this.warehouse.location }, 'topology started');
  }

  /** Folders whose changes may change a running topology: the topology folders, and everything they read. */
  private watchedFolders(): string[] {
    const base = this.config.file ? dirname(dirname(this.config.file)) : process.cwd();
    const out = new Set<string>(this.config.service.topologies.map((t) => {
      const p = resolve(base, t);
      return existsSync(p) && statSync(p).isDirectory() ? p : dirname(p);
    }));
    if (this.config.file) out.add(dirname(this.config.file));
    for (const p of this.pipelines.values()) for (const f of watchedFolders(p.topology)) out.add(f);
    return [...out];
  }

  /**
   * Applies edited config files to the running service. Each topology file is validated; an invalid
   * one is rejected with file:line:col in the log and a metric, and its running version keeps going.
   * A changed topology (its file or any file it reads) is drained at a batch boundary and started
   * again from the committed position; a new one is started, a removed one stopped. An edited
   * service config restarts every topology with it.
   */
  async reconcile(): Promise<void> {
    const configHash = serviceConfigHash(this.config.file);
    if (configHash !== this.configHash) {
      try {
        const next = await loadServiceConfig(this.config.file);
        const token = httpAuthToken(next.http, process.env, next.file); // a bad token source rejects the whole edit
        if (next.service.warehouse !== this.config.service.warehouse || next.metrics.port !== this.config.metrics.port || next.metrics.host !== this.config.metrics.host) {
          this.log.warn({ file: this.config.file }, 'warehouse and metrics address changes take effect at the next restart');
          next.service.warehouse = this.config.service.warehouse;
          next.metrics = this.config.metrics;
        }
        this.config = next;
        this.authToken = token;
        this.configHash = configHash;
        this.fingerprints.clear(); // every topology restarts with the new settings
        this.log.info({ file: this.config.file }, 'service config reloaded');
      } catch (err) {
        this.configHash = configHash;
        this.rejectConfig(this.config.file ?? 'service config', err);
      }
    }
    const wanted = new Map<string, LoadedTopology>();
    const rejectedFiles = new Set<string>();
    for (const file of await topologyFiles(this.config)) {
      try {
        const t = await loadTopology(file);
        if (t.spec.enabled === false) continue;
        const dup = wanted.get(t.spec.name);
        if (dup) throw new ConfigError([{ file, line: 1, col: 1, reason: `topology name "${t.spec.name}" is already used by ${dup.file}` }]);
        wanted.set(t.spec.name, t);
      } catch (err) {
        rejectedFiles.add(resolve(file));
        this.rejectConfig(file, err);
      }
    }
    let changed = 0;
    for (const [name, p] of [...this.pipelines]) {
      if (wanted.has(name) || rejectedFiles.has(p.topology.file)) continue;
      await p.stop();
      this.pipelines.delete(name);
      this.fingerprints.delete(name);
      this.metrics.topologyUp.set({ topology: name }, 0);
      this.log.info({ topology: name, file: p.topology.file }, 'topology removed: stopped');
      changed++;
    }
    for (const [name, t] of wanted) {
      const old = this.pipelines.get(name);
      if (old && this.fingerprints.get(name) === topologyFingerprint(t)) continue;
      if (old) {
        this.log.info({ topology: name }, 'topology changed: draining the running version at a batch boundary');
        await old.stop();
        this.pipelines.delete(name);
      }
      try {
        await this.startPipeline(t);
      } catch (err) {
        this.rejectConfig(t.file, err);
        if (old) await this.startPipeline(old.topology); // the previous version goes on
        continue;
      }
      changed++;
    }
    if (changed) this.metrics.configReloads.inc({ result: 'applied' });
    this.watcher?.setFolders(this.watchedFolders());
  }

  private rejectConfig(file: string, err: unknown): void {
    const problems = err instanceof ConfigError ? err.problems.map(formatProblem) : [`${file}: ${(err as Error).message}`];
    for (const p of problems) this.log.error({ file, problem: p }, `config rejected, the running version stays: ${p}`);
    this.metrics.configReloads.inc({ result: 'rejected' });
  }

  /**
   * /readyz: that no warehouse write keeps failing (disk full, read-only: the OS error and path);
   * per topology, that it runs, no batch is held by a failing operator, and its latest batch did not
   * fail; for a topology with a scheduled source, that a batch was committed within
   * `metrics.max_batch_age_seconds` (0 = no limit; a topic may rightly stay idle, its lag is on the
   * Kafka dashboard); and each source's own health (upstream reachable, last poll ok, consumer
   * connected).
   */
  checks(): HealthCheck[] {
    const out: HealthCheck[] = [{ name: 'warehouse', check: () => warehouseHealth(this.warehouse.location, [...this.pipelines.values()]) }];
    const maxAge = this.config.metrics.max_batch_age_seconds ?? 0;
    for (const p of this.pipelines.values()) {
      out.push({ name: `topology:${p.name}`, check: () => topologyHealth(p) });
      if (maxAge > 0 && this.scheduled.has(p.name)) out.push({ name: `last_batch:${p.name}`, check: () => lastBatchHealth(p, maxAge) });
      for (const s of p.sources) out.push({ name: `source:${p.name}.${s.name}`, check: () => s.health() });
    }
    return out;
  }

  /** A poll's start and end go to the run history, in order (which also counts them in the metrics). */
  private recordScheduledRun(topology: string, run: ScheduledRun): void {
    const rec: RunRecord = {
      id: run.id,
      kind: 'scheduled',
      topology,
      engine: 'duckdb',
      params: { source: run.source, locations: run.locations, ...(run.failures ? { failed_locations: run.failures } : {}) },
      window: run.window,
      status: run.status,
      started_at: run.startedAt.toISOString(),
      ...(run.endedAt ? { ended_at: run.endedAt.toISOString() } : {}),
      ...(run.rows !== undefined ? { rows_in: run.rows } : {}),
      ...(run.error ? { error: run.error } : {}),
    };
    this.historyWrites = this.historyWrites
      .then(() => this.runs.record(rec))
      .catch((err: unknown) => this.log.warn({ err, run: run.id }, 'could not record the scheduled run in the run history'));
  }

  /** Drains every pipeline (in-flight batches complete), then closes the server and DuckDB. */
  async stop(): Promise<void> {
    this.watcher?.close();
    await this.watcher?.idle();
    await Promise.all([...this.pipelines.values()].map((p) => p.stop()));
    this.pipelines.clear();
    await this.historyWrites;
    await this.http?.close();
    this.db?.closeSync();
  }
}

function topologyHealth(p: Pipeline): { ok: boolean; detail: string } {
  const s = p.status;
  if (!s.running) return { ok: false, detail: 'not running' };
  if (s.failing) return { ok: false, detail: describeFailing(s.failing) };
  if (s.lastFailedAt && s.lastFailedAt >= (s.lastBatchAt ?? 0)) return { ok: false, detail: `last batch failed: ${s.lastError ?? 'unknown error'}` };
  return { ok: true, detail: `${s.batches} batches committed, ${s.failedBatches} failed${s.lastError ? ` (earlier failure: ${s.lastError})` : ''}` };
}

/** Longest wait between two attempts at a failing batch. */
const RETRY_MAX_BACKOFF_MS = 30_000;

function describeFailing(f: FailingBatch): string {
  const next = f.nextRetryAt ? `, next in ${Math.max(0, Math.round((f.nextRetryAt - Date.now()) / 1000))} s` : '';
  return `operator ${f.operator} failing on batch ${f.batch} since ${new Date(f.since).toISOString()} (${f.attempts} attempt${f.attempts === 1 ? '' : 's'}${next}; the batch is held, not dropped): ${f.error}`;
}

/** Not ready while a table write keeps failing (disk full, read-only, permissions): which, and the OS error. */
function warehouseHealth(root: string, pipelines: Pipeline[]): { ok: boolean; detail: string } {
  const failing = pipelines.flatMap((p) => (p.status.failing?.cause === 'warehouse' ? [`${p.name}.${p.status.failing.operator}: ${p.status.failing.error}`] : []));
  return failing.length ? { ok: false, detail: `writes failing, retried with back-off: ${failing.join('; ')}` } : { ok: true, detail: `${root}: no failing write` };
}

function lastBatchHealth(p: Pipeline, maxAgeSeconds: number): { ok: boolean; detail: string } {
  const s = p.status;
  if (s.liveSources === 0) return { ok: true, detail: 'every source has finished (nothing more to expect)' };
  const since = s.lastBatchAt ?? s.startedAt ?? Date.now();
  const age = Math.round((Date.now() - since) / 1000);
  const what = s.lastBatchAt ? `last batch committed ${age} s ago` : `no batch committed since the start ${age} s ago`;
  return age <= maxAgeSeconds ? { ok: true, detail: what } : { ok: false, detail: `${what} (limit ${maxAgeSeconds} s, metrics.max_batch_age_seconds)` };
}

function serviceConfigHash(file: string | undefined): string {
  return file && existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : '';
}
