/**
 * Config schemas are written once, with TypeBox: the same value is the JSON Schema (validation,
 * editor completion, generated reference docs) and, through `Static`, the TypeScript type.
 *
 * Convention: a property with a `default` is written without `Type.Optional`. The generated JSON
 * Schema drops it from `required` (see `inputSchema`), and validation fills the default in, so the
 * static type — what code reads after loading — has it, and no default is restated in code.
 */
import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export { Type, type Static, type TObject, type TProperties, type TSchema };

/** A string enum as a plain JSON Schema `enum`: validation says "expected one of: …". */
export function StringEnum<const T extends readonly string[]>(values: T, opts: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ enum: [...values], ...opts });
}

/** An object that refuses unknown properties (a typo is an error, not a silently ignored key). */
export function Strict<P extends TProperties>(properties: P, opts: Record<string, unknown> = {}) {
  return Type.Object(properties, { additionalProperties: false, ...opts });
}

export const Identifier = Type.String({
  pattern: '^[a-z][a-z0-9_]{0,62}$',
  description: 'A name: lower case letters, digits and underscores, starting with a letter.',
});

export const Column = Type.String({
  pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$',
  description: 'A column name: letters, digits and underscores.',
});

export const TableName = Type.String({
  pattern: '^(bronze|silver|gold)\\.[a-z][a-z0-9_]{0,62}$',
  description: 'A warehouse table, `<layer>.<name>` with layer bronze, silver or gold.',
});

export function RelativePath(description: string) {
  return Type.String({ minLength: 1, description: `${description} Relative to the file that names it; it may not leave the project root.` });
}

/** A map from names (`[a-z][a-z0-9_]*`) to values: "invalid name" for a bad key. */
export function NamedMap<V extends TSchema>(value: V, opts: Record<string, unknown> = {}) {
  return Type.Unsafe<Record<string, Static<V>>>({ type: 'object', propertyNames: { pattern: '^[a-z][a-z0-9_]{0,62}$' }, additionalProperties: value, ...opts });
}

/** `inputs:` of an operator or sink: the nodes it reads. */
export function Inputs(opts: { maxItems?: number; description?: string } = {}) {
  return Type.Array(Type.String(), { minItems: 1, ...opts });
}

export const TopicName = Type.String({ pattern: '^[A-Za-z0-9._-]{1,249}$' });

export const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });

export const Schedule = Strict(
  {
    cron: Type.String({ minLength: 9, description: 'e.g. `0 * * * *` for hourly at minute 0.' }),
    timezone: Type.String({ default: 'UTC', description: 'IANA time zone the cron fields are read in, e.g. Asia/Ho_Chi_Minh.' }),
    overlap: StringEnum(['skip', 'queue'], { default: 'skip', description: 'A tick that comes while the previous run is still going: skip it, or queue one run after it.' }),
    catch_up: Type.Boolean({ default: false, description: 'After downtime, run once for the ticks that were missed.' }),
    run_on_start: Type.Boolean({ default: true, description: 'Run once when the service starts.' }),
  },
  { description: 'A cron schedule (node-cron syntax, 5 or 6 fields) in a time zone.' },
);
export type ScheduleSpec = Static<typeof Schedule>;

/**
 * The schema as config files are validated against: properties with a default are not required
 * (validation fills them in). TypeBox marks every non-Optional property required; this undoes it
 * for defaulted ones, recursively, on a copy.
 */
export function inputSchema<T>(schema: T): T {
  return strip(structuredClone(schema)) as T;
}

function strip(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strip);
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) o[k] = strip(v);
  const props = o.properties as Record<string, Record<string, unknown>> | undefined;
  if (props && Array.isArray(o.required)) {
    o.required = (o.required as string[]).filter((k) => !(props[k] && 'default' in props[k]));
    if (!(o.required as string[]).length) delete o.required;
  }
  return o;
}

/** `value` with the schema's defaults filled in (for specs built in code rather than read from a file). */
export function withDefaults<T extends TSchema>(schema: T, value: unknown): Static<T> {
  return Value.Default(schema, Value.Clone(value)) as Static<T>;
}
