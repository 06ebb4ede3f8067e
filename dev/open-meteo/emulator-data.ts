/**
 * Deterministic synthetic air quality for the emulator: a pure function of (variable, lat, lon,
 * hour) with a diurnal cycle, day-to-day variation and realistic ranges, so tests and offline
 * runs get the same plausible numbers every time.
 */
import { POLLUTANT_VARIABLES } from '../../src/sources/open-meteo/types.ts';

const HOUR_MS = 3_600_000;

/** Units as the real API names them. */
const BASE_UNITS: Record<string, string> = {
  pm10: 'μg/m³',
  pm2_5: 'μg/m³',
  carbon_monoxide: 'μg/m³',
  nitrogen_dioxide: 'μg/m³',
  sulphur_dioxide: 'μg/m³',
  ozone: 'μg/m³',
  dust: 'μg/m³',
  uv_index: '',
  uv_index_clear_sky: '',
  us_aqi: 'USAQI',
  european_aqi: 'EAQI',
  aerosol_optical_depth: '',
  ammonia: 'μg/m³',
  carbon_dioxide: 'ppm',
  methane: 'μg/m³',
  alder_pollen: 'grains/m³',
  birch_pollen: 'grains/m³',
  grass_pollen: 'grains/m³',
  mugwort_pollen: 'grains/m³',
  olive_pollen: 'grains/m³',
  ragweed_pollen: 'grains/m³',
  european_aqi_pm2_5: 'EAQI',
  european_aqi_pm10: 'EAQI',
  us_aqi_pm2_5: 'USAQI',
  us_aqi_pm10: 'USAQI',
};

/** Per-model variants the real API offers (`pm10_cams_europe`, …) for the core variables. */
const MODEL_SUFFIXES = { _cams_europe: 1.08, _cams_global: 0.93 } as const;
const MODEL_BASES: ReadonlySet<string> = new Set(POLLUTANT_VARIABLES);

/** Unit of a variable the emulator knows; undefined for an unknown variable (→ HTTP 400). */
export function unitOf(variable: string): string | undefined {
  if (variable in BASE_UNITS) return BASE_UNITS[variable];
  const m = splitModel(variable);
  return m ? BASE_UNITS[m.base] : undefined;
}

function splitModel(variable: string): { base: string; suffix: keyof typeof MODEL_SUFFIXES } | undefined {
  for (const suffix of Object.keys(MODEL_SUFFIXES) as (keyof typeof MODEL_SUFFIXES)[]) {
    if (variable.endsWith(suffix)) {
      const base = variable.slice(0, -suffix.length);
      if (MODEL_BASES.has(base)) return { base, suffix };
    }
  }
  return undefined;
}

/** CAMS Europe and the pollen fields only cover Europe; elsewhere the API has no data. */
function inEurope(lat: number, lon: number): boolean {
  return lat >= 30 && lat <= 72 && lon >= -25 && lon <= 45;
}

/**
 * A whole column, or null when the variable has no data at this place (the real API sends the
 * whole variable as null then).
 */
export function syntheticSeries(variable: string, lat: number, lon: number, startUtcMs: number, hours: number): (number | null)[] | null {
  const model = splitModel(variable);
  if ((variable.endsWith('_pollen') || model?.suffix === '_cams_europe') && !inEurope(lat, lon)) return null;
  const out = new Array<number | null>(hours);
  for (let i = 0; i < hours; i++) {
    const ts = startUtcMs + i * HOUR_MS;
    out[i] = model ? round(syntheticValue(model.base, lat, lon, ts) * MODEL_SUFFIXES[model.suffix], decimalsOf(model.base)) : syntheticValue(variable, lat, lon, ts);
  }
  return out;
}

