import type { Reading } from '../../src/sources/open-meteo/types.ts';

/** A plausible reading (Ho Chi Minh City, 2024-03-10 12:00 UTC), with overrides. */
export function reading(over: Partial<Reading> = {}): Reading {
  return {
    location_id: 'hcmc', location_name: 'Ho Chi Minh City', latitude: 10.82, longitude: 106.63, timezone: 'Asia/Ho_Chi_Minh',
    ts_utc: Date.UTC(2024, 2, 10, 12), pm10: 41.5, pm2_5: 30.1, carbon_monoxide: null, nitrogen_dioxide: 12, sulphur_dioxide: null,
    ozone: 80, dust: null, uv_index: 3, us_aqi: null, european_aqi: null, units: '{"pm2_5":"μg/m³"}', extra: '{}',
    source: 'test', request_url: 'http://x/v1/air-quality', fetched_at: Date.UTC(2024, 2, 11), ...over,
  };
}
