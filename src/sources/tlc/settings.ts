import { Strict, Type, type Static, withDefaults } from '../../core/schema.ts';

/** Service config `tlc:`: the TLC trip-data host `tlc` sources (and `strata produce taxi --month`) fetch months from. */
export const TlcSettingsSchema = Strict(
  {
    base_url: Type.String({ format: 'uri', default: 'https://d37ci6vzurychx.cloudfront.net', description: 'Files are at `{base_url}/trip-data/{color}_tripdata_{YYYY-MM}.parquet` (STRATA_TLC_BASE_URL overrides).' }),
    timeout_ms: Type.Integer({ minimum: 1, default: 30000, description: 'Connect and headers timeout, and the longest silence while a file streams.' }),
    retries: Type.Integer({ minimum: 0, default: 4 }),
    backoff_ms: Type.Integer({ minimum: 1, default: 1000 }),
  },
  { default: {}, description: 'The TLC trip-data host `tlc` sources fetch months from. STRATA_TLC_BASE_URL overrides base_url.' },
);
export type TlcSettings = Static<typeof TlcSettingsSchema>;

export function tlcSettings(partial: Partial<TlcSettings> = {}): TlcSettings {
  return withDefaults(TlcSettingsSchema, partial);
}
