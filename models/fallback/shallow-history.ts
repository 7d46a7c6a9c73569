import type { FittedForecaster, Forecaster, ModelArtifact } from '../../core/types.ts';
import { addQuantiles, errorQuantiles, type ErrorQuantiles } from '../quantiles/empirical.ts';
import { localSlots, meanSd, stepsPerDay } from '../timeindex.ts';
import { requireHistory } from './history.ts';
import { perSeriesForecaster, perSeriesFromArtifact, stepsPerDayOf, type FallbackParams, type PerSeriesModel } from './per-series.ts';

export interface ShallowHistoryParams extends FallbackParams {
  /** Most recent days averaged into the daily profile. */
  days: number;
  /** Widening of the error bands: a profile from a few days understates what it has not seen (weekends, weather). */
  widen: number;
}

interface State {
  /** Mean value per local slot of the day, shifted to the level of the last day. */
  profile: Float64Array;
  /** Error quantiles per slot. */
  errors: ErrorQuantiles;
}

function slotMeans(values: Float64Array, slot: Int32Array, perDay: number, skipDay = -1): Float64Array {
  const sum = new Float64Array(perDay);
  const cnt = new Float64Array(perDay);
  for (let t = 0; t < values.length; t++) {
    if (Math.floor(t / perDay) === skipDay || !Number.isFinite(values[t])) continue;
    sum[slot[t]] += values[t];
    cnt[slot[t]]++;
  }
  const overall = meanSd(values).mean;
  return Float64Array.from(sum, (v, i) => (cnt[i] > 0 ? v / cnt[i] : overall));
}

/**
 * For series with only days of history: the mean daily profile of the last days, shifted to
 * the level of the last day (additive, so it stays defined at zero). Bands come from
 * leave-one-day-out errors, widened.
 */
export const shallowHistory: PerSeriesModel<ShallowHistoryParams, State> = {
  kind: 'shallow-history',
  version: 1,
  capabilities: (p) => ({ futureCovariates: false, probabilistic: true, global: false, minHistory: stepsPerDayOf(p) }),
  fitOne(s, _cov, p) {
    const perDay = stepsPerDay(s.stepSec);
    requireHistory('shallow-history', s, perDay, perDay, 0.25);
    const n = s.values.length;
    const days = Math.max(1, Math.min(p.days, Math.floor(n / perDay)));
    const from = n - days * perDay;
    const recent = s.values.subarray(from);
    const { slot } = localSlots(s.start.getTime() + from * s.stepSec * 1000, s.stepSec, recent.length, s.timeZone ?? 'UTC');
    const base = slotMeans(recent, slot, perDay);
    const lastDay = meanSd(recent.subarray(recent.length - perDay)).mean;
    const shift = lastDay - meanSd(base).mean;
    const profile = Float64Array.from(base, (v) => v + shift);
    const bySlot: number[][] = Array.from({ length: perDay }, () => []);
    const residuals = new Float64Array(n).fill(Number.NaN);
    for (let d = 0; d < days; d++) {
      // With a single day there is nothing to leave out: its spread around its own mean stands in.
      const other = days > 1 ? slotMeans(recent, slot, perDay, d) : Float64Array.from(base, () => meanSd(recent).mean);
      for (let t = d * perDay; t < (d + 1) * perDay; t++) {
        const e = recent[t] - other[slot[t]];
        residuals[from + t] = recent[t] - profile[slot[t]];
        if (Number.isFinite(e)) bySlot[slot[t]].push(e);
      }
    }
    return { state: { profile, errors: errorQuantiles(bySlot) }, residuals };
  },
  predictOne(f, horizon, _cov, levels, p) {
    const { slot } = localSlots(f.nextMs, f.stepSec, horizon, f.timeZone);
    const mean = Float64Array.from(slot, (s) => f.state.profile[s]);
    return { mean, quantiles: addQuantiles(mean, f.state.errors, levels, { rowOf: (k) => slot[k], scale: p.widen }), fallbackReason: 'short-history' };
  },
};

export const DEFAULT_SHALLOW_HISTORY: ShallowHistoryParams = { days: 7, widen: 1.5 };

export function createShallowHistoryForecaster(params: Partial<ShallowHistoryParams> = {}): Forecaster<ShallowHistoryParams> {
  return perSeriesForecaster(shallowHistory, { ...DEFAULT_SHALLOW_HISTORY, ...params });
}

export function shallowHistoryFromArtifact(a: ModelArtifact): FittedForecaster<ShallowHistoryParams> {
  return perSeriesFromArtifact(shallowHistory, a);
}
