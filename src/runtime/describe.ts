import type { LoadedTopology } from '../config/types.ts';

function nodeLine(t: LoadedTopology, name: string): string {
  const s = t.spec;
  const src = s.sources[name];
  if (src?.type === 'tlc') return `tlc(${[...(src.files ?? []), ...(src.months ?? []).map((m) => `${src.color ?? 'yellow'} ${m}`)].join(', ')}, batch_rows=${src.batch_rows ?? 500000}${src.when && src.when !== 'always' ? `, when ${src.when}` : ''})`;
  if (src) return src.type === 'open_meteo' ? `open_meteo(locations=${src.locations}${src.schedule ? `, cron="${src.schedule.cron}" ${src.schedule.timezone ?? 'UTC'}` : ''}${src.when && src.when !== 'always' ? `, when ${src.when}` : ''})` : `topic(${src.topic}, ${src.schema}${src.when && src.when !== 'always' ? `, when ${src.when}` : ''})`;
  const op = s.operators[name];
  if (op) return op.type === 'bronze' ? `bronze → ${op.table}` : `sql ${op.sql} → ${op.materialize.table} [${op.materialize.mode}]`;
  const sink = s.sinks?.[name];
  return sink ? `${sink.type}` : '?';
}

function kindOf(t: LoadedTopology, name: string): 'source' | 'operator' | 'sink' {
  return t.spec.sources[name] ? 'source' : t.spec.operators[name] ? 'operator' : 'sink';
}

function inputsOf(t: LoadedTopology, name: string): string[] {
  return t.spec.operators[name]?.inputs ?? t.spec.sinks?.[name]?.inputs ?? [];
}

/** Text form, like Kafka Streams' Topology.describe(): one node per line with its inputs. */
export function describeTopology(t: LoadedTopology): string {
  const lines = [`Topology: ${t.spec.name}${t.spec.description ? ` — ${t.spec.description}` : ''}`, `  file: ${t.file}`];
  for (const name of t.order) {
    const ins = inputsOf(t, name);
    lines.push(`  ${kindOf(t, name).padEnd(8)} ${name}: ${nodeLine(t, name)}${ins.length ? `  <-- ${ins.join(', ')}` : ''}`);
  }
  for (const seed of t.spec.seeds ?? []) lines.push(`  seed     ${seed.table} <- ${seed.file}`);
  return lines.join('\n') + '\n';
}

/** Mermaid flowchart: sources as stadiums, operators as boxes, sinks as parallelograms. */
export function mermaidTopology(t: LoadedTopology): string {
  const esc = (s: string): string => s.replace(/"/g, '#quot;');
  const lines = ['flowchart LR'];
  for (const name of t.order) {
    const label = esc(`${name}<br/>${nodeLine(t, name)}`);
    const kind = kindOf(t, name);
    lines.push(kind === 'source' ? `  ${name}(["${label}"])` : kind === 'operator' ? `  ${name}["${label}"]` : `  ${name}[/"${label}"/]`);
  }
  for (const name of t.order) for (const i of inputsOf(t, name)) lines.push(`  ${i} --> ${name}`);
  return lines.join('\n') + '\n';
}
