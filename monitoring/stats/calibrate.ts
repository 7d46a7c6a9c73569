import { seededRandom } from '../../core/random.ts';
import { confirmedWindowAlarms, type WindowConfirm } from './window-mean.ts';

export interface Calibration {
  threshold: number;
  /** Mean confirmed alarms per simulated year at that threshold (≤ the target unless it hit cMax). */
  alarmsPerYear: number;
  /** Residuals the bootstrap resampled. */
  sample: number;
  /** The two thresholds it is the larger of: by the bootstrap, and on the sample in its order. */
  bootstrap: number;
  inSample: number;
}

/**
 * Moving-block bootstrap (Künsch 1989) of a series' own residuals: paths of `length`, each
 * glued from blocks of `blockLength` consecutive residuals drawn with replacement, keep the
 * autocorrelation and daily shape that a table for iid residuals ignores. Deterministic for a
 * generator's seed.
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

/** Smallest threshold in [lo, hi] whose alarm rate is at most the target, to `resolution`, by bisection (the rate falls as it grows). */
function smallestThreshold(rate: (c: number) => number, target: number, lo: number, hi: number, resolution: number): number {
  if (rate(lo) <= target) return lo;
  if (rate(hi) > target) return hi;
  while (hi - lo > resolution) {
    const mid = (lo + hi) / 2;
    if (rate(mid) <= target) hi = mid;
    else lo = mid;
  }
  return hi;
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
 * of confirmed false alarms on a series' own centred residual shares: the larger of
 * - the smallest c meeting the target on average over the block-bootstrapped years, and
 * - the smallest c raising at most m = max(0, ⌊target × sample years⌋ − 1) alarms on the sample
 *   itself, in its order (none for up to two years at one a year).
 * Why one fewer than the target: a threshold just above the (m+1)-th largest excursion of the
 * sample is exceeded, in a new period of the same length whose excursions are exchangeable with
 * the sample's, by about m + 1 of them (a new excursion tops the (m+1)-th largest of N with
 * probability (m+1)/(N+1)). Allowing the target itself in the sample gives one more false alarm
 * per period out of sample than the target, and so does a bootstrap of the same year, which
 * sees no excursion larger than the sample's. A sample shorter than 1 / target years cannot
 * bound the rate that way (the bootstrap extrapolates it); m = 0 is the best it can do.
 */
export function calibrateWindowThreshold(r: ArrayLike<number>, p: WindowCalibrationParams): Calibration {
  const finite = Float64Array.from(Array.from(r).filter(Number.isFinite));
  if (finite.length < 2 * p.blockLength) throw new RangeError(`calibration needs at least ${2 * p.blockLength} residuals, got ${finite.length}`);
  const rand = seededRandom(p.seed);
  const paths = Array.from({ length: p.years }, () => blockBootstrap(finite, p.stepsPerYear, p.blockLength, rand));
  const alarms = (path: Float64Array, c: number) => confirmedWindowAlarms(path, p.window, c, p.confirm);
  const rate = (c: number) => paths.reduce((a, path) => a + alarms(path, c), 0) / p.years;
  // to half a percent of the level
  const bootstrap = smallestThreshold(rate, p.alarmsPerYear, p.cMin, p.cMax, 0.005);
  const allowed = Math.max(0, Math.floor((p.alarmsPerYear * finite.length) / p.stepsPerYear) - 1);
  const sample = smallestThreshold((c) => alarms(finite, c), allowed, p.cMin, p.cMax, 0.005);
  const c = Math.max(bootstrap, sample);
  return { threshold: c, alarmsPerYear: rate(c), sample: finite.length, bootstrap, inSample: sample };
}
