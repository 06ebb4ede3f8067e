import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import cron, { type CronFieldError } from 'node-cron';
import { loadSchemaFile } from '../avro/codec.ts';
import { ConfigError, EngineError, type ConfigProblem } from '../core/errors.ts';
import { renderSql } from '../duckdb/sql-template.ts';
import { resolveWithin } from '../core/paths.ts';
import { hasWildcard, matchPattern, patternDir } from '../sources/tlc/files.ts';
import { validateAgainstSchema } from './schema.ts';
import type { LoadedTopology, OperatorSpec, TopologySpec } from './types.ts';
import { sortProblems, YamlFile } from './yaml-file.ts';

export interface LoadOptions {
  /** Files named in the topology must stay under this directory (default: the parent of the topology's folder). */
  root?: string;
}

type Section = 'sources' | 'operators' | 'sinks';

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

  const checkFile = (path: (string | number)[], p: string, what: string, kind: 'file' | 'dir' = 'file'): void => {
    const r = resolveWithin(root, baseDir, p);
    if (r.escapes) problems.push(yaml.problem(path, `${path.join('.')}: path "${p}" leaves the project root ${root}`));
    else if (!existsSync(r.path)) problems.push(yaml.problem(path, `${path.join('.')}: ${what} not found: ${r.path}`));
    else if (kind === 'dir' ? !statSync(r.path).isDirectory() : !statSync(r.path).isFile()) {
      problems.push(yaml.problem(path, `${path.join('.')}: ${what} is not a ${kind === 'dir' ? 'folder' : 'file'}: ${r.path}`));
    }
  };

  for (const [name, src] of Object.entries(spec.sources)) {
    if (src.type === 'open_meteo') {
      checkFile(['sources', name, 'locations'], src.locations, 'locations file');
      if (src.seed) checkFile(['sources', name, 'seed'], src.seed, 'seed folder', 'dir');
      if (src.schedule) checkSchedule(yaml, ['sources', name, 'schedule'], src.schedule.cron, src.schedule.timezone, problems);
    } else if (src.type === 'topic') {
      checkFile(['sources', name, 'schema'], src.schema, 'Avro schema file');
      const avsc = resolveWithin(root, baseDir, src.schema);
      if (!avsc.escapes && existsSync(avsc.path) && statSync(avsc.path).isFile()) {
        try {
          loadSchemaFile(avsc.path);
        } catch (err) {
          problems.push(yaml.problem(['sources', name, 'schema'], `sources.${name}.schema: ${(err as Error).message}`));
        }
      }
      (src.writer_schemas ?? []).forEach((w, i) => {
        const r = resolveWithin(root, baseDir, w);
        if (r.escapes || !existsSync(r.path)) checkFile(['sources', name, 'writer_schemas', i], w, 'Avro schema file or folder');
      });
    } else if (src.type === 'tlc') {
      if (!src.files?.length && !src.months?.length) problems.push(yaml.problem(['sources', name], `sources.${name}: a tlc source needs "files" or "months"`, true));
      (src.files ?? []).forEach((f, i) => {
        const at = ['sources', name, 'files', i];
        if (!hasWildcard(f)) return checkFile(at, f, 'trip file');
        // A glob: its folder must exist inside the project, and it must match something now.
        if (resolveWithin(root, baseDir, f).escapes) return checkFile(at, f, 'trip files');
        if (!matchPattern(baseDir, f).length) problems.push(yaml.problem(at, `sources.${name}.files: no file matches "${f}" (in ${patternDir(baseDir, f)})`));
      });
    }
  }

  const tables = new Map<string, string>();
  for (const [name, op] of Object.entries(spec.operators)) {
    const table = op.type === 'bronze' ? op.table : op.materialize.table;
    if (tables.has(table)) problems.push(yaml.problem(['operators', name], `operators.${name}: table ${table} is already written by operator "${tables.get(table)}"`, true));
    else tables.set(table, name);
    for (const seed of spec.seeds ?? []) {
      if (seed.table === table) problems.push(yaml.problem(['operators', name], `operators.${name}: table ${table} is also a seed`, true));
    }
    checkOperator(yaml, spec, name, op, section, problems, checkFile);
  }
  (spec.seeds ?? []).forEach((s, i) => checkFile(['seeds', i, 'file'], s.file, 'seed file'));

  for (const [name, sink] of Object.entries(spec.sinks ?? {})) {
    sink.inputs.forEach((input, i) => {
      const kind = section.get(input);
      if (!kind) problems.push(yaml.problem(['sinks', name, 'inputs', i], `sinks.${name}.inputs: dangling input "${input}" (no such source or operator)`));
      else if (kind === 'sinks') problems.push(yaml.problem(['sinks', name, 'inputs', i], `sinks.${name}.inputs: "${input}" is a sink; sinks have no output`));
    });
  }

  const cycle = findCycle(spec);
  if (cycle) problems.push(yaml.problem(['operators', cycle[0]!], `operators.${cycle[0]}: cycle ${cycle.join(' → ')}`, true));

  if (problems.length) return { problems: sortProblems(problems) };
  return { problems, topology: { spec, file, baseDir, order: executionOrder(spec) } };
}

