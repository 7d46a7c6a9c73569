import type { Issue } from './issues.ts';

/**
 * Physical value ranges (A9): first the plausible magnitude of the unit, to catch unit and scaling
 * errors; then what the kind of series allows. A load is a withdrawal and cannot be negative
 * unless the node declares embedded generation (attrs.netLoad, or attrs.pvCapacity > 0: a
 * substation with PV behind it feeds back at noon); generation cannot be negative; a flow is
 * signed. Quantities that cannot be negative get a small margin below zero for sensor noise. A
 * series can narrow or widen its range with attrs.range = { min, max }, which wins over all this.
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
  '%': { min: -1, max: 101 }, hpa: { min: 850, max: 1090 }, mm: { min: -0.5, max: 2000 },
};

/** Weather files name a variable, not a unit: the conventional unit of each. */
const WEATHER_VARIABLE_UNITS: Record<string, string> = {
  temperature: '°C',
  dew_point: '°C',
  wind_speed: 'm/s',
  irradiance: 'W/m2',
  ghi: 'W/m2',
  humidity: '%',
  cloud_cover: '%',
  pressure: 'hPa',
  precipitation: 'mm',
};

export const normaliseUnit = (u: string) => u.trim().toLowerCase();

/** What a range is decided from: the series' kind, unit and topology attributes. */
export interface RangedSeries {
  kind: string;
  unit: string;
  attrs?: Record<string, unknown>;
}

/** True when a load node declares generation behind its meter, so its net withdrawal may go negative. */
function isNetLoad(attrs: Record<string, unknown> | undefined): boolean {
  if (!attrs) return false;
  return attrs.netLoad === true || (typeof attrs.pvCapacity === 'number' && attrs.pvCapacity > 0);
}

/** The range of a series, or undefined when neither its unit nor its attributes bound it. */
export function seriesRange(s: RangedSeries): Range | undefined {
  let base = BY_UNIT[normaliseUnit(s.unit)];
  if (base && (s.kind === 'generation' || (s.kind === 'load' && !isNetLoad(s.attrs)))) base = { min: 0, max: base.max };
  const own = s.attrs?.range as Partial<Range> | undefined;
  if (!own) return base;
  return { min: own.min ?? base?.min ?? -Infinity, max: own.max ?? base?.max ?? Infinity };
}

/** The range of a weather variable, from its conventional unit. */
export function variableRange(variable: string): { range: Range; unit: string } | undefined {
  const unit = WEATHER_VARIABLE_UNITS[variable];
  const range = unit ? BY_UNIT[normaliseUnit(unit)] : undefined;
  return unit && range ? { range, unit } : undefined;
}

export const outOfRange = (v: number, r: Range | undefined): r is Range => r !== undefined && (v < r.min || v > r.max);

/**
 * The OUT_OF_RANGE issue of a value outside `r`, the range of series `s`: it names the series,
 * the value and the range, and how to declare a wider one when the kind rule refused it.
 */
export function outOfRangeIssue(seriesId: string, s: RangedSeries, r: Range, text: string): Omit<Issue, 'line'> {
  let hint = '';
  if (text.trim().startsWith('-') && r.min === 0 && !s.attrs?.range) {
    hint = s.kind === 'load'
      ? ': a load cannot be negative unless its node declares embedded generation (attrs.netLoad: true, or attrs.pvCapacity) — else check the sign and the id'
      : ': generation cannot be negative (declare attrs.range.min if this meter reads auxiliary consumption)';
  }
  return { code: 'OUT_OF_RANGE', message: `value ${text} of series '${seriesId}' (${s.kind}) is outside its range [${r.min}, ${r.max}] ${s.unit}${hint}` };
}
