/**
 * The emulator's API logic without HTTP: query string in, the real API's JSON body (or its
 * `{"error":true,"reason":…}` body) out. Validation order and messages follow the real service.
 */
import { formatIsoDate, parseIsoDate } from '../../src/sources/open-meteo/dates.ts';
import { syntheticSeries, unitOf } from './emulator-data.ts';
import { isIanaZone } from '../../src/sources/open-meteo/locations.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface ApiLimits {
  /** First date the emulated archive holds. */
  minDate: string;
  /** Last date it can answer for (the forecast horizon). */
  maxDate: string;
  /** Current time, for the default forecast window. */
  now: number;
}

export type ApiResult = { status: 200; body: unknown } | { status: 400; body: { error: true; reason: string } };

interface Zone {
  identifier: string;
  abbreviation: string;
  offsetSeconds: number;
}

class BadRequest extends Error {}

/** Answers one `/v1/air-quality` query. */
export function answerAirQuality(query: URLSearchParams, limits: ApiLimits): ApiResult {
  const started = performance.now();
  try {
    const hourly = listParam(query, 'hourly');
    for (const v of hourly) {
      if (unitOf(v) === undefined) throw new BadRequest(`Cannot initialize WeatherVariable from invalid String value ${v} for key hourly`);
    }
    const timeformat = query.get('timeformat') ?? 'iso8601';
    if (timeformat !== 'iso8601' && timeformat !== 'unixtime') {
      throw new BadRequest(`Cannot initialize Timeformat from invalid String value ${timeformat} for key timeformat`);
    }
    const dates = dateParams(query);
    const coords = coordinates(query);
    const tzName = query.get('timezone') ?? 'GMT';

    const bodies = coords.map(([lat, lon]) => {
      const range = dates ? dateRange(dates, tzName, limits) : forecastRange(query, tzName, limits);
      return responseBody(lat, lon, hourly, range, timeformat, started);
    });
    // Several coordinates give a JSON array of responses, one coordinate a single object.
    return { status: 200, body: bodies.length === 1 ? bodies[0] : bodies };
  } catch (err) {
    if (err instanceof BadRequest) return { status: 400, body: { error: true, reason: err.message } };
    throw err;
  }
}

interface TimeRange {
  zone: Zone;
  startUtcMs: number;
  hours: number;
}

function responseBody(lat: number, lon: number, hourly: string[], range: TimeRange, timeformat: string, started: number): Record<string, unknown> {
  // Coordinates are snapped to the model grid, as the real API does (0.1°).
  const gridLat = Math.round(lat * 10) / 10;
  const gridLon = Math.round(lon * 10) / 10;
  const body: Record<string, unknown> = {
    latitude: gridLat,
    longitude: gridLon,
    generationtime_ms: 0,
    utc_offset_seconds: range.zone.offsetSeconds,
    timezone: range.zone.identifier,
    timezone_abbreviation: range.zone.abbreviation,
    elevation: Math.round(Math.abs(Math.sin(gridLat) * Math.cos(gridLon)) * 150),
  };
  if (hourly.length > 0) {
    const units: Record<string, string> = { time: timeformat };
    for (const v of hourly) units[v] = unitOf(v) ?? '';
    const time = new Array<string | number>(range.hours);
    for (let i = 0; i < range.hours; i++) {
      const utc = range.startUtcMs + i * HOUR_MS;
      time[i] = timeformat === 'unixtime' ? utc / 1000 : new Date(utc + range.zone.offsetSeconds * 1000).toISOString().slice(0, 16);
    }
    const data: Record<string, unknown> = { time };
    for (const v of hourly) data[v] = syntheticSeries(v, gridLat, gridLon, range.startUtcMs, range.hours);
    body.hourly_units = units;
    body.hourly = data;
  }
  body.generationtime_ms = performance.now() - started;
  return body;
}

