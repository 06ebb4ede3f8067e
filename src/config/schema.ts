import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { topologySchemaDefs } from '../components/schema.ts';
import { inputSchema } from '../core/schema.ts';
import { ServiceConfigSchema } from './service-schema.ts';

/** Where the generated schema is written for editors and users (`npm run generate`); validation uses `strataSchema()` itself. */
export const SCHEMA_PATH = fileURLToPath(new URL('../../schemas/strata.schema.json', import.meta.url));

/** The one JSON Schema that validates and documents every config file, generated from the definitions. */
export function strataSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://strata.dev/schemas/strata.schema.json',
    title: 'Strata configuration',
    description:
      'One schema for Strata\'s files: a topology (topologies/*.yaml, has `name`) or the service config (config/*.yaml, has `service`). Add `# yaml-language-server: $schema=../schemas/strata.schema.json` at the top of a file for editor completion. Generated from the component definitions (npm run generate): do not edit.',
    oneOf: [{ $ref: '#/$defs/topology' }, { $ref: '#/$defs/serviceConfig' }],
    $defs: { ...topologySchemaDefs(), serviceConfig: inputSchema(ServiceConfigSchema) },
  };
}

let compiled: { topology: ValidateFunction; service: ValidateFunction } | undefined;

function validators(): { topology: ValidateFunction; service: ValidateFunction } {
  if (compiled) return compiled;
  const schema = strataSchema();
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
  ajv.addFormat('uri', (s: string) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  });
  ajv.addSchema(schema, 'strata');
  compiled = {
    topology: ajv.getSchema('strata#/$defs/topology')!,
    service: ajv.getSchema('strata#/$defs/serviceConfig')!,
  };
  return compiled;
}

export interface SchemaProblem {
  path: (string | number)[];
  reason: string;
  /** true when the position should be the key itself (unknown property). */
  atKey: boolean;
}

/** Validates (and fills defaults into) `value`; returns readable problems with their JSON paths. */
export function validateAgainstSchema(kind: 'topology' | 'service', value: unknown): SchemaProblem[] {
  const validate = validators()[kind];
  if (validate(value)) return [];
  return dedupe((validate.errors ?? []).filter((e) => e.keyword !== 'if').map(describe));
}

function describe(e: ErrorObject): SchemaProblem {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const where = path.length ? path.join('.') : 'file';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path, atKey: false, reason: `${where}: missing required property "${String(p.missingProperty)}"` };
    case 'additionalProperties':
      return { path: [...path, String(p.additionalProperty)], atKey: true, reason: `${where}: unknown property "${String(p.additionalProperty)}"` };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String).join(', ');
      const last = path[path.length - 1];
      const what = last === 'type' && path.length >= 2 ? `unknown ${singular(path[0] ?? '')} type` : 'value not allowed';
      return { path, atKey: false, reason: `${where}: ${what} (expected one of: ${allowed})` };
    }
    case 'type':
      return { path, atKey: false, reason: `${where}: wrong type, must be ${String(p.type)}` };
    case 'propertyNames':
      return { path: [...path, String(p.propertyName)], atKey: true, reason: `${where}: invalid name "${String(p.propertyName)}"` };
    case 'pattern':
      return { path, atKey: false, reason: `${where}: invalid value (must match ${String(p.pattern)})` };
    default:
      return { path, atKey: false, reason: `${where}: ${e.message ?? e.keyword}` };
  }
}

function singular(section: string | number): string {
  return ({ sources: 'source', operators: 'operator', sinks: 'sink' } as Record<string, string>)[String(section)] ?? 'node';
}

function dedupe(problems: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  const out: SchemaProblem[] = [];
  for (const p of problems) {
    // propertyNames also reports a nested pattern error on the same name: keep one line per place.
    const k = p.path.join('/') + '|' + p.reason;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(p);
    }
  }
  return out.filter((p) => !(p.reason.includes('must match') && out.some((q) => q !== p && q.atKey && q.path.join('/') === p.path.join('/'))));
}
