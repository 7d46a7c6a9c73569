import { cusumAlarms } from './cusum.ts';
import { seededRandom } from './rng.ts';

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
}

export const DEFAULT_CALIBRATION: CalibrationParams = { k: 0.5, alarmsPerYear: 1, stepsPerYear: 8760, blockLength: 168, years: 20, seed: 1, hMin: 1, hMax: 1000 };

export interface Calibration {
  h: number;
  /** Mean alarms per simulated year at that h (≤ the target unless h hit hMax). */
  alarmsPerYear: number;
  /** Standardised residuals the bootstrap resampled. */
  sample: number;
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
 * The smallest h whose mean false alarms per year over the bootstrapped years is at most the
 * target (chart restarted after each alarm), by bisection on one fixed set of paths.
 */
export function calibrateThreshold(z: ArrayLike<number>, params: Partial<CalibrationParams> = {}): Calibration {
  const p = { ...DEFAULT_CALIBRATION, ...params };
  const finite = Array.from(z).filter(Number.isFinite);
  if (finite.length < 2 * p.blockLength) throw new RangeError(`calibration needs at least ${2 * p.blockLength} residuals, got ${finite.length}`);
  const rand = seededRandom(p.seed);
  const paths = Array.from({ length: p.years }, () => blockBootstrap(finite, p.stepsPerYear, p.blockLength, rand));
  const rate = (h: number) => paths.reduce((a, path) => a + cusumAlarms(path, { k: p.k, h }).count, 0) / p.years;
  let lo = p.hMin;
  let hi = p.hMax;
  if (rate(lo) <= p.alarmsPerYear) return { h: lo, alarmsPerYear: rate(lo), sample: finite.length };
  if (rate(hi) > p.alarmsPerYear) return { h: hi, alarmsPerYear: rate(hi), sample: finite.length };
  while (hi - lo > 0.05 * Math.max(1, lo) && hi - lo > 0.01) {
    const mid = (lo + hi) / 2;
    if (rate(mid) <= p.alarmsPerYear) hi = mid;
    else lo = mid;
  }
  return { h: hi, alarmsPerYear: rate(hi), sample: finite.length };
}
