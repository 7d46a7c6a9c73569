import { cusumAlarms } from './cusum.ts';
import { median } from './robust.ts';
import { seededRandom } from './rng.ts';
import { confirmedWindowAlarms, type WindowConfirm } from './window-mean.ts';

export interface CalibrationParams {
  /** CUSUM allowance (standard deviations). */
  k: number;
  /** False alarms allowed per series-year. */
  alarmsPerYear: number;
  /** Detector steps per year at the cadence it reads (hourly residuals: 8760). */
  stepsPerYear: number;
  /** Bootstrap block length in steps: a week keeps the daily and weekly pattern and the autocorrelation within it. */
  blockLength: number;
  /** Simulated series-years. */
  years: number;
  seed: number;
  /** Search range of h. */
  hMin: number;
  hMax: number;
  /** Also require the target on the sample itself (see calibrateThreshold). */
  inSample: boolean;
  /**
   * Count only the alarms the confirmation would act on (see confirmedAlarms): the target is then
   * false fallback switches, not raw alarms. `relative` maps a standardised residual back to a
   * share of the level (z·scale + centre) / level.
   */
  confirm?: { points: number; minRelativeShift: number; relative: (z: number) => number };
}

export const DEFAULT_CALIBRATION: CalibrationParams = { k: 0.5, alarmsPerYear: 1, stepsPerYear: 8760, blockLength: 168, years: 20, seed: 1, hMin: 1, hMax: 1000, inSample: true };

export interface Calibration {
  h: number;
  /** Mean alarms per simulated year at that h (≤ the target unless h hit hMax). */
  alarmsPerYear: number;
  /** Standardised residuals the bootstrap resampled. */
  sample: number;
  /** The two thresholds h is the larger of: by the bootstrap, and on the sample in its order. */
  hBootstrap: number;
  hSample: number;
}

/**
 * Moving-block bootstrap (Künsch 1989) of a series' own standardised residuals: `years` paths
 * of `stepsPerYear`, each glued from blocks of `blockLength` consecutive residuals drawn with
 * replacement, keep the autocorrelation and daily shape that an iid N(0,1) table of ARL0
 * ignores (hourly day-ahead residuals are strongly autocorrelated, so h from that table fires
 * every few days). Deterministic for a seed.
 */
export function blockBootstrap(z: ArrayLike<number>, length: number, blockLength: number, rand: () => number): Float64Array {
  const v = Float64Array.from(Array.from(z).filter(Number.isFinite));
  const b = Math.max(1, Math.min(blockLength, v.length));
  const starts = v.length - b + 1;
  const out = new Float64Array(length);
  for (let t = 0; t < length; ) {
    const s = Math.floor(rand() * starts);
    for (let j = 0; j < b && t < length; j++) out[t++] = v[s + j];
  }
  return out;
}

/**
 * Alarms of the chart over `z` that the confirmation of an alarm would act on, as the monitor
 * runs it: at an alarm, the points from the estimated change to at least `points` after it; the
 * alarm counts when their median share of the level reaches the minimum on the alarm's side; the
 * chart restarts after the last point read either way.
 */
export function confirmedAlarms(z: ArrayLike<number>, k: number, h: number, c: NonNullable<CalibrationParams['confirm']>): number {
  let up = 0;
  let down = 0;
  let upRun = 0;
  let downRun = 0;
  let count = 0;
  for (let t = 0; t < z.length; t++) {
    const v = z[t];
    if (!Number.isFinite(v)) continue;
    up = Math.max(0, up + v - k);
    down = Math.max(0, down - v - k);
    upRun = up > 0 ? upRun + 1 : 0;
    downRun = down > 0 ? downRun + 1 : 0;
    if (up <= h && down <= h) continue;
    const side = up > h ? 1 : -1;
    const from = t - (side > 0 ? upRun : downRun) + 1;
    const to = Math.min(z.length - 1, Math.max(t, from + c.points - 1));
    const window: number[] = [];
    for (let i = Math.max(0, from); i <= to; i++) if (Number.isFinite(z[i])) window.push(c.relative(z[i]));
    if (window.length >= c.points && side * median(window) >= c.minRelativeShift) count++;
    up = down = upRun = downRun = 0;
    t = to;
  }
  return count;
}

