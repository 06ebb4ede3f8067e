/**
 * Reference pages generated from the definitions (as Redpanda Connect's are from its specs): one
 * page per component type, an index, and the service config's reference. With the JSON Schema,
 * these are what `npm run generate` writes and test/generated.test.ts keeps current.
 */
import { fileURLToPath } from 'node:url';
import { OPERATORS, SINKS, SOURCES } from '../components/registry.ts';
import type { ComponentDef } from '../core/component.ts';
import { inputSchema } from '../core/schema.ts';
import { SCHEMA_PATH, strataSchema } from './schema.ts';
import { ServiceConfigSchema } from './service-schema.ts';

type Json = Record<string, unknown>;
type AnyDef = ComponentDef<'source' | 'operator' | 'sink', string> & { settings?: { key: string } };

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

const KINDS = [
  { kind: 'source', title: 'Sources', section: 'sources', defs: SOURCES },
  { kind: 'operator', title: 'Operators', section: 'operators', defs: OPERATORS },
  { kind: 'sink', title: 'Sinks', section: 'sinks', defs: SINKS },
] as const;

const GENERATED = '<!-- Generated from the component definitions by `npm run generate`: edit the definition, not this file. -->';

/** Every generated file, by absolute path. */
export async function generatedFiles(): Promise<Record<string, string>> {
  const out: Record<string, string> = { [SCHEMA_PATH]: `${JSON.stringify(strataSchema(), null, 2)}\n` };
  const index = [GENERATED, '', '# Component reference', '', 'Every component type a topology can use, generated from its definition (`src/<kind>s/<type>/index.ts`).', ''];
  for (const k of KINDS) {
    index.push(`## ${k.title}`, '', '| type | what it does |', '|---|---|');
    for (const def of k.defs as readonly AnyDef[]) {
      const file = `${k.kind}-${def.type}.md`;
      index.push(`| [\`${def.type}\`](${file}) | ${cell(def.summary)} |`);
      out[`${DOCS}components/${file}`] = componentPage(def, k.section);
    }
    index.push('');
  }
  out[`${DOCS}components/README.md`] = index.join('\n');
  out[`${DOCS}configuration-reference.md`] = serviceConfigPage();
  return out;
}

function componentPage(def: AnyDef, section: string): string {
  const lines = [GENERATED, '', `# \`${def.type}\` ${def.kind}`, '', def.summary, '', def.description, '', '## Fields', ''];
  lines.push(...fieldTable(inputSchema(def.config) as unknown as Json, { type: `\`${def.type}\`` }));
  if (def.settings) {
    lines.push('', `Service-wide settings for this type are in the service config's \`${def.settings.key}:\` section (see [the configuration reference](../configuration-reference.md#${def.settings.key})).`);
  }
  for (const ex of def.examples ?? []) {
    lines.push('', `## Example: ${ex.title}`, '', '```yaml', `${section}:`, ...ex.yaml.split('\n').map((l) => `  ${l}`), '```');
  }
  return `${lines.join('\n')}\n`;
}

function serviceConfigPage(): string {
  const schema = inputSchema(ServiceConfigSchema) as unknown as Json;
  const lines = [GENERATED, '', '# Service config reference', '', String(schema.description ?? ''), ''];
  for (const [key, section] of Object.entries(schema.properties as Record<string, Json>)) {
    lines.push(`## ${key}`, '');
    if (section.description) lines.push(String(section.description), '');
    lines.push(...fieldTable(section));
    lines.push('');
  }
  return `${lines.join('\n')}`;
}

/** One row per field (nested objects flattened as `a.b`): name, type, default, required, description. */
function fieldTable(schema: Json, fixed: Record<string, string> = {}): string[] {
  const rows = ['| field | type | default | description |', '|---|---|---|---|'];
  for (const [name, value] of Object.entries(fixed)) rows.push(`| \`${name}\` | ${value} | | **required.** |`);
  const walk = (s: Json, prefix: string): void => {
    const required = new Set((s.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries((s.properties as Record<string, Json> | undefined) ?? {})) {
      const path = `${prefix}${name}`;
      const def = 'default' in prop ? `\`${JSON.stringify(prop.default)}\`` : '';
      const req = required.has(name) ? '**required.** ' : '';
      rows.push(`| \`${path}\` | ${typeOf(prop)} | ${def} | ${req}${cell(String(prop.description ?? ''))} |`);
      if (prop.type === 'object' && prop.properties) walk(prop, `${path}.`);
    }
  };
  walk(schema, '');
  return rows;
}

function typeOf(s: Json): string {
  if (Array.isArray(s.enum)) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map(typeOf).join(' or ');
  if (s.type === 'array') return `list of ${typeOf((s.items as Json | undefined) ?? {})}`;
  if (Array.isArray(s.type)) return s.type.join(' or ');
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties as Json)}`;
  const pattern = s.pattern ? ` (\`${String(s.pattern)}\`)` : '';
  return `${String(s.type ?? 'any')}${pattern}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
}
