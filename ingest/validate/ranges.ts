/**
 * Plausible value ranges, to catch unit and scaling errors (A9) rather than to judge the grid:
 * power and energy may be negative (generation, back-feed through a substation), but not
 * absurdly large; physical quantities that cannot be negative get a small margin below zero for
 * sensor noise. A series can narrow or widen its range with attrs.range = { min, max }.
 */
export interface Range {
  min: number;
  max: number;
}

const symmetric = (limit: number): Range => ({ min: -limit, max: limit });

const BY_UNIT: Record<string, Range> = {
  w: symmetric(1e11), kw: symmetric(1e8), mw: symmetric(1e5), gw: symmetric(1e2),
  var: symmetric(1e11), kvar: symmetric(1e8), mvar: symmetric(1e5),
  va: symmetric(1e11), kva: symmetric(1e8), mva: symmetric(1e5),
  wh: symmetric(1e11), kwh: symmetric(1e8), mwh: symmetric(1e5), gwh: symmetric(1e2),
  a: symmetric(1e6), ka: symmetric(1e3), v: { min: -1, max: 2e6 }, kv: { min: -1, max: 2e3 },
  '°c': { min: -90, max: 65 }, degc: { min: -90, max: 65 }, c: { min: -90, max: 65 },
  '°f': { min: -130, max: 150 }, degf: { min: -130, max: 150 }, f: { min: -130, max: 150 },
  k: { min: 180, max: 340 },
  'w/m2': { min: -10, max: 1600 }, 'w/m²': { min: -10, max: 1600 },
  'm/s': { min: -0.5, max: 120 }, 'km/h': { min: -2, max: 430 },
  '%': { min: -1, max: 101 }, hpa: { min: 850, max: 1090 },
};

/** Weather files name a variable, not a unit: the conventional unit of each. */
export const WEATHER_VARIABLE_UNITS: Record<string, string> = {
  temperature: '°C',
  dew_point: '°C',
  wind_speed: 'm/s',
  irradiance: 'W/m2',
  ghi: 'W/m2',
  humidity: '%',
  cloud_cover: '%',
  pressure: 'hPa',
};

export const normaliseUnit = (u: string) => u.trim().toLowerCase();

/** The range of a series of this unit, or undefined when the unit has no known bounds. */
export function rangeFor(unit: string, attrs?: unknown): Range | undefined {
  const own = (attrs as { range?: Partial<Range> } | undefined)?.range;
  const base = BY_UNIT[normaliseUnit(unit)];
  if (!own) return base;
  return { min: own.min ?? base?.min ?? -Infinity, max: own.max ?? base?.max ?? Infinity };
}