/** `hourly=a,b&hourly=c` → [a, b, c]; the API accepts both spellings. */
function listParam(query: URLSearchParams, key: string): string[] {
  return query
    .getAll(key)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function coordinates(query: URLSearchParams): [number, number][] {
  const lats = listParam(query, 'latitude');
  const lons = listParam(query, 'longitude');
  if (lats.length === 0 || lons.length === 0) throw new BadRequest("Parameter 'latitude' and 'longitude' must not be empty");
  if (lats.length !== lons.length) throw new BadRequest("Parameter 'latitude' and 'longitude' must have the same number of elements");
  return lats.map((rawLat, i) => {
    const lat = toFloat(rawLat, 'latitude');
    const lon = toFloat(lons[i]!, 'longitude');
    if (lat < -90 || lat > 90) throw new BadRequest(`Latitude must be in range of -90 to 90°. Given: ${swiftFloat(lat)}.`);
    if (lon < -180 || lon > 180) throw new BadRequest(`Longitude must be in range of -180 to 180°. Given: ${swiftFloat(lon)}.`);
    return [lat, lon];
  });
}

function toFloat(raw: string, key: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new BadRequest(`Value of type 'Float' required for key '${key}'.`);
  return v;
}

/** Swift prints whole floats with ".0". */
function swiftFloat(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

function dateParams(query: URLSearchParams): { start: number; end: number } | undefined {
  const start = query.get('start_date');
  const end = query.get('end_date');
  if (start === null && end === null) return undefined;
  if (start === null || end === null) throw new BadRequest("Both 'start_date' and 'end_date' must be set in the url");
  for (const p of ['past_days', 'forecast_days']) {
    if (query.has(p) && query.get(p) !== '0') throw new BadRequest(`Parameter '${p}' is mutually exclusive with 'start_date' and 'end_date'`);
  }
  const s = isoDate(start);
  const e = isoDate(end);
  if (e < s) throw new BadRequest('End-date must be larger or equals than start-date');
  return { start: s, end: e };
}

function isoDate(s: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) throw new BadRequest("Invalid date format. Make sure to use 'YYYY-MM-DD'");
  const ms = parseIsoDate(s);
  if (ms === undefined) throw new BadRequest('Invalid date');
  return ms;
}

function dateRange(dates: { start: number; end: number }, tzName: string, limits: ApiLimits): TimeRange {
  const min = parseIsoDate(limits.minDate) ?? 0;
  const max = parseIsoDate(limits.maxDate) ?? Number.MAX_SAFE_INTEGER;
  const allowed = `from ${limits.minDate} to ${limits.maxDate}`;
  if (dates.start < min || dates.start > max) throw new BadRequest(`Parameter 'start_date' is out of allowed range ${allowed}`);
  if (dates.end < min || dates.end > max) throw new BadRequest(`Parameter 'end_date' is out of allowed range ${allowed}`);
  const zone = resolveZone(tzName, dates.start);
  const days = (dates.end - dates.start) / DAY_MS + 1;
  // Local midnight of start_date; one fixed offset for the whole response, as the real API does.
  return { zone, startUtcMs: dates.start - zone.offsetSeconds * 1000, hours: days * 24 };
}

function forecastRange(query: URLSearchParams, tzName: string, limits: ApiLimits): TimeRange {
  const forecastDays = intParam(query, 'forecast_days', 5);
  const pastDays = intParam(query, 'past_days', 0);
  if (forecastDays < 0 || forecastDays > 7) throw new BadRequest(`Forecast days is invalid. Allowed range 0 to 7. Given ${forecastDays}.`);
  if (pastDays < 0 || pastDays > 92) throw new BadRequest(`Past days is invalid. Allowed range 0 to 92. Given ${pastDays}.`);
  const zone0 = resolveZone(tzName, limits.now);
  const today = Math.floor((limits.now + zone0.offsetSeconds * 1000) / DAY_MS) * DAY_MS;
  const start = today - pastDays * DAY_MS;
  const zone = resolveZone(tzName, start);
  return { zone, startUtcMs: start - zone.offsetSeconds * 1000, hours: (pastDays + forecastDays) * 24 };
}

function intParam(query: URLSearchParams, key: string, dflt: number): number {
  const raw = query.get(key);
  if (raw === null) return dflt;
  if (!/^-?\d+$/.test(raw)) throw new BadRequest(`Value of type 'Int' required for key '${key}'.`);
  return Number(raw);
}

/** GMT/UTC, or an IANA zone with its offset at local midnight of `dateMs` (a UTC-midnight date). */
function resolveZone(name: string, dateMs: number): Zone {
  // 'auto' would need a coordinate→zone database; the emulator answers in GMT instead.
  if (name === 'GMT' || name === 'auto' || name === '') return { identifier: 'GMT', abbreviation: 'GMT', offsetSeconds: 0 };
  if (name === 'UTC') return { identifier: 'UTC', abbreviation: 'UTC', offsetSeconds: 0 };
  if (!isIanaZone(name)) throw new BadRequest('Invalid timezone');
  // Offset at local midnight: guess with the offset at UTC midnight, then correct once.
  const guess = dateMs - offsetAt(name, dateMs) * 1000;
  const instant = dateMs - offsetAt(name, guess) * 1000;
  return { identifier: name, abbreviation: abbreviationAt(name, instant), offsetSeconds: offsetAt(name, instant) };
}

/** Seconds east of UTC of zone `tz` at instant `utcMs`. */
export function offsetAt(tz: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((local - Math.floor(utcMs / 1000) * 1000) / 1000);
}

function abbreviationAt(tz: string, utcMs: number): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'short' }).formatToParts(new Date(utcMs));
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
}

/** Today (UTC) plus `days`, as 'YYYY-MM-DD'. */
export function isoDatePlusDays(now: number, days: number): string {
  return formatIsoDate(Math.floor(now / DAY_MS) * DAY_MS + days * DAY_MS);
}
