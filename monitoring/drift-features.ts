/**
 * The daily inputs the drift tests compare (pure: arrays in, arrays out). Hourly points are
 * reduced to local-day means before any test: load and temperature are strongly autocorrelated
 * hour to hour, so n hourly points carry far fewer than n independent observations and a KS test
 * on them would report tiny p-values for differences that are only persistence. Daily means are
 * still autocorrelated (weather regimes last days): the decision is calibrated on the training's
 * own fortnights (drift-calibration.ts), not on a p-value that takes the days as independent.
 */
import { calendarFeatures, DAY_TYPE_LEVELS } from '../models/features/calendar.ts';
import { temperatureFeatures } from '../models/features/temperature.ts';
import { quantile7, sortedFinite } from './stats/sample.ts';
import { ridgeGcv } from './stats/ridge.ts';

export interface DailyInputs {
  /** Local day numbers (days since 1970-01-01, local). */
  day: number[];
  /** Day type of each day (0–6 Monday–Sunday, 7 holiday, 8 bridge: models/features/calendar.ts). */
  dayType: number[];
  /** Daily means of each numeric feature, NaN where the day is too incomplete. */
  numeric: Record<string, number[]>;
  /** The hourly values of each numeric feature, per day (for effect sizes). */
  hours: Record<string, Float64Array[]>;
}

/** A day counts when at least this many of its hours are known (a DST day has 23 or 25). */
const MIN_HOURS = 18;

export const LOAD = 'load';
export const TEMPERATURE = 'temperature';
/** The daily load less what the training's load–temperature relation expects for the day (loadModel). */
export const LOAD_GIVEN_TEMPERATURE = 'load_given_temperature';

/**
 * The temperature features the GAM builds (models/features/temperature.ts) that are worth a test
 * of their own: the previous day's temperature and the 24 h maximum and minimum. The smoothed
 * temperatures are left out: as daily means they keep days of memory (the 72 h one: 14 daily
 * means are ≈ 5 independent values), so a KS p-value on them is overconfident, and they move
 * with the daily temperature, which is tested.
 */
export function temperatureFeatureNames(): string[] {
  return ['temp_lag24', 'temp_max24', 'temp_min24'];
}

export function dailyInputs(
  startMs: number,
  load: Float64Array,
  temperature: Float64Array | undefined,
  timeZone: string,
  opts: { holidays?: string } = {},
): DailyInputs {
  const n = load.length;
  const cal = calendarFeatures(startMs, 3600, n, timeZone, opts.holidays ? { country: opts.holidays } : {});
  const hourly: Record<string, Float64Array> = { [LOAD]: load };
  if (temperature) {
    const tf = temperatureFeatures(temperature, 3600, []);
    hourly[TEMPERATURE] = temperature;
    for (const name of temperatureFeatureNames()) hourly[name] = tf.columns[name];
  }
  const out: DailyInputs = {
    day: [],
    dayType: [],
    numeric: Object.fromEntries(Object.keys(hourly).map((k) => [k, []])),
    hours: Object.fromEntries(Object.keys(hourly).map((k) => [k, []])),
  };
  let i = 0;
  while (i < n) {
    const d = cal.day[i];
    let j = i;
    while (j < n && cal.day[j] === d) j++;
    // Days cut by the window's edges are left out: a partial day's mean is biased by its hours.
    const whole = Math.floor(cal.hour[i]) === 0 && Math.floor(cal.hour[j - 1]) === 23;
    if (whole) {
      out.day.push(d);
      out.dayType.push(cal.dayType[i]);
      for (const [k, v] of Object.entries(hourly)) {
        out.numeric[k].push(meanOf(v, i, j));
        out.hours[k].push(v.slice(i, j));
      }
    }
    i = j;
  }
  return out;
}

function meanOf(v: Float64Array, from: number, to: number): number {
  let s = 0;
  let c = 0;
  for (let k = from; k < to; k++) {
    if (Number.isFinite(v[k])) {
      s += v[k];
      c++;
    }
  }
  return c >= MIN_HOURS ? s / c : Number.NaN;
}

/** Counts of each day type over some days, in DAY_TYPE order. */
export function dayTypeCounts(dayType: readonly number[], keep: (i: number) => boolean): number[] {
  const c = new Array<number>(DAY_TYPE_LEVELS).fill(0);
  dayType.forEach((t, i) => {
    if (keep(i)) c[t]++;
  });
  return c;
}

/** Widening of the same-dates span when the training window holds too few of its days. */
const WIDEN_DAYS = 30;
const DAY_MS = 86_400_000;

/** Days from `centre` (a local day number, possibly fractional) to the same date as `day` in the nearest year (29 February: 1 March in other years). */
function daysApart(day: number, centre: number): number {
  const d = civilFromDays(day);
  const year = civilFromDays(Math.floor(centre)).year;
  return Math.min(
    Math.abs(daysFromCivil(year - 1, d.month, d.day) - centre),
    Math.abs(daysFromCivil(year, d.month, d.day) - centre),
    Math.abs(daysFromCivil(year + 1, d.month, d.day) - centre),
  );
}

