import { readFile } from 'node:fs/promises';
import { DataError } from '../../core/errors.ts';
import type { Location } from './types.ts';

/** Ids end up in table keys, partition values and file names: keep them plain. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Reads a JSON Lines file of locations (one object per line: id, name, latitude, longitude,
 * timezone). Blank lines are skipped; any bad line fails the whole load with `file:line`, so a
 * typo in config is reported where it is rather than as a missing city later.
 */
export async function loadLocations(file: string): Promise<Location[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DataError('LOCATIONS_UNREADABLE', `${file}: cannot read locations file: ${(err as Error).message}`, { file }, { cause: err });
  }
  return parseLocations(text, file);
}

/** Parses JSON Lines text; `file` only labels errors. */
export function parseLocations(text: string, file = '<locations>'): Location[] {
  const out: Location[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const loc = parseLine(raw, file, line);
    const first = seen.get(loc.id);
    if (first !== undefined) {
      throw bad(file, line, 'id', `duplicate id '${loc.id}' (first defined at ${file}:${first})`);
    }
    seen.set(loc.id, line);
    out.push(loc);
  });
  return out;
}

function parseLine(raw: string, file: string, line: number): Location {
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch (err) {
    throw new DataError('LOCATIONS_INVALID', `${file}:${line}: invalid JSON: ${(err as Error).message}`, { file, line }, { cause: err });
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new DataError('LOCATIONS_INVALID', `${file}:${line}: expected a JSON object`, { file, line });
  }
  const rec = obj as Record<string, unknown>;

  const id = rec.id;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw bad(file, line, 'id', `must be a non-empty string of letters, digits, '_', '-', '.', got ${show(id)}`);
  }
  const name = rec.name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw bad(file, line, 'name', `must be a non-empty string, got ${show(name)}`);
  }
  const latitude = rec.latitude;
  if (typeof latitude !== 'number' || !Number.isFinite(latitude) || latitude < -90 || latitude > 90) {
    throw bad(file, line, 'latitude', `must be a number in [-90, 90], got ${show(latitude)}`);
  }
  const longitude = rec.longitude;
  if (typeof longitude !== 'number' || !Number.isFinite(longitude) || longitude < -180 || longitude > 180) {
    throw bad(file, line, 'longitude', `must be a number in [-180, 180], got ${show(longitude)}`);
  }
  const timezone = rec.timezone;
  if (typeof timezone !== 'string' || !isIanaZone(timezone)) {
    throw bad(file, line, 'timezone', `must be a valid IANA time zone (e.g. Europe/Amsterdam), got ${show(timezone)}`);
  }
  return { id, name, latitude, longitude, timezone };
}

/** Intl throws RangeError on unknown zones; offset strings ("+07:00") are not IANA names. */
export function isIanaZone(tz: string): boolean {
  if (tz === '' || /^[+-]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function bad(file: string, line: number, field: string, reason: string): DataError {
  return new DataError('LOCATIONS_INVALID', `${file}:${line}: field '${field}' ${reason}`, { file, line, field });
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
