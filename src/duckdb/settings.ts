import { Strict, Type, type Static } from '../core/schema.ts';

/** Service config `duckdb:`: the in-process engine's limits. */
export const DuckDBSettingsSchema = Strict({
  threads: Type.Optional(Type.Integer({ minimum: 1 })),
  memory_limit: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?\\s*(KB|MB|GB|KiB|MiB|GiB)$', default: '2GB' }),
}, { default: {} });
export type DuckDBSettings = Static<typeof DuckDBSettingsSchema>;
