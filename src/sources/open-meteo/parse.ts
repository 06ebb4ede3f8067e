import { DataError, HttpSourceError } from '../../core/errors.ts';
import { POLLUTANT_VARIABLES, type Location, type PollutantVariable, type Reading, type ReadingMeta } from './types.ts';

type Column = (number | null)[] | null;

const POLLUTANTS: ReadonlySet<string> = new Set(POLLUTANT_VARIABLES);
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const ISO_ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * Turns one air-quality response body into Readings (one per hour). Pure: no I/O, no clock.
 * Accepts the API as it really answers — ISO local or unixtime axes, whole-null variables,
 * per-model variables (they go to `extra`), extra top-level blocks (`current`, …) — and rejects
 * only what would make a wrong record: a missing time axis or misaligned arrays.
 */
export function toReadings(resp: unknown, loc: Location, meta: ReadingMeta): Reading[] {
  const ctx = { location_id: loc.id, request_url: meta.requestUrl };
  if (!isRecord(resp)) {
    throw new DataError('OPEN_METEO_BAD_RESPONSE', `Open-Meteo response for ${loc.id} is not a JSON object`, ctx);
  }
  if (resp.error === true) {
    const reason = typeof resp.reason === 'string' ? resp.reason : 'unknown error';
    throw new HttpSourceError('OPEN_METEO_API_ERROR', `Open-Meteo error for ${loc.id}: ${reason}`, { ...ctx, reason });
  }
  const hourly = resp.hourly;
  if (!isRecord(hourly) || !Array.isArray(hourly.time)) {
    throw new DataError('OPEN_METEO_BAD_RESPONSE', `Open-Meteo response for ${loc.id} has no hourly.time array`, ctx);
  }
  const offsetSeconds = resp.utc_offset_seconds ?? 0;
  if (typeof offsetSeconds !== 'number' || !Number.isFinite(offsetSeconds)) {
    throw new DataError('OPEN_METEO_BAD_RESPONSE', `Open-Meteo response for ${loc.id}: utc_offset_seconds is not a number`, ctx);
  }

  const times = hourly.time.map((t, i) => toUtcMs(t, offsetSeconds, i, ctx));
  const n = times.length;

  const pollutant = new Map<PollutantVariable, Column>();
  const extra: [string, Column][] = [];
  for (const [name, value] of Object.entries(hourly)) {
    if (name === 'time') continue;
    const col = toColumn(name, value, n, ctx);
    if (POLLUTANTS.has(name)) pollutant.set(name as PollutantVariable, col);
    else extra.push([name, col]);
  }

  const units = JSON.stringify(unitsOf(resp.hourly_units));
  const at = (v: PollutantVariable, i: number): number | null => pollutant.get(v)?.[i] ?? null;

  const out: Reading[] = new Array<Reading>(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      location_id: loc.id,
      location_name: loc.name,
      latitude: loc.latitude,
      longitude: loc.longitude,
      timezone: loc.timezone,
      ts_utc: times[i]!,
      pm10: at('pm10', i),
      pm2_5: at('pm2_5', i),
      carbon_monoxide: at('carbon_monoxide', i),
      nitrogen_dioxide: at('nitrogen_dioxide', i),
      sulphur_dioxide: at('sulphur_dioxide', i),
      ozone: at('ozone', i),
      dust: at('dust', i),
      uv_index: at('uv_index', i),
      us_aqi: at('us_aqi', i),
      european_aqi: at('european_aqi', i),
      units,
      extra: extra.length === 0 ? '{}' : JSON.stringify(Object.fromEntries(extra.map(([k, c]) => [k, c?.[i] ?? null]))),
      source: meta.source,
      request_url: meta.requestUrl,
      fetched_at: meta.fetchedAt,
    };
  }
  return out;
}

/** ISO local times are shifted by the response's fixed offset; unix seconds are already UTC. */
function toUtcMs(t: unknown, offsetSeconds: number, i: number, ctx: Record<string, unknown>): number {
  if (typeof t === 'number' && Number.isInteger(t)) return t * 1000;
  if (typeof t === 'string') {
    const m = ISO_LOCAL.exec(t);
    if (m) {
      const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
      const local = Date.UTC(y, mo - 1, d, h, mi, s);
      // Date.UTC rolls 2023-02-30 over to March: a round trip catches impossible dates.
      const back = new Date(local);
      if (back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && s < 60) {
        return local - offsetSeconds * 1000;
      }
    } else if (ISO_ZONED.test(t)) {
      const ms = Date.parse(t);
      if (!Number.isNaN(ms)) return ms;
    }
  }
  throw new DataError('OPEN_METEO_BAD_RESPONSE', `Open-Meteo hourly.time[${i}] is not a valid time: ${JSON.stringify(t)}`, { ...ctx, index: i });
}

function toColumn(name: string, value: unknown, n: number, ctx: Record<string, unknown>): Column {
  if (value === null) return null; // the API sends a whole variable as null when it has no data
  if (!Array.isArray(value)) {
    throw new DataError('OPEN_METEO_BAD_RESPONSE', `Open-Meteo hourly.${name} is neither an array nor null`, { ...ctx, variable: name });
  }
  if (value.length !== n) {
    throw new DataError(
      'OPEN_METEO_BAD_RESPONSE',
      `Open-Meteo hourly.${name} has ${value.length} values but hourly.time has ${n}`,
      { ...ctx, variable: name, length: value.length, expected: n },
    );
  }
  for (let i = 0; i < n; i++) {
    const v: unknown = value[i];
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw new DataError('OPEN_METEO_BAD_RESPONSE', `Open-Meteo hourly.${name}[${i}] is not a number: ${JSON.stringify(v)}`, { ...ctx, variable: name, index: i });
    }
  }
  return value as (number | null)[];
}

/** Units of the variables (not of the time axis), kept exactly as sent. */
function unitsOf(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(raw)) return out;
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'time' && typeof v === 'string') out[k] = v;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
