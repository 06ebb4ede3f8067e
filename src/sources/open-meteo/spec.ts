import { RelativePath, Schedule, Strict, Type, type Static } from '../../core/schema.ts';
import { SOURCE_COMMON } from '../source.ts';

/** A node of type `open_meteo` in a topology. */
export const OpenMeteoSourceConfig = Strict({
  ...SOURCE_COMMON,
  locations: RelativePath('JSON Lines file: one location per line (id, name, latitude, longitude, timezone).'),
  schedule: Type.Optional(Schedule),
  past_days: Type.Integer({ minimum: 0, maximum: 92, default: 2, description: 'Each poll fetches this many past days plus today, so late corrections are picked up.' }),
  seed: Type.Optional(RelativePath('A folder of recorded API responses (`<location_id>.json`) published once at start, so the pipeline has data offline.')),
  batch_rows: Type.Integer({ minimum: 1, default: 5000, description: 'Readings per batch.' }),
});
export type OpenMeteoSourceSpec = Static<typeof OpenMeteoSourceConfig>;
