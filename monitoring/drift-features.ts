/**
 * The daily inputs the drift tests compare (pure: arrays in, arrays out). Hourly points are
 * reduced to local-day means before any test: load and temperature are strongly autocorrelated
 * hour to hour, so n hourly points carry far fewer than n independent observations and a KS test
 * on them would report tiny p-values for differences that are only persistence. Daily means are
 * still autocorrelated (weather regimes last days), which is one more reason drift also needs an
 * effect size above a business threshold, not a p-value alone.
 */
import { dayKey } from '../core/calendar.ts';
import { calendarFeatures, DAY_TYPE_LEVELS } from '../models/features/calendar.ts';
import { temperatureFeatures } from '../models/features/temperature.ts';

export interface DailyInputs {
  /** Local day numbers (days since 1970-01-01, local). */
  day: number[];
  /** Calendar month (1–12) of each day. */
  month: number[];
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
    month: [],
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
      out.month.push(Number(dayKey(d).slice(5, 7)));
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

/**
 * Indices of the reference days in the recent window's calendar months, widened by one month on
 * each side when that leaves fewer than `minDays` (a training window that only grazes the
 * season); empty when even that is too few.
 */
export function seasonMatched(referenceMonths: readonly number[], recentMonths: readonly number[], minDays: number): { indices: number[]; months: number[] } {
  const months = new Set(recentMonths);
  for (let widen = 0; widen <= 1; widen++) {
    if (widen === 1) for (const m of [...months]) for (const x of [m - 1, m + 1]) months.add(((x + 11) % 12) + 1);
    const indices = referenceMonths.flatMap((m, i) => (months.has(m) ? [i] : []));
    if (indices.length >= minDays) return { indices, months: [...months].sort((a, b) => a - b) };
  }
  return { indices: [], months: [...months].sort((a, b) => a - b) };
}
