import { EngineError } from './errors.ts';

/** The medallion layers, in order; a table is `<layer>.<name>`. */
export const LAYERS = ['bronze', 'silver', 'gold'] as const;
export type Layer = (typeof LAYERS)[number];

const TABLE_RE = /^(bronze|silver|gold)\.([a-z][a-z0-9_]*)$/;

/** `silver.air_quality_hourly` → `{ layer: 'silver', name: 'air_quality_hourly' }`. */
export function parseTable(table: string): { layer: Layer; name: string } {
  const m = TABLE_RE.exec(table);
  if (!m) throw new EngineError('TABLE_NAME_INVALID', `invalid table name "${table}" (expected <bronze|silver|gold>.<name>)`, { table });
  return { layer: m[1] as Layer, name: m[2]! };
}

export function layerOf(table: string): Layer {
  return parseTable(table).layer;
}
