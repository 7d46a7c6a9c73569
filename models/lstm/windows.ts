import { dayKey, publicHolidays } from '../../core/calendar.ts';
import { GridcastError } from '../../core/errors.ts';
import { calendarFeatures, DAY_TYPE, type CalendarSpec } from '../features/calendar.ts';
import { stepsPerDay } from '../timeindex.ts';
import type { LstmParams } from './params.ts';

/**
 * Shape of one training/forecast sample. The recurrent input is the last `days` days cut into
 * day blocks (one LSTM step per day: load, temperature, its mask and a non-working-day flag for
 * each slot of that day),
 * which gives the network a whole week at the cost of 7 recurrent steps instead of 168.
 */
export interface Layout {
  perDay: number;
  days: number;
  /** Lag of the "same slot last week" input, in days (7, or fewer when the window is shorter). */
  lagDays: number;
  horizon: number;
  /** Steps the network reads before the origin (days × perDay); also the normalisation window. */
  window: number;
  seqFeatures: number;
  staticFeatures: number;
}

/** Per horizon step: weekly lag, last-day profile, temperature, its mask, Saturday, Sunday, holiday, bridge day. */
const PER_STEP_STATIC = 8;
/** Hour of day and weekday of the origin, each as sin/cos. */
const ORIGIN_STATIC = 4;
const SAT = 5;
const SUN = 6;

export function layoutOf(stepSec: number, p: Pick<LstmParams, 'horizon' | 'lookbackDays'>): Layout {
  const perDay = stepsPerDay(stepSec);
  const lagDays = Math.min(7, p.lookbackDays);
  if (p.horizon > lagDays * perDay) {
    throw new GridcastError('LSTM_HORIZON', `the LSTM head covers at most ${lagDays * perDay} steps with lookbackDays=${p.lookbackDays}; lower horizon (longer forecasts are rolled forward block by block)`, {
      horizon: p.horizon,
      lookbackDays: p.lookbackDays,
    });
  }
  return {
    perDay,
    days: p.lookbackDays,
    lagDays,
    horizon: p.horizon,
    window: p.lookbackDays * perDay,
    seqFeatures: 4 * perDay,
    staticFeatures: PER_STEP_STATIC * p.horizon + ORIGIN_STATIC,
  };
}

/** Years after the training data whose public holidays a fitted model knows. */
const HOLIDAY_YEARS_AHEAD = 10;

/**
 * The calendar with its country's public holidays written out as explicit days, from the year
 * before `fromMs` to 10 years after `toMs`: looking holidays up costs ~70 ms per call, far more
 * than a forecast, so a fitted model resolves them once and stores the list.
 */
export function resolveCalendar(spec: CalendarSpec, fromMs: number, toMs: number): CalendarSpec {
  if (!spec.country) return spec;
  const first = new Date(fromMs).getUTCFullYear() - 1;
  const years = Array.from({ length: new Date(toMs).getUTCFullYear() + HOLIDAY_YEARS_AHEAD - first + 1 }, (_, i) => first + i);
  const days = [...publicHolidays(spec.country, spec.region, years)].sort((a, b) => a - b).map(dayKey);
  return { ...(spec.schoolVacations ? { schoolVacations: spec.schoolVacations } : {}), extraHolidays: [...new Set([...(spec.extraHolidays ?? []), ...days])] };
}

/** Affine map of temperature to the network's scale, pooled over the training series. */
export interface TempNorm {
  mean: number;
  sd: number;
}

/**
 * One series laid out for the feature builder over history (and, when forecasting, horizon):
 * every array is indexed the same way, index 0 being the time `startMs`.
 */
export interface Frame {
  /** Load with gaps filled; only indices before an origin are read. */
  y: Float64Array;
  /** Normalised temperature, 0 where unknown. */
  temp: Float32Array;
  /** 1 where the temperature is known. */
  tmask: Float32Array;
  /** Local hour of day, [0, 24). */
  hour: Float64Array;
  /** 0 … 6 = Monday … Sunday, DAY_TYPE.HOLIDAY, DAY_TYPE.BRIDGE. */
  dayType: Float64Array;
  /** Local day number. */
  day: Int32Array;
}

export function buildFrame(
  y: Float64Array,
  temperature: Float64Array | undefined,
  norm: TempNorm,
  startMs: number,
  stepSec: number,
  timeZone: string | undefined,
  calendar: CalendarSpec,
): Frame {
  const n = y.length;
  const temp = new Float32Array(n);
  const tmask = new Float32Array(n);
  if (temperature) {
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(temperature[i])) {
        temp[i] = (temperature[i] - norm.mean) / norm.sd;
        tmask[i] = 1;
      }
    }
  }
  const { hour, dayType, day } = calendarFeatures(startMs, stepSec, n, timeZone ?? 'UTC', calendar);
  return { y, temp, tmask, hour, dayType, day };
}