/*
 * Proleptic Gregorian dates and day numbers without Date objects (H. Hinnant's days_from_civil and
 * civil_from_days): the calibration finds a reference for every window of the training, which
 * made Date construction most of its time. Month 1–12; an out-of-range day rolls over as in Date.UTC.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function civilFromDays(n: number): { year: number; month: number; day: number } {
  const z = n + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day: doy - Math.floor((153 * mp + 2) / 5) + 1 };
}

/**
 * Indices of the reference days at the same time of year as the recent window: those whose date,
 * moved to the nearest year, lies within `marginDays` of the recent window's span (around the
 * year's end too: a window in early January matches the training's late December and early
 * January), widened by
 * WIDEN_DAYS on each side when that leaves fewer than `minDays` (a training window that only
 * grazes the season); empty when even that is too few. `months`: the calendar months the matched
 * days fall in (of the span tried last when none matched), for the report.
 *
 * Centred on the recent days rather than their calendar months: a reference centred on them
 * has the annual cycle's slope cancel out of its mean, a whole month does not. In spring and
 * autumn the temperature moves 4–5 °C a month, so a fortnight at the end of October is 1–2 °C
 * colder than October on average, in a year that repeats the training year day for day: by
 * months, that was a drift.
 */
export function seasonMatched(referenceDays: readonly number[], recentDays: readonly number[], marginDays: number, minDays: number): { indices: number[]; months: number[] } {
  if (recentDays.length === 0) return { indices: [], months: [] };
  const span = recentDays[recentDays.length - 1] - recentDays[0];
  const centre = recentDays[0] + span / 2;
  const apart = referenceDays.map((d) => daysApart(d, centre));
  let tried: number[] = [];
  for (const widen of [0, WIDEN_DAYS]) {
    const half = span / 2 + marginDays + widen;
    const indices = referenceDays.flatMap((_, i) => (apart[i] <= half ? [i] : []));
    if (indices.length >= minDays) return { indices, months: monthsOf(indices.map((i) => referenceDays[i])) };
    // The dates around the recent days, in their own year (for the months a report names).
    tried = Array.from({ length: 2 * Math.floor(half) + 1 }, (_, k) => Math.round(centre - Math.floor(half)) + k);
  }
  return { indices: [], months: monthsOf(tried) };
}

function monthsOf(days: readonly number[]): number[] {
  return [...new Set(days.map((d) => new Date(d * DAY_MS).getUTCMonth() + 1))].sort((a, b) => a - b);
}

/**
 * The load the weather and the calendar explain, fitted on the training days: least squares of
 * the daily mean load on the daily mean temperature (piecewise linear, knots at its quintiles, so
 * heating and cooling each get their slope), the previous day's mean temperature (buildings keep
 * yesterday's heat) and the day type. The level of the load given the temperature is what moves
 * when consumers connect or leave; the raw daily load moves with every cold or warm fortnight,
 * which hides a 10–20 % change of level in the weather (README, Benchmarks, "Input drift").
 */
export interface LoadModel {
  knots: number[];
  intercept: number;
  weights: number[];
  /** Training days fitted. */
  days: number;
}

const KNOT_QUANTILES = [0.2, 0.4, 0.6, 0.8];
/** Days per coefficient below which the relation is not fitted. */
const DAYS_PER_COEFFICIENT = 4;

function loadRow(knots: readonly number[], t: number, lag: number, dayType: number): number[] {
  const types = Array.from({ length: DAY_TYPE_LEVELS - 1 }, (_, j) => (dayType === j + 1 ? 1 : 0)); // Monday is the base
  return [t, ...knots.map((k) => Math.max(0, t - k)), lag, ...types];
}

/** The relation on the days of `d` (null: no temperature, or too few days with load and temperature). */
export function loadModel(d: DailyInputs): LoadModel | null {
  const t = d.numeric[TEMPERATURE];
  const lag = d.numeric.temp_lag24;
  const y = d.numeric[LOAD];
  if (!t || !lag || !y) return null;
  const temps = sortedFinite(t);
  const knots = [...new Set(KNOT_QUANTILES.map((q) => quantile7(temps, q)))];
  const rows = d.day.map((_, i) => loadRow(knots, t[i], lag[i], d.dayType[i]));
  const used = rows.filter((r, i) => Number.isFinite(y[i]) && r.every(Number.isFinite)).length;
  if (temps.length === 0 || used < DAYS_PER_COEFFICIENT * (rows[0].length + 1)) return null;
  // A negligible ridge: least squares that stays solvable when a day type never occurs.
  const fit = ridgeGcv(rows, y, [1e-6]);
  return { knots, intercept: fit.intercept, weights: fit.weights, days: used };
}

/** Each day's mean load less the relation's expectation for it (NaN without load or temperature). */
export function loadGivenTemperature(m: LoadModel, d: DailyInputs): number[] {
  const t = d.numeric[TEMPERATURE] ?? [];
  const lag = d.numeric.temp_lag24 ?? [];
  return d.day.map((_, i) => d.numeric[LOAD][i] - loadRow(m.knots, t[i], lag[i], d.dayType[i]).reduce((a, v, j) => a + v * m.weights[j], m.intercept));
}