function checkOperator(
  yaml: YamlFile,
  spec: TopologySpec,
  name: string,
  op: OperatorSpec,
  section: Map<string, Section>,
  problems: ConfigProblem[],
  checkFile: (path: (string | number)[], p: string, what: string) => void,
): void {
  const at = (...p: (string | number)[]): (string | number)[] => ['operators', name, ...p];
  op.inputs.forEach((input, i) => {
    const kind = section.get(input);
    if (!kind) problems.push(yaml.problem(at('inputs', i), `operators.${name}.inputs: dangling input "${input}" (no such source or operator)`));
    else if (kind === 'sinks') problems.push(yaml.problem(at('inputs', i), `operators.${name}.inputs: "${input}" is a sink; sinks have no output`));
    else if (op.type === 'bronze' && kind !== 'sources') problems.push(yaml.problem(at('inputs', i), `operators.${name}.inputs: a bronze operator reads a source, "${input}" is an operator`));
  });
  if (op.type !== 'sql') return;
  const before = problems.length;
  checkFile(at('sql'), op.sql, 'SQL file');
  // The model must render — its vars exist, its includes are there — so the service never starts on a model it cannot run.
  const sqlPath = resolve(dirname(resolve(yaml.file)), op.sql);
  if (problems.length === before) {
    try {
      renderSql(readFileSync(sqlPath, 'utf8'), spec.vars ?? {}, sqlPath, { includeDir: dirname(sqlPath) });
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      problems.push(yaml.problem(at('sql'), `operators.${name}.sql: ${err.message}`));
    }
  }
  for (const [alias, rel] of Object.entries(op.relations ?? {})) {
    if (rel.endsWith('.csv')) checkFile(at('relations', alias), rel, 'seed file');
    else if (!/^(bronze|silver|gold)\.[a-z][a-z0-9_]*$/.test(rel)) {
      problems.push(yaml.problem(at('relations', alias), `operators.${name}.relations.${alias}: "${rel}" is neither a table (<layer>.<name>) nor a .csv file`));
    }
  }
  const m = op.materialize;
  if (m.mode === 'upsert' && !m.key) problems.push(yaml.problem(at('materialize'), `operators.${name}.materialize: upsert needs "key"`));
  if (m.mode === 'upsert' && !m.order_by) problems.push(yaml.problem(at('materialize'), `operators.${name}.materialize: upsert needs "order_by" (which row wins)`));
  if (m.mode === 'recompute') {
    if (!m.partition_by) problems.push(yaml.problem(at('materialize'), `operators.${name}.materialize: recompute needs "partition_by"`));
    const up = op.inputs[0] && spec.operators[op.inputs[0]];
    if (op.inputs[0] && section.get(op.inputs[0]) === 'sources') {
      problems.push(yaml.problem(at('inputs', 0), `operators.${name}.inputs: recompute reads an upstream operator's table, "${op.inputs[0]}" is a source`));
    } else if (up && up.type === 'sql' && !up.materialize.partition_by) {
      problems.push(yaml.problem(at('inputs', 0), `operators.${name}.inputs: recompute needs a partitioned upstream table, ${up.materialize.table} is not partitioned`));
    }
  }
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
  for (const [name, op] of Object.entries(spec.operators)) writer.set(op.type === 'bronze' ? op.table : op.materialize.table, name);
  for (const name of Object.keys(spec.sources)) g.set(name, []);
  for (const [name, op] of Object.entries(spec.operators)) {
    const rel = op.type === 'sql' ? Object.values(op.relations ?? {}).flatMap((t) => (writer.has(t) ? [writer.get(t)!] : [])) : [];
    g.set(name, [...op.inputs, ...rel]);
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
