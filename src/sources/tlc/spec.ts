import { RelativePath, StringEnum, Strict, Type, type Static } from '../../core/schema.ts';
import { SOURCE_COMMON } from '../source.ts';

/** A node of type `tlc` in a topology. */
export const TlcSourceConfig = Strict({
  ...SOURCE_COMMON,
  files: Type.Optional(
    Type.Array(RelativePath('A trip file.'), {
      minItems: 1,
      description:
        'Trip files, relative to this file; the last path segment may hold `*` and `?`, e.g. `../samples/taxi/*.parquet`. The file name should keep the TLC\'s `<color>_tripdata_<YYYY-MM>` (the month quality rule reads it).',
    }),
  ),
  months: Type.Optional(
    Type.Array(Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' }), {
      minItems: 1,
      description: 'TLC months (`YYYY-MM`) to fetch as `{tlc.base_url}/trip-data/{color}_tripdata_{YYYY-MM}.parquet` into `$STRATA_WAREHOUSE/_state/cache/tlc/` (kept there; not fetched again).',
    }),
  ),
  color: StringEnum(['yellow', 'green'], { default: 'yellow', description: 'Which service\'s files `months` names.' }),
  batch_rows: Type.Integer({ minimum: 1, default: 500000, description: 'Trips per batch (one batch = one Bronze file per pick-up date it touches).' }),
});
export type TlcSourceSpec = Static<typeof TlcSourceConfig>;
