/**
 * Types for the Open-Meteo air-quality source: the place we ask about, the API's JSON as it
 * arrives, and the Reading record we emit (one per location-hour — the future Avro contract).
 */

/** A place to fetch air quality for (one line of config/locations.jsonl). */
export interface Location {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  /** IANA zone of the place (used downstream for local dates, not for the request). */
  timezone: string;
}

/** The hourly variables Strata models as first-class columns; anything else goes to `extra`. */
export const POLLUTANT_VARIABLES = [
  'pm10',
  'pm2_5',
  'carbon_monoxide',
  'nitrogen_dioxide',
  'sulphur_dioxide',
  'ozone',
  'dust',
  'uv_index',
  'us_aqi',
  'european_aqi',
] as const;

export type PollutantVariable = (typeof POLLUTANT_VARIABLES)[number];

/** Time axis of a response: ISO local strings ("2023-01-01T00:00") or unix seconds. */
export type HourlyTime = (string | number)[];

/** The `hourly` block: `time` plus one array per requested variable (a whole array may be null). */
export interface AirQualityHourly {
  time: HourlyTime;
  [variable: string]: (number | null)[] | HourlyTime | null;
}

/** The air-quality API's JSON body, as documented and as recorded in the samples. */
export interface AirQualityResponse {
  latitude: number;
  longitude: number;
  generationtime_ms: number;
  utc_offset_seconds: number;
  timezone: string;
  timezone_abbreviation: string;
  elevation: number;
  hourly_units: Record<string, string>;
  hourly: AirQualityHourly;
  current_units?: Record<string, string>;
  current?: Record<string, string | number | null>;
  /** Echo of the `domains` request parameter when the API includes it. */
  domains?: string;
}

/** The API's error body (HTTP 400): `{"error":true,"reason":"…"}`. */
export interface AirQualityErrorBody {
  error: true;
  reason: string;
}

/** One record per location-hour. Field order is the Avro field order. */
export interface Reading {
  location_id: string;
  location_name: string;
  latitude: number;
  longitude: number;
  timezone: string;
  /** Start of the hour, epoch milliseconds UTC. */
  ts_utc: number;
  pm10: number | null;
  pm2_5: number | null;
  carbon_monoxide: number | null;
  nitrogen_dioxide: number | null;
  sulphur_dioxide: number | null;
  ozone: number | null;
  dust: number | null;
  uv_index: number | null;
  us_aqi: number | null;
  european_aqi: number | null;
  /** JSON object text: variable -> unit exactly as the API gave it (e.g. "μg/m³"). */
  units: string;
  /** JSON object text of the other hourly variables for this hour; '{}' when none. */
  extra: string;
  source: string;
  request_url: string;
  /** When the response was fetched, epoch milliseconds. */
  fetched_at: number;
}

/** Where a response came from; copied onto every Reading. */
export interface ReadingMeta {
  source: string;
  requestUrl: string;
  fetchedAt: number;
}
