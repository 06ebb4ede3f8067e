import { resolve } from 'node:path';
import type { LoadedTopology, ServiceConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { BronzeOperator } from '../operators/bronze/bronze.ts';
import type { Operator } from '../operators/operator.ts';
import { SqlOperator } from '../operators/sql/sql.ts';
import { LogSink, type Sink } from '../sinks/log/log.ts';
import { OpenMeteoClient } from '../sources/open-meteo/client.ts';
import { OpenMeteoPollSource, type ScheduledRun } from '../sources/open-meteo/poll-source.ts';
import { TlcClient } from '../sources/tlc/client.ts';
import { TlcSource } from '../sources/tlc/source.ts';
import type { Source } from '../sources/source.ts';
import { StrataError } from '../core/errors.ts';
import { buildTopicSource } from '../sources/topic/build.ts';
import { sourceActive, transportFor } from '../transport/index.ts';
import type { Transport } from '../transport/transport.ts';

export interface BuiltGraph {
  sources: Map<string, Source>;
  operators: Map<string, Operator>;
  sinks: Map<string, Sink>;
  /** Each node's input (one per operator; sinks may have several). */
  inputs: Map<string, string[]>;
  close(): Promise<void>;
}

export interface BuildDeps {
  config: ServiceConfig;
  log: Logger;
  metrics?: Metrics;
  /** Where HTTP responses are cached. */
  cacheDir: string;
  /** Engine state (schedules' last ticks); absent in one-off runs. */
  stateDir?: string;
  /** Shared by the topologies of a service; default: Kafka if brokers are configured, else in-process. */
  transport?: Transport;
  /** Scheduled runs (polls) as they start and end: the service records them in the run history. */
  onScheduledRun?: (topology: string, run: ScheduledRun) => void;
}

/** HTTP client hooks counting requests (by status), their duration, retries, and final failures. */
function httpHooks(metrics: Metrics | undefined, client: string) {
  return {
    onRequest: (e: { status: number | 'error'; attempt: number; durationMs?: number }) => {
      metrics?.httpRequests.inc({ client, status: String(e.status) });
      if (e.attempt > 1) metrics?.httpRetries.inc({ client });
      if (e.durationMs !== undefined) metrics?.httpRequestDuration.observe({ client }, e.durationMs / 1000);
    },
    onFailure: (e: { status: number | 'error' }) => metrics?.httpErrors.inc({ client, status: String(e.status) }),
  };
}

/** Turns a validated topology into live components, each built by its type (Vector-style registry by `type`). */
export function buildGraph(topo: LoadedTopology, deps: BuildDeps): BuiltGraph {
  const { spec, baseDir } = topo;
  const closers: (() => Promise<void>)[] = [];
  const sources = new Map<string, Source>();
  let transport: Transport | undefined;
  const ownTransport = (t: Transport): Transport => (closers.push(() => t.close()), t);
  for (const [name, s] of Object.entries(spec.sources)) {
    if (!sourceActive('when' in s ? s.when : undefined, deps.config)) continue; // e.g. a poller when Kafka is configured
    switch (s.type) {
      case 'open_meteo': {
        const om = deps.config.open_meteo;
        const client = new OpenMeteoClient({
          baseUrl: om.base_url,
          timeoutMs: om.timeout_ms,
          retries: om.retries,
          backoffMs: om.backoff_ms,
          maxDaysPerRequest: om.max_days_per_request,
          cacheDir: om.cache_ttl_hours > 0 ? resolve(deps.cacheDir, 'open-meteo') : undefined,
          cacheTtlMs: om.cache_ttl_hours * 3_600_000,
          ...httpHooks(deps.metrics, 'open_meteo'),
        });
        closers.push(() => client.close());
        const onRun = deps.onScheduledRun && ((run: ScheduledRun) => deps.onScheduledRun!(spec.name, run));
        sources.set(name, new OpenMeteoPollSource(name, s, { topology: spec.name, baseDir, client, log: deps.log.child({ source: name }), stateDir: deps.stateDir, onRun }));
        break;
      }
      case 'tlc': {
        const t = deps.config.tlc;
        const cacheDir = resolve(deps.cacheDir, 'tlc');
        const client = s.months?.length
          ? new TlcClient({
              baseUrl: t.base_url,
              cacheDir,
              timeoutMs: t.timeout_ms,
              retries: t.retries,
              backoffMs: t.backoff_ms,
              logger: deps.log,
              onRequest: httpHooks(deps.metrics, 'tlc').onRequest,
            })
          : undefined;
        if (client) closers.push(() => client.close());
        sources.set(name, new TlcSource(name, s, { topology: spec.name, baseDir, cacheDir, client, log: deps.log.child({ source: name }) }));
        break;
      }
      case 'topic': {
        transport ??= deps.transport ?? ownTransport(transportFor(deps.config, deps.log));
        sources.set(name, buildTopicSource(topo, name, s, transport, deps));
        break;
      }
    }
  }
  const operators = new Map<string, Operator>();
  const inputs = new Map<string, string[]>();
  for (const [name, op] of Object.entries(spec.operators)) {
    inputs.set(name, op.inputs);
    if (op.type === 'bronze') {
      operators.set(name, new BronzeOperator(name, op));
    } else {
      const up = spec.operators[op.inputs[0]!];
      operators.set(name, new SqlOperator(name, op, {
        baseDir,
        vars: spec.vars ?? {},
        upstreamTable: up ? (up.type === 'bronze' ? up.table : up.materialize.table) : undefined,
        upstreamPartition: up ? (up.type === 'bronze' ? up.partition_by : up.materialize.partition_by) : undefined,
      }));
    }
  }
  const sinks = new Map<string, Sink>();
  for (const [name, s] of Object.entries(spec.sinks ?? {})) {
    inputs.set(name, s.inputs);
    sinks.set(name, new LogSink(name, s, deps.log));
  }
  return { sources, operators, sinks, inputs, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}
