/**
 * The shape every component type (source, operator, sink) is defined by: one value per type, in its
 * own folder, registered once (src/components/registry.ts). The JSON Schema, `strata validate`,
 * `strata describe`, live reload, the build of a running graph and the reference docs are all
 * derived from it — nothing per type is threaded through the rest of the tree by hand.
 */
import type { Static, TObject } from './schema.ts';

export type ComponentKind = 'source' | 'operator' | 'sink';

/** A JSON path inside a node's config, e.g. `['files', 2]`. */
export type ConfigPath = (string | number)[];

/** A file or folder a node's config names: checked by validate, watched and fingerprinted for live reload. */
export interface FileRef {
  /** Where the path is written in the node's config (for file:line:col). */
  at: ConfigPath;
  /** As written, relative to the topology file (or absolute, e.g. an included SQL file). */
  path: string;
  /** What it is, for messages: "locations file", "SQL file". */
  what: string;
  /**
   * `glob`: the last segment may hold `*`/`?` and must match something; `any`: a file or a folder;
   * `watch`: not validated here (the definition's check covers it), only watched and fingerprinted.
   */
  kind: 'file' | 'dir' | 'glob' | 'any' | 'watch';
}

/** The table a node writes, and its DATE partition column. */
export interface TableRef {
  table: string;
  partitionBy?: string;
}

/** What a definition's semantic check can see and report. */
export interface CheckContext {
  /** The node's name. */
  name: string;
  /** Reports a problem at a path inside the node's config (atKey: point at the key, not the value). */
  problem(at: ConfigPath, reason: string, atKey?: boolean): void;
  /** A path from the config, resolved against the topology's folder; `escapes` when it leaves the project root. */
  resolve(path: string): { path: string; escapes: boolean };
  /** The section another node is in, if it exists. */
  sectionOf(node: string): 'sources' | 'operators' | 'sinks' | undefined;
  /** The table another node writes (operators). */
  writes(node: string): TableRef | undefined;
  vars: Readonly<Record<string, string | number>>;
}

/** A service-config section a component type owns (e.g. `open_meteo:` for the open_meteo source). */
export interface SettingsSection<K extends string = string, S extends TObject = TObject> {
  key: K;
  schema: S;
}

/**
 * One component type. `config` is the node's schema without `type` (the registry adds it); build
 * gets the node's config as validated (defaults filled in) and the kind's context.
 */
export interface ComponentDef<
  K extends ComponentKind = ComponentKind,
  T extends string = string,
  C extends TObject = TObject,
  Ctx = unknown,
  Built = unknown,
> {
  kind: K;
  type: T;
  /** One line: what it is (reference index, schema description). */
  summary: string;
  /** The reference page's body (Markdown): behaviour, guarantees, failure handling. */
  description: string;
  config: C;
  /** Topology snippets for the reference page (YAML, under `sources:` / `operators:` / `sinks:`). */
  examples?: { title: string; yaml: string }[];
  /** Files the node names (validated, watched, fingerprinted). */
  files?(spec: Static<C>, baseDir: string): FileRef[];
  /** Checks the schema cannot express (they run even when a named file is missing, which is reported already: guard reads). */
  check?(spec: Static<C>, ctx: CheckContext): void;
  /** One line for `strata describe`. */
  describe(spec: Static<C>): string;
  /** The table the node writes (operators). */
  writes?(spec: Static<C>): TableRef;
  build(name: string, spec: Static<C>, ctx: Ctx): Built;
}

/** A node's config as it appears in a topology: the definition's config plus its `type`. */
export type NodeSpec<D> = D extends ComponentDef<ComponentKind, infer T, infer C> ? Static<C> & { type: T } : never;
