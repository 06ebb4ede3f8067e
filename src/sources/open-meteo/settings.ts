import { Strict, Type, type Static, withDefaults } from '../../core/schema.ts';

/** Service config `open_meteo:`: the API every open_meteo source (and `strata produce open-meteo`) calls. */
export const OpenMeteoSettingsSchema = Strict(
  {
    base_url: Type.String({ format: 'uri', default: 'https://air-quality-api.open-meteo.com', description: 'The air-quality API (STRATA_OPEN_METEO_BASE_URL overrides).' }),
    timeout_ms: Type.Integer({ minimum: 1, default: 30000, description: 'Per attempt: connect, headers and body.' }),
    retries: Type.Integer({ minimum: 0, default: 4, description: 'Retries after the first attempt (429, 5xx, timeouts, cut bodies; never 400).' }),
    backoff_ms: Type.Integer({ minimum: 1, default: 500, description: 'Back-off base: the n-th retry waits up to backoff_ms·2^(n-1) (full jitter).' }),
    cache_ttl_hours: Type.Number({ minimum: 0, default: 6, description: 'Responses are cached by request; 0 disables the cache.' }),
    max_days_per_request: Type.Integer({ minimum: 1, maximum: 366, default: 92, description: 'Longer date ranges are split into requests of this many days.' }),
  },
  { default: {} },
);
export type OpenMeteoSettings = Static<typeof OpenMeteoSettingsSchema>;

/** Settings with the schema's defaults for what `partial` leaves out (tests, one-off clients). */
export function openMeteoSettings(partial: Partial<OpenMeteoSettings> = {}): OpenMeteoSettings {
  return withDefaults(OpenMeteoSettingsSchema, partial);
}
