/**
 * The topology part of the JSON Schema, generated from the registry: per kind, a `type` enum (so an
 * unknown type says which exist) and one if/then branch per type holding that type's config.
 */
import type { ComponentDef } from '../core/component.ts';
import { inputSchema, Strict, Type } from '../core/schema.ts';
import { OPERATORS, SINKS, SOURCES } from './registry.ts';
import { TopologyHeader } from './topology.ts';

type AnyDef = ComponentDef<'source' | 'operator' | 'sink', string>;

type Json = Record<string, unknown>;

function kindSchema(defs: readonly AnyDef[], description: string, required: string[]): Json {
  return {
    type: 'object',
    required: ['type', ...required],
    description,
    properties: { type: { enum: defs.map((d) => d.type) } },
    allOf: defs.map((d) => {
      const config = inputSchema(d.config) as unknown as Json;
      return {
        if: { properties: { type: { const: d.type } } },
        then: {
          ...config,
          description: d.summary,
          required: ['type', ...((config.required as string[] | undefined) ?? [])],
          properties: { type: true, ...(config.properties as Json) },
        },
      };
    }),
  };
}

/** `$defs` for a topology file: `source`, `operator`, `sink` and `topology`. */
export function topologySchemaDefs(): Json {
  const header = inputSchema(Strict(TopologyHeader)) as unknown as Json;
  const nodes = (ref: string) => ({ type: 'object', propertyNames: { $ref: '#/$defs/identifier' }, additionalProperties: { $ref: `#/$defs/${ref}` } });
  return {
    identifier: inputSchema(Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'A name: lower case letters, digits and underscores, starting with a letter.' })),
    source: kindSchema(SOURCES, 'Where batches come from.', []),
    operator: kindSchema(OPERATORS, 'Turns its input\'s rows into rows it writes to a table.', ['inputs']),
    sink: kindSchema(SINKS, 'Receives the outputs of its inputs once a batch is committed.', ['inputs']),
    topology: {
      ...header,
      required: ['name', 'sources', 'operators'],
      description: 'A topology: sources → operators → sinks wired by `inputs`.',
      properties: {
        ...(header.properties as Json),
        sources: { ...nodes('source'), minProperties: 1 },
        operators: { ...nodes('operator'), minProperties: 1 },
        sinks: nodes('sink'),
      },
    },
  };
}
