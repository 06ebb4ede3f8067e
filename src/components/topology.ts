/**
 * A topology's types and the generic questions about its nodes (which definition, which table,
 * which files, one line to describe it), all answered through the registry.
 */
import type { TableRef, FileRef, NodeSpec } from '../core/component.ts';
import { NamedMap, RelativePath, Strict, TableName, TopicName, Identifier, Type, type Static } from '../core/schema.ts';
import type { OperatorDef } from '../operators/operator.ts';
import type { SinkDef } from '../sinks/sink.ts';
import type { SourceDef } from '../sources/source.ts';
import { OPERATORS, SINKS, SOURCES } from './registry.ts';

export type SourceSpec = NodeSpec<(typeof SOURCES)[number]>;
export type OperatorSpec = NodeSpec<(typeof OPERATORS)[number]>;
export type SinkSpec = NodeSpec<(typeof SINKS)[number]>;

/** A topology's own properties (its nodes are added per kind from the registry). */
export const TopologyHeader = {
  name: Identifier,
  description: Type.Optional(Type.String()),
  enabled: Type.Boolean({ default: true }),
  vars: Type.Optional(
    NamedMap(Type.Unsafe<string | number>({ type: ['string', 'number'] }), { description: 'Values substituted into SQL as {{ var(\'name\') }}.' }),
  ),
  dead_letters: Strict(
    {
      table: { ...TableName, default: 'bronze.dead_letters' },
      topic: Type.Optional({ ...TopicName, description: 'Also publish them to this Kafka topic (when brokers are configured).' }),
    },
    { default: {}, description: 'Where records a source cannot decode or validate go, with the reason and original bytes.' },
  ),
  seeds: Type.Optional(
    Type.Array(Strict({ table: TableName, file: RelativePath('A CSV file.') }), { description: 'Static tables loaded from CSV files when the topology starts.' }),
  ),
};

export type TopologySpec = Static<ReturnType<typeof Strict<typeof TopologyHeader>>> & {
  sources: Record<string, SourceSpec>;
  operators: Record<string, OperatorSpec>;
  sinks?: Record<string, SinkSpec>;
};

/** A topology as loaded: its spec, the file it came from, and paths resolved against that file. */
export interface LoadedTopology {
  spec: TopologySpec;
  file: string;
  /** Directory relative paths in the file are resolved against. */
  baseDir: string;
  /** Node names in execution order (sources first, then operators, then sinks). */
  order: string[];
}

export type Section = 'sources' | 'operators' | 'sinks';
export const SECTIONS: Record<Section, readonly (SourceDef | OperatorDef | SinkDef)[]> = { sources: SOURCES, operators: OPERATORS, sinks: SINKS };
const SINGULAR: Record<Section, 'source' | 'operator' | 'sink'> = { sources: 'source', operators: 'operator', sinks: 'sink' };

export function sourceDef(type: string): SourceDef {
  return find(SOURCES, type, 'source') as SourceDef;
}
export function operatorDef(type: string): OperatorDef {
  return find(OPERATORS, type, 'operator') as OperatorDef;
}
export function sinkDef(type: string): SinkDef {
  return find(SINKS, type, 'sink') as SinkDef;
}

function find(defs: readonly { type: string }[], type: string, kind: string): unknown {
  const d = defs.find((x) => x.type === type);
  // The schema allows only registered types: reaching this is a bug, not a config mistake.
  if (!d) throw new Error(`no ${kind} type "${type}" is registered`);
  return d;
}

/** A node's section, definition and config. */
export function nodeOf(spec: TopologySpec, name: string): { section: Section; kind: 'source' | 'operator' | 'sink'; def: SourceDef | OperatorDef | SinkDef; config: { type: string } } | undefined {
  for (const section of ['sources', 'operators', 'sinks'] as const) {
    const config = spec[section]?.[name] as { type: string } | undefined;
    if (config) return { section, kind: SINGULAR[section], def: find(SECTIONS[section], config.type, SINGULAR[section]) as SourceDef, config };
  }
  return undefined;
}

/** The nodes a node reads (`inputs`); sources have none. */
export function inputsOf(spec: TopologySpec, name: string): string[] {
  const n = nodeOf(spec, name);
  return n && n.kind !== 'source' ? [...((n.config as unknown as { inputs: string[] }).inputs ?? [])] : [];
}

/** The table an operator node writes. */
export function writesOf(spec: TopologySpec, name: string): TableRef | undefined {
  const op = spec.operators[name];
  return op ? operatorDef(op.type).writes(op) : undefined;
}

/** One line for `strata describe`. */
export function describeNode(spec: TopologySpec, name: string): string {
  const n = nodeOf(spec, name);
  return n ? n.def.describe(n.config) : '?';
}

/** Every file the nodes of a topology name, as their definitions report them. */
export function nodeFiles(spec: TopologySpec, baseDir: string): { section: Section; name: string; ref: FileRef }[] {
  const out: { section: Section; name: string; ref: FileRef }[] = [];
  for (const section of ['sources', 'operators', 'sinks'] as const) {
    for (const [name, config] of Object.entries(spec[section] ?? {})) {
      const def = find(SECTIONS[section], config.type, SINGULAR[section]) as SourceDef;
      for (const ref of def.files?.(config, baseDir) ?? []) out.push({ section, name, ref });
    }
  }
  return out;
}
