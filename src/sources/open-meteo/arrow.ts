import { Float64, Table, TimestampMillisecond, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { POLLUTANT_VARIABLES, type Reading } from './types.ts';

/** Readings → an Arrow batch, column-wise (one typed vector per field). */
export function readingsToArrow(readings: readonly Reading[]): Table {
  const str = (k: 'location_id' | 'location_name' | 'timezone' | 'units' | 'extra' | 'source' | 'request_url') =>
    vectorFromArray(readings.map((r) => r[k]), new Utf8());
  const num = (k: 'latitude' | 'longitude' | (typeof POLLUTANT_VARIABLES)[number]) =>
    vectorFromArray(readings.map((r) => r[k] ?? null), new Float64());
  const cols: Record<string, Vector> = {
    location_id: str('location_id'),
    location_name: str('location_name'),
    latitude: num('latitude'),
    longitude: num('longitude'),
    timezone: str('timezone'),
    ts_utc: vectorFromArray(readings.map((r) => r.ts_utc), new TimestampMillisecond()),
  };
  for (const v of POLLUTANT_VARIABLES) cols[v] = num(v);
  cols.units = str('units');
  cols.extra = str('extra');
  cols.source = str('source');
  cols.request_url = str('request_url');
  cols.fetched_at = vectorFromArray(readings.map((r) => r.fetched_at), new TimestampMillisecond());
  return new Table(cols);
}
