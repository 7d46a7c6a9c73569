import { DateTime } from 'luxon';
import type { FittedForecaster, Forecaster, ModelArtifact } from '../../core/types.ts';
import { addQuantiles, errorQuantiles, type ErrorQuantiles } from '../quantiles/empirical.ts';
import { meanSd, stepsPerDay } from '../timeindex.ts';
import { requireHistory } from './history.ts';
import { perSeriesForecaster, perSeriesFromArtifact, stepsPerDayOf, type FallbackParams, type PerSeriesModel } from './per-series.ts';

export interface SeasonalNaiveParams extends FallbackParams {
  period: 'day' | 'week';
  /** Periods of history used for the error quantiles. */
  lookbackPeriods: number;
}

interface State {
  /** The last period of values plus the margin of a 25-hour day, gaps filled from earlier periods. */
  last: Float64Array;
  /** Steps per period. */
  period: number;
  /** Error quantiles per multiple of the period (row m: forecasting m periods ahead). */
  errors: ErrorQuantiles;
}

const periodSteps = (stepSec: number, p: SeasonalNaiveParams) => stepsPerDay(stepSec) * (p.period === 'week' ? 7 : 1);
/** Rows of the error table: forecasts up to this many periods ahead get their own error spread. */
const MAX_MULTIPLE = 4;

/** The value one period (a day or a week, in local time) earlier; longer horizons repeat the last period. */
export const seasonalNaive: PerSeriesModel<SeasonalNaiveParams, State> = {
  kind: 'seasonal-naive',
  version: 1,
  capabilities: (p) => ({ futureCovariates: false, probabilistic: true, global: false, minHistory: (p.period === 'week' ? 7 : 1) * 2 * stepsPerDayOf(p) }),
  fitOne(s, _cov, p) {
    const P = periodSteps(s.stepSec, p);
    requireHistory('seasonal-naive', s, 2 * P, P);
    const v = s.values;
    const n = v.length;
    const fallback = meanSd(v.subarray(Math.max(0, n - p.lookbackPeriods * P))).mean;
    const L = P + Math.max(1, Math.ceil(3600 / s.stepSec));
    const last = new Float64Array(L);
    for (let i = 0; i < L; i++) {
      let x = Number.NaN;
      for (let t = n - L + i; t >= 0 && !Number.isFinite(x); t -= P) x = v[t];
      last[i] = Number.isFinite(x) ? x : fallback;
    }
    const from = Math.max(0, n - p.lookbackPeriods * P);
    const byMultiple: number[][] = Array.from({ length: MAX_MULTIPLE }, () => []);
    for (let m = 1; m <= MAX_MULTIPLE; m++) {
      for (let t = Math.max(from, m * P); t < n; t++) {
        const e = v[t] - v[t - m * P];
        if (Number.isFinite(e)) byMultiple[m - 1].push(e);
      }
    }
    const residuals = new Float64Array(n).fill(Number.NaN);
    for (let t = P; t < n; t++) residuals[t] = v[t] - v[t - P];
    return { state: { last, period: P, errors: errorQuantiles(byMultiple.filter((b) => b.length > 0)) }, residuals };
  },
  predictOne(f, horizon, _cov, levels, p) {
    const { last, period: P } = f.state;
    const stepMs = f.stepSec * 1000;
    const mean = new Float64Array(horizon);
    for (let k = 0; k < horizon; k++) {
      // Same local clock time a day/week earlier, so DST days (23 h, 25 h) keep the daily shape in place.
      const src = DateTime.fromMillis(f.nextMs + k * stepMs, { zone: f.timeZone }).minus(p.period === 'week' ? { weeks: 1 } : { days: 1 }).toMillis();
      let j = Math.round((src - f.nextMs) / stepMs);
      if (j >= k) j = k - P; // a clock time that does not exist once: fall back to the plain period
      mean[k] = j >= 0 ? mean[j] : last[Math.max(0, last.length + j)];
    }
    return { mean, quantiles: addQuantiles(mean, f.state.errors, levels, { rowOf: (k) => Math.floor(k / P) }) };
  },
};

export const DEFAULT_SEASONAL_NAIVE: SeasonalNaiveParams = { period: 'week', lookbackPeriods: 8 };

export function createSeasonalNaiveForecaster(params: Partial<SeasonalNaiveParams> = {}): Forecaster<SeasonalNaiveParams> {
  return perSeriesForecaster(seasonalNaive, { ...DEFAULT_SEASONAL_NAIVE, ...params });
}

export function seasonalNaiveFromArtifact(a: ModelArtifact): FittedForecaster<SeasonalNaiveParams> {
  return perSeriesFromArtifact(seasonalNaive, a);
}