/** One value of a known variable at the hour starting at `tsUtcMs`. */
export function syntheticValue(variable: string, lat: number, lon: number, tsUtcMs: number): number {
  const c = conditions(lat, lon, tsUtcMs);
  switch (variable) {
    case 'pm2_5':
      return round(pm25(c), 1);
    case 'pm10':
      return round(pm25(c) * (1.4 + 0.2 * c.seed2), 1);
    case 'carbon_monoxide':
      return round(clamp(150 + (pm25(c) - 5) * 8 + 60 * c.traffic, 150, 900), 0);
    case 'nitrogen_dioxide':
      return round(clamp(5 + 45 * c.seed * c.traffic * (0.6 + 0.4 * c.day), 5, 60), 1);
    case 'sulphur_dioxide':
      return round(clamp(1 + 17 * c.seed * c.seed2 * (0.6 + 0.4 * c.day), 1, 20), 1);
    case 'ozone':
      return round(clamp(20 + 120 * c.afternoon * (0.55 + 0.45 * (1 - c.seed)) * (0.7 + 0.3 * c.day), 20, 140), 0);
    case 'dust':
      return round(clamp(30 * c.seed3 * c.seed3 * c.day, 0, 30), 1);
    case 'uv_index':
      return round(9 * c.sun * (0.35 + 0.65 * Math.cos((lat * Math.PI) / 180)) * (0.75 + 0.25 * c.day), 2);
    case 'uv_index_clear_sky':
      return round(9 * c.sun * (0.35 + 0.65 * Math.cos((lat * Math.PI) / 180)), 2);
    case 'us_aqi':
      return Math.max(usAqiPm25(pm25(c)), usAqiPm10(pm25(c) * (1.4 + 0.2 * c.seed2)));
    case 'us_aqi_pm2_5':
      return usAqiPm25(pm25(c));
    case 'us_aqi_pm10':
      return usAqiPm10(pm25(c) * (1.4 + 0.2 * c.seed2));
    case 'european_aqi':
      return Math.max(eaqiPm25(pm25(c)), eaqiPm10(pm25(c) * (1.4 + 0.2 * c.seed2)));
    case 'european_aqi_pm2_5':
      return eaqiPm25(pm25(c));
    case 'european_aqi_pm10':
      return eaqiPm10(pm25(c) * (1.4 + 0.2 * c.seed2));
    case 'aerosol_optical_depth':
      return round(0.05 + 0.6 * (pm25(c) / 80), 2);
    case 'ammonia':
      return round(1 + 12 * c.seed2 * c.day, 1);
    case 'carbon_dioxide':
      return round(415 + 25 * c.traffic * c.seed, 0);
    case 'methane':
      return round(1250 + 150 * c.seed3 * c.day, 0);
    default:
      if (variable.endsWith('_pollen')) return round(80 * c.sun * c.seed3 * c.day, 1);
      throw new Error(`no synthetic model for ${variable}`);
  }
}

interface Conditions {
  seed: number;
  seed2: number;
  seed3: number;
  /** 0..1, varies smoothly day to day. */
  day: number;
  /** ~0.6..1.4, rush-hour peaks at 08:00 and 20:00 solar time. */
  traffic: number;
  /** 0..1, peaks mid-afternoon (photochemical ozone). */
  afternoon: number;
  /** 0..1 daylight intensity, 0 at night. */
  sun: number;
}

function conditions(lat: number, lon: number, tsUtcMs: number): Conditions {
  const solarHour = ((((tsUtcMs / HOUR_MS) % 24) + lon / 15) % 24 + 24) % 24;
  // Fractional day: the day-to-day factor drifts smoothly instead of jumping at midnight.
  const dayIndex = tsUtcMs / 86_400_000;
  const seed = hash01(lat, lon, 1);
  return {
    seed,
    seed2: hash01(lat, lon, 2),
    seed3: hash01(lat, lon, 3),
    day: 0.5 + 0.3 * Math.sin(dayIndex * 0.9 + seed * 6.28) + 0.2 * Math.sin(dayIndex * 0.23),
    traffic: 1 + 0.4 * Math.cos((2 * Math.PI * (solarHour - 8)) / 12),
    afternoon: 0.5 + 0.5 * Math.cos((2 * Math.PI * (solarHour - 15)) / 24),
    sun: solarHour > 6 && solarHour < 18 ? Math.sin((Math.PI * (solarHour - 6)) / 12) : 0,
  };
}

/** pm2_5 in 5..80 μg/m³: a per-place level times traffic and day factors. */
function pm25(c: Conditions): number {
  return clamp((8 + 42 * c.seed) * c.traffic * (0.6 + 0.7 * c.day), 5, 80);
}

/** A stable pseudo-random number in [0, 1) for a place. */
function hash01(lat: number, lon: number, salt: number): number {
  const x = Math.sin(lat * 12.9898 + lon * 78.233 + salt * 37.719) * 43758.5453;
  return x - Math.floor(x);
}

/** Piecewise-linear index over (concentration, index) breakpoints. */
function piecewise(v: number, bp: readonly (readonly [number, number])[]): number {
  for (let i = 1; i < bp.length; i++) {
    const [c0, i0] = bp[i - 1]!;
    const [c1, i1] = bp[i]!;
    if (v <= c1) return Math.round(i0 + ((v - c0) * (i1 - i0)) / (c1 - c0));
  }
  return bp[bp.length - 1]![1];
}

// US EPA (2024) and EEA breakpoints, enough for 0..~200.
const usAqiPm25 = (v: number): number => piecewise(v, [[0, 0], [9, 50], [35.4, 100], [55.4, 150], [125.4, 200], [225.4, 300]]);
const usAqiPm10 = (v: number): number => piecewise(v, [[0, 0], [54, 50], [154, 100], [254, 150], [354, 200], [424, 300]]);
const eaqiPm25 = (v: number): number => piecewise(v, [[0, 0], [10, 20], [20, 40], [25, 60], [50, 80], [75, 100], [800, 125]]);
const eaqiPm10 = (v: number): number => piecewise(v, [[0, 0], [20, 20], [40, 40], [50, 60], [100, 80], [150, 100], [1200, 125]]);

function decimalsOf(variable: string): number {
  if (variable.endsWith('_aqi') || variable === 'ozone' || variable === 'carbon_monoxide') return 0;
  return variable === 'uv_index' ? 2 : 1;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
