import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import cron, { type CronFieldError } from 'node-cron';
import { operatorDef, sinkDef, sourceDef, nodeFiles, writesOf, type LoadedTopology, type Section, type TopologySpec } from '../components/topology.ts';
import type { CheckContext, FileRef } from '../core/component.ts';
import { ConfigError, type ConfigProblem } from '../core/errors.ts';
import { hasWildcard, matchPattern, patternDir } from '../core/globs.ts';
import { resolveWithin } from '../core/paths.ts';
import { validateAgainstSchema } from './schema.ts';
import { sortProblems, YamlFile } from './yaml-file.ts';

export interface LoadOptions {
  /** Files named in the topology must stay under this directory (default: the parent of the topology's folder). */
  root?: string;
}

/** Reads, validates and resolves a topology file. Throws ConfigError with every problem found. */
export async function loadTopology(file: string, opts: LoadOptions = {}): Promise<LoadedTopology> {
  const { yaml, problems } = await YamlFile.read(file);
  if (problems.length) throw new ConfigError(problems);
  const result = checkTopology(yaml, opts);
  if (result.problems.length) throw new ConfigError(result.problems);
  return result.topology!;
}

/** Like loadTopology but returns problems instead of throwing (for `strata validate`). */
export function checkTopology(yaml: YamlFile, opts: LoadOptions = {}): { topology?: LoadedTopology; problems: ConfigProblem[] } {
  const value = yaml.toJS();
  const schemaProblems = validateAgainstSchema('topology', value);
  if (schemaProblems.length) {
    return { problems: sortProblems(schemaProblems.map((p) => yaml.problem(p.path, p.reason, p.atKey))) };
  }
  const spec = value as TopologySpec;
  const file = resolve(yaml.file);
  const baseDir = dirname(file);
  const root = opts.root ? resolve(opts.root) : dirname(baseDir);
  const problems: ConfigProblem[] = [];
  const section = new Map<string, Section>();

  for (const s of ['sources', 'operators', 'sinks'] as const) {
    for (const name of Object.keys(spec[s] ?? {})) {
      if (section.has(name)) problems.push(yaml.problem([s, name], `${s}.${name}: name already used in ${section.get(name)}`, true));
      else section.set(name, s);
    }
  }

  const checkFile = (path: (string | number)[], p: string, what: string, kind: FileRef['kind']): void => {
    const where = path.join('.');
    const r = resolveWithin(root, baseDir, p);
    if (r.escapes) problems.push(yaml.problem(path, `${where}: path "${p}" leaves the project root ${root}`));
    else if (kind === 'glob' && hasWildcard(p)) {
      const list = typeof path[path.length - 1] === 'number' ? path.slice(0, -1).join('.') : where;
      if (!matchPattern(baseDir, p).length) problems.push(yaml.problem(path, `${list}: no file matches "${p}" (in ${patternDir(baseDir, p)})`));
    } else if (!existsSync(r.path)) problems.push(yaml.problem(path, `${where}: ${what} not found: ${r.path}`));
    else if (kind === 'dir' && !statSync(r.path).isDirectory()) problems.push(yaml.problem(path, `${where}: ${what} is not a folder: ${r.path}`));
    else if ((kind === 'file' || kind === 'glob') && !statSync(r.path).isFile()) problems.push(yaml.problem(path, `${where}: ${what} is not a file: ${r.path}`));
  };

  for (const { section: s, name, ref } of nodeFiles(spec, baseDir)) if (ref.kind !== 'watch') checkFile([s, name, ...ref.at], ref.path, ref.what, ref.kind);

  const ctxFor = (s: Section, name: string): CheckContext => ({
    name,
    problem: (at, reason, atKey) => problems.push(yaml.problem([s, name, ...at], reason, atKey)),
    resolve: (p) => resolveWithin(root, baseDir, p),
    sectionOf: (n) => section.get(n),
    writes: (n) => writesOf(spec, n),
    vars: spec.vars ?? {},
  });

  for (const [name, src] of Object.entries(spec.sources)) {
    sourceDef(src.type).check?.(src, ctxFor('sources', name));
    const sched = (src as { schedule?: { cron: string; timezone?: string } }).schedule;
    if (sched) checkSchedule(yaml, ['sources', name, 'schedule'], sched.cron, sched.timezone, problems);
  }

  const tables = new Map<string, string>();
  for (const [name, op] of Object.entries(spec.operators)) {
    const def = operatorDef(op.type);
    const { table } = def.writes(op);
    if (tables.has(table)) problems.push(yaml.problem(['operators', name], `operators.${name}: table ${table} is already written by operator "${tables.get(table)}"`, true));
    else tables.set(table, name);
    for (const seed of spec.seeds ?? []) {
      if (seed.table === table) problems.push(yaml.problem(['operators', name], `operators.${name}: table ${table} is also a seed`, true));
    }
    op.inputs.forEach((input, i) => {
      const kind = section.get(input);
      const at = ['operators', name, 'inputs', i];
      if (!kind) problems.push(yaml.problem(at, `operators.${name}.inputs: dangling input "${input}" (no such source or operator)`));
      else if (kind === 'sinks') problems.push(yaml.problem(at, `operators.${name}.inputs: "${input}" is a sink; sinks have no output`));
      else if (def.reads === 'sources' && kind !== 'sources') problems.push(yaml.problem(at, `operators.${name}.inputs: a ${op.type} operator reads a source, "${input}" is an operator`));
    });
    def.check?.(op, ctxFor('operators', name));
  }
  (spec.seeds ?? []).forEach((s, i) => checkFile(['seeds', i, 'file'], s.file, 'seed file', 'file'));

  for (const [name, sink] of Object.entries(spec.sinks ?? {})) {
    sink.inputs.forEach((input, i) => {
      const kind = section.get(input);
      if (!kind) problems.push(yaml.problem(['sinks', name, 'inputs', i], `sinks.${name}.inputs: dangling input "${input}" (no such source or operator)`));
      else if (kind === 'sinks') problems.push(yaml.problem(['sinks', name, 'inputs', i], `sinks.${name}.inputs: "${input}" is a sink; sinks have no output`));
    });
    sinkDef(sink.type).check?.(sink, ctxFor('sinks', name));
  }

  const cycle = findCycle(spec);
  if (cycle) problems.push(yaml.problem(['operators', cycle[0]!], `operators.${cycle[0]}: cycle ${cycle.join(' → ')}`, true));

  if (problems.length) return { problems: sortProblems(problems) };
  return { problems, topology: { spec, file, baseDir, order: executionOrder(spec) } };
}

