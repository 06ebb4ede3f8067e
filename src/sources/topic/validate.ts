/**
 * Checks a decoded record beyond its schema (a record can be valid Avro and still unusable).
 * Returns the problem, or undefined. Value-level issues that Silver already quarantines with a
 * reason (a negative or NaN concentration) are left to Silver, so Bronze keeps them as received.
 */
/** `rows`: the rows the record becomes (the trips of a TripBatch, 1 otherwise). */
export type RecordValidator = (value: Record<string, unknown>, rows: number) => string | undefined;

const HOUR_MS = 3_600_000;
const YEAR_2000 = Date.UTC(2000, 0, 1);
const YEAR_2100 = Date.UTC(2100, 0, 1);

const objects = new Map<string, boolean>();
/** A JSON object's text. The same few texts (a response's `units`, `{}`) repeat on every reading: parsed once. */
function jsonObject(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  let ok = objects.get(text);
  if (ok === undefined) {
    try {
      const v = JSON.parse(text) as unknown;
      ok = typeof v === 'object' && v !== null && !Array.isArray(v);
    } catch {
      ok = false;
    }
    if (objects.size >= 1024) objects.clear();
    if (text.length <= 4096) objects.set(text, ok);
  }
  return ok;
}

const zones = new Map<string, boolean>();
/** An IANA zone the engines can convert with (a bad one would fail the daily aggregate for the whole batch). */
function isTimeZone(tz: string): boolean {
  let ok = zones.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      ok = /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz) || tz === 'UTC';
    } catch {
      ok = false;
    }
    if (zones.size < 10_000) zones.set(tz, ok);
  }
  return ok;
}

const reading: RecordValidator = (r) => {
  if (typeof r.location_id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(r.location_id)) return `location_id ${JSON.stringify(r.location_id)} is not an id`;
  const lat = r.latitude as number;
  const lon = r.longitude as number;
  if (!(lat >= -90 && lat <= 90)) return `latitude ${lat} is outside -90..90`;
  if (!(lon >= -180 && lon <= 180)) return `longitude ${lon} is outside -180..180`;
  const ts = r.ts_utc as number;
  if (!(ts >= YEAR_2000 && ts < YEAR_2100) || ts % HOUR_MS !== 0) return `ts_utc ${ts} is not the start of an hour between 2000 and 2100`;
  if (typeof r.timezone !== 'string' || !isTimeZone(r.timezone)) return `timezone ${JSON.stringify(r.timezone)} is not an IANA time zone`;
  if (!jsonObject(r.units)) return 'units is not a JSON object';
  if (!jsonObject(r.extra)) return 'extra is not a JSON object';
  return undefined;
};

const tripBatch: RecordValidator = (b, rows) => {
  if (typeof b.source_file !== 'string' || !b.source_file.trim()) return 'source_file is empty';
  if (!((b.batch_index as number) >= 0)) return `batch_index ${String(b.batch_index)} is negative`;
  if (!((b.first_row as number) >= 0)) return `first_row ${String(b.first_row)} is negative`;
  // `trips` itself may not be there: the columnar reader hands over the outer fields and the count.
  if (rows === 0) return 'trips is empty';
  return undefined;
};

/** Validators by the reader schema's full name; other schemas are checked by Avro alone. */
export const VALIDATORS: Record<string, RecordValidator> = {
  'strata.open_meteo.Reading': reading,
  'strata.tlc.TripBatch': tripBatch,
};
