import { describeNode, inputsOf, nodeOf, type LoadedTopology } from '../components/topology.ts';

function kindOf(t: LoadedTopology, name: string): 'source' | 'operator' | 'sink' {
  return nodeOf(t.spec, name)?.kind ?? 'sink';
}

/** Text form, like Kafka Streams' Topology.describe(): one node per line with its inputs. */
export function describeTopology(t: LoadedTopology): string {
  const lines = [`Topology: ${t.spec.name}${t.spec.description ? ` — ${t.spec.description}` : ''}`, `  file: ${t.file}`];
  for (const name of t.order) {
    const ins = inputsOf(t.spec, name);
    lines.push(`  ${kindOf(t, name).padEnd(8)} ${name}: ${describeNode(t.spec, name)}${ins.length ? `  <-- ${ins.join(', ')}` : ''}`);
  }
  for (const seed of t.spec.seeds ?? []) lines.push(`  seed     ${seed.table} <- ${seed.file}`);
  return lines.join('\n') + '\n';
}

/** Mermaid flowchart: sources as stadiums, operators as boxes, sinks as parallelograms. */
export function mermaidTopology(t: LoadedTopology): string {
  const esc = (s: string): string => s.replace(/"/g, '#quot;');
  const lines = ['flowchart LR'];
  for (const name of t.order) {
    const label = esc(`${name}<br/>${describeNode(t.spec, name)}`);
    const kind = kindOf(t, name);
    lines.push(kind === 'source' ? `  ${name}(["${label}"])` : kind === 'operator' ? `  ${name}["${label}"]` : `  ${name}[/"${label}"/]`);
  }
  for (const name of t.order) for (const i of inputsOf(t.spec, name)) lines.push(`  ${i} --> ${name}`);
  return lines.join('\n') + '\n';
}