/** Cron fields (node-cron syntax: 5 fields, or 6 with seconds first) and what each may hold, for messages. */
const CRON_FIELDS: Record<string, [label: string, allowed: string]> = {
  second: ['second', '0-59'],
  minute: ['minute', '0-59'],
  hour: ['hour', '0-23'],
  dayOfMonth: ['day of month', '1-31'],
  month: ['month', '1-12 or JAN-DEC'],
  dayOfWeek: ['day of week', '0-7 or SUN-SAT'],
};

function describeCronError(e: CronFieldError): string {
  const field = CRON_FIELDS[e.field];
  if (!field) return e.message; // the expression as a whole: field count, illegal characters
  const [label, allowed] = field;
  if (/impossible/.test(e.message)) return `${label} "${e.value ?? ''}" never occurs in the given month(s)`;
  return `${label} field "${e.value ?? ''}" is not valid (allowed: ${allowed}, lists, ranges, steps)`;
}

function checkSchedule(yaml: YamlFile, path: string[], expr: string, tz: string | undefined, problems: ConfigProblem[]): void {
  let errors: CronFieldError[];
  try {
    errors = cron.validateDetailed(expr).errors;
  } catch (err) {
    errors = [{ field: 'expression', value: expr, message: (err as Error).message }];
  }
  if (errors.length) {
    problems.push(yaml.problem([...path, 'cron'], `${path.join('.')}.cron: invalid cron "${expr}": ${errors.map(describeCronError).join('; ')}`));
  }
  if (tz) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
    } catch {
      problems.push(yaml.problem([...path, 'timezone'], `${path.join('.')}.timezone: unknown time zone "${tz}"`));
    }
  }
}

/** Dependencies: a node's inputs, plus the operators writing tables it reads as relations. */
function edges(spec: TopologySpec): Map<string, string[]> {
  const g = new Map<string, string[]>();
  const writer = new Map<string, string>();
  for (const name of Object.keys(spec.operators)) writer.set(writesOf(spec, name)!.table, name);
  for (const name of Object.keys(spec.sources)) g.set(name, []);
  for (const [name, op] of Object.entries(spec.operators)) {
    const relations = Object.values((op as { relations?: Record<string, string> }).relations ?? {});
    g.set(name, [...op.inputs, ...relations.flatMap((t) => (writer.has(t) ? [writer.get(t)!] : []))]);
  }
  for (const [name, sink] of Object.entries(spec.sinks ?? {})) g.set(name, [...sink.inputs]);
  return g;
}

/** A cycle among the nodes, as a list of names (first repeated at the end), or undefined. */
export function findCycle(spec: TopologySpec): string[] | undefined {
  const g = edges(spec);
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 2 || !g.has(n)) return undefined;
    if (state.get(n) === 1) return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 1);
    stack.push(n);
    for (const m of g.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of g.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

/** Topological order: every node after its inputs; ties keep file order. */
export function executionOrder(spec: TopologySpec): string[] {
  const g = edges(spec);
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (n: string): void => {
    if (done.has(n)) return;
    done.add(n);
    for (const m of g.get(n) ?? []) visit(m);
    order.push(n);
  };
  for (const n of g.keys()) visit(n);
  return order;
}