/**
 * Missing load replaced by the same slot a week (else a day) earlier, leading gaps by the
 * first later value of the same slot, anything left by the mean: the network then always
 * reads finite inputs, and gaps look like an ordinary week rather than a drop to zero.
 */
export function fillGaps(values: Float64Array, perDay: number, seriesId: string): Float64Array {
  const out = Float64Array.from(values);
  const week = 7 * perDay;
  let sum = 0;
  let count = 0;
  for (const v of values) if (Number.isFinite(v)) { sum += v; count++; }
  if (count === 0) {
    throw new GridcastError('HISTORY_MISSING', `lstm: series '${seriesId}' has no observed value; impute or wait for data`, { seriesId, kind: 'lstm' });
  }
  for (let i = 0; i < out.length; i++) {
    if (Number.isFinite(out[i])) continue;
    if (i >= week && Number.isFinite(out[i - week])) out[i] = out[i - week];
    else if (i >= perDay && Number.isFinite(out[i - perDay])) out[i] = out[i - perDay];
  }
  for (let i = out.length - 1; i >= 0; i--) {
    if (Number.isFinite(out[i])) continue;
    for (let j = i + perDay; j < out.length; j += perDay) {
      if (Number.isFinite(out[j])) { out[i] = out[j]; break; }
    }
    if (!Number.isFinite(out[i])) out[i] = sum / count;
  }
  return out;
}

/** Level and scale of the window before origin t: every load input and output is (y − m) / s. */
export function windowScale(y: Float64Array, t: number, L: Layout): { m: number; s: number } {
  let sum = 0;
  for (let i = t - L.window; i < t; i++) sum += y[i];
  const m = sum / L.window;
  let ss = 0;
  for (let i = t - L.window; i < t; i++) ss += (y[i] - m) ** 2;
  const sd = Math.sqrt(ss / L.window);
  return { m, s: Math.max(sd, 1e-3 * Math.abs(m), 1e-9) };
}

/**
 * Writes the inputs of the sample at origin t (history before t, horizon t … t+H−1) at the
 * given offsets. `dropTemp` hides the temperature, as when a series has none: training does it
 * at random so one network serves series with and without weather.
 */
export function writeSample(
  f: Frame,
  t: number,
  L: Layout,
  seq: Float32Array,
  seqOff: number,
  stat: Float32Array,
  statOff: number,
  dropTemp = false,
): { m: number; s: number } {
  const { m, s } = windowScale(f.y, t, L);
  const P = L.perDay;
  let o = seqOff;
  for (let d = 0; d < L.days; d++) {
    const from = t - (L.days - d) * P;
    for (let k = 0; k < P; k++) seq[o + k] = (f.y[from + k] - m) / s;
    for (let k = 0; k < P; k++) seq[o + P + k] = dropTemp ? 0 : f.temp[from + k];
    for (let k = 0; k < P; k++) seq[o + 2 * P + k] = dropTemp ? 0 : f.tmask[from + k];
    for (let k = 0; k < P; k++) seq[o + 3 * P + k] = f.dayType[from + k] >= SAT ? 1 : 0;
    o += L.seqFeatures;
  }
  const H = L.horizon;
  const lag = L.lagDays * P;
  for (let h = 0; h < H; h++) {
    const i = t + h;
    stat[statOff + h] = (f.y[i - lag] - m) / s;
    stat[statOff + H + h] = (f.y[t - P + (h % P)] - m) / s;
    stat[statOff + 2 * H + h] = dropTemp ? 0 : f.temp[i];
    stat[statOff + 3 * H + h] = dropTemp ? 0 : f.tmask[i];
    stat[statOff + 4 * H + h] = f.dayType[i] === SAT ? 1 : 0;
    stat[statOff + 5 * H + h] = f.dayType[i] === SUN ? 1 : 0;
    stat[statOff + 6 * H + h] = f.dayType[i] === DAY_TYPE.HOLIDAY ? 1 : 0;
    stat[statOff + 7 * H + h] = f.dayType[i] === DAY_TYPE.BRIDGE ? 1 : 0;
  }
  const hourAngle = (2 * Math.PI * f.hour[t]) / 24;
  const weekAngle = (2 * Math.PI * ((((f.day[t] + 3) % 7) + 7) % 7)) / 7; // 1970-01-01 was a Thursday
  const o2 = statOff + PER_STEP_STATIC * H;
  stat[o2] = Math.sin(hourAngle);
  stat[o2 + 1] = Math.cos(hourAngle);
  stat[o2 + 2] = Math.sin(weekAngle);
  stat[o2 + 3] = Math.cos(weekAngle);
  return { m, s };
}
