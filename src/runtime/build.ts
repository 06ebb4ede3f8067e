import { resolve } from 'node:path';
import type { LoadedTopology, ServiceConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { BronzeOperator } from '../operators/bronze.ts';
import type { Operator } from '../operators/operator.ts';
import { SqlOperator } from '../operators/sql.ts';
import { LogSink, type Sink } from '../sinks/log.ts';
import { OpenMeteoClient } from '../sources/open-meteo/client.ts';
import { OpenMeteoPollSource } from '../sources/open-meteo/poll-source.ts';
import type { Source } from '../sources/source.ts';
import { StrataError } from '../errors.ts';

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
}

/** Turns a validated topology into live components, each built by its type (Vector-style registry by `type`). */
export function buildGraph(topo: LoadedTopology, deps: BuildDeps): BuiltGraph {
  const { spec, baseDir } = topo;
  const closers: (() => Promise<void>)[] = [];
  const sources = new Map<string, Source>();
  for (const [name, s] of Object.entries(spec.sources)) {
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
          onRequest: (e) => deps.metrics?.httpRequests.inc({ client: 'open_meteo', status: String(e.status) }),
        });
        closers.push(() => client.close());
        sources.set(name, new OpenMeteoPollSource(name, s, { topology: spec.name, baseDir, client, log: deps.log.child({ source: name }) }));
        break;
      }
      case 'topic':
        throw new StrataError('SOURCE_NOT_AVAILABLE', `${topo.file}: source ${name}: type "topic" needs the Kafka/transport layer, which this build does not include yet`, { source: name });
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
