import type { FittedForecaster, Forecaster, ModelArtifact } from '../../core/types.ts';
import { addQuantiles, errorQuantiles, type ErrorQuantiles } from '../quantiles/empirical.ts';
import { DAY_TYPES, localSlots, meanSd, stepsPerDay } from '../timeindex.ts';
import { requireHistory } from './history.ts';
import { perSeriesForecaster, perSeriesFromArtifact, stepsPerDayOf, type FallbackParams, type PerSeriesModel } from './per-series.ts';

export interface ProfileParams extends FallbackParams {
  /** Recent weeks averaged. */
  weeks: number;
}

interface State {
  /** DAY_TYPES × slots-per-day mean values. */
  profile: Float64Array;
  /** Error quantiles per slot of the day. */
  errors: ErrorQuantiles;
}

/**
 * Average of recent weeks by day type (weekday / Saturday / Sunday) and local time of day.
 * Cells never observed borrow the slot's mean over all day types, then the overall mean.
 */
export function averageProfile(values: Float64Array, firstMs: number, stepSec: number, timeZone: string): { mean: Float64Array; count: Float64Array } {
  const perDay = stepsPerDay(stepSec);
  const { slot, dayType } = localSlots(firstMs, stepSec, values.length, timeZone);
  const sum = new Float64Array(DAY_TYPES * perDay);
  const cnt = new Float64Array(DAY_TYPES * perDay);
  const slotSum = new Float64Array(perDay);
  const slotCnt = new Float64Array(perDay);
  for (let t = 0; t < values.length; t++) {
    if (!Number.isFinite(values[t])) continue;
    sum[dayType[t] * perDay + slot[t]] += values[t];
    cnt[dayType[t] * perDay + slot[t]]++;
    slotSum[slot[t]] += values[t];
    slotCnt[slot[t]]++;
  }
  const overall = meanSd(values).mean;
  const out = new Float64Array(DAY_TYPES * perDay);
  for (let i = 0; i < out.length; i++) {
    const s = i % perDay;
    out[i] = cnt[i] > 0 ? sum[i] / cnt[i] : slotCnt[s] > 0 ? slotSum[s] / slotCnt[s] : overall;
  }
  return { mean: out, count: cnt };
}

/**
 * Errors of the profile at every step of the history: the value minus the profile as it stood
 * just before that step (same day type and local time over the `window` preceding steps), NaN
 * where that cell is still empty. The profile's residuals cover only its last weeks (what ARIMA on
 * it is fitted on: measured on GEFCom2012, longer residual windows make its forecasts worse);
 * these cover the whole history for the reconciliation's covariance. O(n): the window's cell sums
 * move one step at a time.
 */
export function rollingProfileErrors(values: Float64Array, firstMs: number, stepSec: number, timeZone: string, window: number): Float64Array {
  const perDay = stepsPerDay(stepSec);
  const { slot, dayType } = localSlots(firstMs, stepSec, values.length, timeZone);
  const sum = new Float64Array(DAY_TYPES * perDay);
  const cnt = new Float64Array(DAY_TYPES * perDay);
  const cellOf = (t: number) => dayType[t] * perDay + slot[t];
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let t = 0; t < values.length; t++) {
    const added = t - 1;
    if (added >= 0 && Number.isFinite(values[added])) {
      sum[cellOf(added)] += values[added];
      cnt[cellOf(added)]++;
    }
    const gone = t - 1 - window;
    if (gone >= 0 && Number.isFinite(values[gone])) {
      sum[cellOf(gone)] -= values[gone];
      cnt[cellOf(gone)]--;
    }
    const c = cellOf(t);
    if (cnt[c] > 0 && Number.isFinite(values[t])) out[t] = values[t] - sum[c] / cnt[c];
  }
  return out;
}

export const profileModel: PerSeriesModel<ProfileParams, State> = {
  kind: 'profile',
  version: 1,
  capabilities: (p) => ({ futureCovariates: false, probabilistic: true, global: false, minHistory: 7 * stepsPerDayOf(p) }),
  fitOne(s, _cov, p) {
    const perDay = stepsPerDay(s.stepSec);
    requireHistory('profile', s, 7 * perDay, p.weeks * 7 * perDay, 0.25);
    const n = s.values.length;
    const from = Math.max(0, n - p.weeks * 7 * perDay);
    const firstMs = s.start.getTime() + from * s.stepSec * 1000;
    const recent = s.values.subarray(from);
    const { mean: profile, count } = averageProfile(recent, firstMs, s.stepSec, s.timeZone ?? 'UTC');
    const { slot, dayType } = localSlots(firstMs, s.stepSec, recent.length, s.timeZone ?? 'UTC');
    const residuals = new Float64Array(n).fill(Number.NaN);
    const bySlot: number[][] = Array.from({ length: perDay }, () => []);
    for (let t = 0; t < recent.length; t++) {
      const cell = dayType[t] * perDay + slot[t];
      const e = recent[t] - profile[cell];
      residuals[from + t] = e;
      // Leave-one-out error (the cell mean without this value): in-sample residuals understate
      // the error of a mean over only 4 weekends.
      if (Number.isFinite(e)) bySlot[slot[t]].push(count[cell] > 1 ? (e * count[cell]) / (count[cell] - 1) : e);
    }
    const errors = rollingProfileErrors(s.values, s.start.getTime(), s.stepSec, s.timeZone ?? 'UTC', p.weeks * 7 * perDay);
    return { state: { profile, errors: errorQuantiles(bySlot) }, residuals, errors };
  },
  predictOne(f, horizon, _cov, levels) {
    const perDay = stepsPerDay(f.stepSec);
    const { slot, dayType } = localSlots(f.nextMs, f.stepSec, horizon, f.timeZone);
    const mean = new Float64Array(horizon);
    for (let k = 0; k < horizon; k++) mean[k] = f.state.profile[dayType[k] * perDay + slot[k]];
    return { mean, quantiles: addQuantiles(mean, f.state.errors, levels, { rowOf: (k) => slot[k] }) };
  },
};

export const DEFAULT_PROFILE: ProfileParams = { weeks: 4 };

export function createProfileForecaster(params: Partial<ProfileParams> = {}): Forecaster<ProfileParams> {
  return perSeriesForecaster(profileModel, { ...DEFAULT_PROFILE, ...params });
}

export function profileFromArtifact(a: ModelArtifact): FittedForecaster<ProfileParams> {
  return perSeriesFromArtifact(profileModel, a);
}
