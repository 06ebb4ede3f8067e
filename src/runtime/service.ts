import { resolve } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { loadTopology } from '../config/topology.ts';
import type { ServiceConfig } from '../config/types.ts';
import { openDuckDB } from '../engines/duckdb/instance.ts';
import { logger, type Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { startHttpServer, type HealthCheck } from '../observability/server.ts';
import { Warehouse } from '../warehouse/warehouse.ts';
import { buildGraph } from './build.ts';
import { topologyFiles } from './discover.ts';
import { Pipeline } from './pipeline.ts';

/** The long-running service: every enabled topology, its schedules, and the metrics/health server. */
export class Service {
  readonly pipelines = new Map<string, Pipeline>();
  readonly metrics = new Metrics().withProcessMetrics();
  readonly warehouse: Warehouse;
  private db?: DuckDBInstance;
  private http?: { url: string; close(): Promise<void> };
  private readonly log: Logger;

  constructor(readonly config: ServiceConfig, log: Logger = logger()) {
    this.log = log.child({ service: config.service.name });
    this.warehouse = new Warehouse(config.service.warehouse);
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
    await this.warehouse.cleanStaging();
    this.db = await openDuckDB({ ...this.config.duckdb, temp_directory: resolve(this.warehouse.root, '_state', 'duckdb_tmp') });
    if (this.config.metrics.enabled) {
      this.http = await startHttpServer({ host: this.config.metrics.host, port: this.config.metrics.port, metrics: this.metrics, checks: () => this.checks() });
      this.log.info({ url: this.http.url }, 'metrics and health endpoints listening');
    }
    for (const t of topologies) {
      const graph = buildGraph(t, { config: this.config, log: this.log, metrics: this.metrics, cacheDir: resolve(this.warehouse.stateDir, 'cache'), stateDir: this.warehouse.stateDir });
      const p = new Pipeline(t, graph, { db: this.db, warehouse: this.warehouse, log: this.log, metrics: this.metrics });
      await p.start();
      this.pipelines.set(t.spec.name, p);
      this.log.info({ topology: t.spec.name, file: t.file, warehouse: this.warehouse.root }, 'topology started');
    }
  }

  checks(): HealthCheck[] {
    const out: HealthCheck[] = [];
    for (const p of this.pipelines.values()) {
      out.push({ name: `topology:${p.name}`, check: () => ({ ok: p.status.running && !p.status.lastError, detail: p.status.lastError ?? `${p.status.batches} batches committed` }) });
      for (const s of p.sources) out.push({ name: `source:${p.name}.${s.name}`, check: () => s.health() });
    }
    return out;
  }

  /** Drains every pipeline (in-flight batches complete), then closes the server and DuckDB. */
  async stop(): Promise<void> {
    await Promise.all([...this.pipelines.values()].map((p) => p.stop()));
    this.pipelines.clear();
    await this.http?.close();
    this.db?.closeSync();
  }
}
