import { operatorDef, sinkDef, sourceDef, writesOf, type LoadedTopology } from '../components/topology.ts';
import type { StatePaths } from '../core/state.ts';
import type { ServiceConfig } from '../config/service-schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Operator } from '../operators/operator.ts';
import type { Sink } from '../sinks/sink.ts';
import type { ScheduledRun, Source, SourceWhen } from '../sources/source.ts';
import { prefixed, transportFor } from '../transport/index.ts';
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
  /** Caches and schedules; schedules only when `persistent` (the service, not a one-off run). */
  state: StatePaths;
  /** Engine state (schedules' last ticks) is kept: the long-running service. */
  persistent?: boolean;
  /** Shared by the topologies of a service; default: Kafka if brokers are configured, else in-process. */
  transport?: Transport;
  /** Scheduled runs (polls) as they start and end: the service records them in the run history. */
  onScheduledRun?: (topology: string, run: ScheduledRun) => void;
}

/** Whether a source with this `when` runs under this config. */
export function sourceActive(when: SourceWhen, config: ServiceConfig): boolean {
  const kafka = config.kafka.brokers.length > 0;
  return when === 'kafka' ? kafka : when === 'embedded' ? !kafka : true;
}

/** Turns a validated topology into live components, each built by its type's definition. */
export function buildGraph(topo: LoadedTopology, deps: BuildDeps): BuiltGraph {
  const { spec, baseDir } = topo;
  const closers: (() => Promise<void>)[] = [];
  let transport = deps.transport;
  const sharedTransport = (): Transport => {
    if (!transport) {
      const t = transportFor(deps.config.kafka, deps.log);
      closers.push(() => t.close());
      transport = t;
    }
    return transport;
  };
  const topicName = (name: string): string => prefixed(deps.config.kafka, name);
  const dlq = spec.dead_letters.topic;
  const settings = deps.config as unknown as Record<string, unknown>;

  const sources = new Map<string, Source>();
  for (const [name, s] of Object.entries(spec.sources)) {
    if (!sourceActive(s.when, deps.config)) continue; // e.g. a poller when Kafka is configured
    const def = sourceDef(s.type);
    sources.set(
      name,
      def.build(name, s, {
        topology: spec.name,
        baseDir,
        log: deps.log.child({ source: name }),
        metrics: deps.metrics,
        cacheDir: deps.state.cache(),
        state: deps.persistent ? deps.state : undefined,
        settings: (def.settings ? settings[def.settings.key] : {}) as never,
        transport: sharedTransport,
        topicName,
        deadLetterTopic: dlq ? topicName(dlq) : undefined,
        onScheduledRun: deps.onScheduledRun && ((run) => deps.onScheduledRun!(spec.name, run)),
        onClose: (c) => void closers.push(c),
      }),
    );
  }
  const operators = new Map<string, Operator>();
  const inputs = new Map<string, string[]>();
  for (const [name, op] of Object.entries(spec.operators)) {
    inputs.set(name, op.inputs);
    operators.set(name, operatorDef(op.type).build(name, op, { baseDir, vars: spec.vars ?? {}, upstream: writesOf(spec, op.inputs[0]!) }));
  }
  const sinks = new Map<string, Sink>();
  for (const [name, s] of Object.entries(spec.sinks ?? {})) {
    inputs.set(name, s.inputs);
    const sink = sinkDef(s.type).build(name, s, {
      topology: spec.name,
      baseDir,
      log: deps.log.child({ sink: name }),
      metrics: deps.metrics,
      transport: sharedTransport,
      topicName,
      onClose: (c) => void closers.push(c),
    });
    if (sink.close) closers.push(() => sink.close!());
    sinks.set(name, sink);
  }
  return { sources, operators, sinks, inputs, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}