/** Smallest h in [lo, hi] whose alarm rate is at most the target, by bisection (the rate falls as h grows). */
function smallestH(rate: (h: number) => number, target: number, lo: number, hi: number, resolution = (x: number) => 0.05 * Math.max(1, x)): number {
  if (rate(lo) <= target) return lo;
  if (rate(hi) > target) return hi;
  while (hi - lo > resolution(lo)) {
    const mid = (lo + hi) / 2;
    if (rate(mid) <= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The threshold h for a target false-alarm rate on a series' own standardised residuals (chart
 * restarted after each alarm): the larger of
 * - the smallest h whose mean alarms per year over the bootstrapped years meet the target, and
 * - the smallest h that raises at most target × (sample length in years) alarms, rounded down, on
 *   the sample itself, in its order. Blocks of a week cut the longer persistence of real residuals
 *   (a weather regime, a holiday season, a model that drifts over months), which the bootstrap
 *   then misses; the sample keeps it. On GEFCom2012 zones the bootstrap alone gave h that raised
 *   2–3 switches per series-year out of sample instead of 1 (README, bench/monitoring).
 */
export function calibrateThreshold(z: ArrayLike<number>, params: Partial<CalibrationParams> = {}): Calibration {
  const p = { ...DEFAULT_CALIBRATION, ...params };
  const finite = Array.from(z).filter(Number.isFinite);
  if (finite.length < 2 * p.blockLength) throw new RangeError(`calibration needs at least ${2 * p.blockLength} residuals, got ${finite.length}`);
  const rand = seededRandom(p.seed);
  const paths = Array.from({ length: p.years }, () => blockBootstrap(finite, p.stepsPerYear, p.blockLength, rand));
  const alarms = (path: ArrayLike<number>, h: number) => (p.confirm ? confirmedAlarms(path, p.k, h, p.confirm) : cusumAlarms(path, { k: p.k, h }).count);
  const rate = (h: number) => paths.reduce((a, path) => a + alarms(path, h), 0) / p.years;
  const bootstrap = smallestH(rate, p.alarmsPerYear, p.hMin, p.hMax);
  const allowed = p.inSample ? Math.floor((p.alarmsPerYear * finite.length) / p.stepsPerYear) : Number.POSITIVE_INFINITY;
  const sample = Number.isFinite(allowed) ? smallestH((h) => alarms(finite, h), allowed, p.hMin, p.hMax) : p.hMin;
  const h = Math.max(bootstrap, sample);
  return { h, alarmsPerYear: rate(h), sample: finite.length, hBootstrap: bootstrap, hSample: sample };
}

export interface WindowCalibrationParams {
  /** Window of the mean, in steps. */
  window: number;
  confirm: WindowConfirm;
  alarmsPerYear: number;
  stepsPerYear: number;
  blockLength: number;
  years: number;
  seed: number;
  /** Search range of the threshold (a share of the level). */
  cMin: number;
  cMax: number;
}

/**
 * The threshold c of the window-mean chart (monitoring/stats/window-mean.ts) for a target rate
 * of confirmed false alarms on a series' own centred residual shares, by the same rule as
 * calibrateThreshold: the larger of the smallest c meeting the target on average over the
 * block-bootstrapped years, and the smallest c raising at most target × (sample years), rounded
 * down, on the sample in its order.
 */
export function calibrateWindowThreshold(r: ArrayLike<number>, p: WindowCalibrationParams): Calibration {
  const finite = Array.from(r).filter(Number.isFinite);
  if (finite.length < 2 * p.blockLength) throw new RangeError(`calibration needs at least ${2 * p.blockLength} residuals, got ${finite.length}`);
  const rand = seededRandom(p.seed);
  const paths = Array.from({ length: p.years }, () => blockBootstrap(finite, p.stepsPerYear, p.blockLength, rand));
  const alarms = (path: ArrayLike<number>, c: number) => confirmedWindowAlarms(path, p.window, c, p.confirm);
  const rate = (c: number) => paths.reduce((a, path) => a + alarms(path, c), 0) / p.years;
  // to half a percent of the level
  const bootstrap = smallestH(rate, p.alarmsPerYear, p.cMin, p.cMax, () => 0.005);
  const allowed = Math.floor((p.alarmsPerYear * finite.length) / p.stepsPerYear);
  const sample = smallestH((c) => alarms(finite, c), allowed, p.cMin, p.cMax, () => 0.005);
  const c = Math.max(bootstrap, sample);
  return { h: c, alarmsPerYear: rate(c), sample: finite.length, hBootstrap: bootstrap, hSample: sample };
}
