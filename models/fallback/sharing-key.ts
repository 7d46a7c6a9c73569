import { GridcastError } from '../../core/errors.ts';
import type { Covariates, FittedForecaster, Forecaster, ModelArtifact } from '../../core/types.ts';
import { addQuantiles, errorQuantiles, type ErrorQuantiles } from '../quantiles/empirical.ts';
import { localSlots, stepsPerDay } from '../timeindex.ts';
import { requireCovariate, requireHistory } from './history.ts';
import { perSeriesForecaster, perSeriesFromArtifact, stepsPerDayOf, type FallbackParams, type PerSeriesModel } from './per-series.ts';

/** Covariate carrying the parent: its actuals in fit(), its forecast (mean) in predict(). */
export const PARENT_COVARIATE = 'parent';

export interface SharingKeyParams extends FallbackParams {
  /** Recent days from which the share is estimated. */
  days: number;
}

interface State {
  /** Share of the parent per local slot of the day. */
  share: Float64Array;
  /** Error quantiles per slot, as a fraction of the parent value. */
  errors: ErrorQuantiles;
}

function parentOf(cov: Covariates | undefined, id: string, length: number): Float64Array {
  return requireCovariate('sharing-key', id, cov ? new Map([[id, cov]]) : undefined, PARENT_COVARIATE, length);
}

/**
 * A share of the parent's forecast: share(slot) = Σ child / Σ parent over the recent days at that
 * local time of day, so a substation that peaks at a different hour than its region keeps its shape.
 * The parent is passed as covariate 'parent' (past or future): aligned actuals in fit(), its
 * forecast over the horizon in predict().
 */
export const sharingKey: PerSeriesModel<SharingKeyParams, State> = {
  kind: 'sharing-key',
  version: 1,
  capabilities: (p) => ({ futureCovariates: true, probabilistic: true, global: false, minHistory: stepsPerDayOf(p) }),
  fitOne(s, cov, p) {
    const perDay = stepsPerDay(s.stepSec);
    requireHistory('sharing-key', s, perDay, p.days * perDay, 0.25);
    const parent = parentOf(cov, s.id, s.values.length);
    const n = s.values.length;
    const from = Math.max(0, n - p.days * perDay);
    const firstMs = s.start.getTime() + from * s.stepSec * 1000;
    const { slot } = localSlots(firstMs, s.stepSec, n - from, s.timeZone ?? 'UTC');
    const child = new Float64Array(perDay);
    const par = new Float64Array(perDay);
    let childAll = 0;
    let parAll = 0;
    for (let t = from; t < n; t++) {
      if (!Number.isFinite(s.values[t]) || !Number.isFinite(parent[t])) continue;
      child[slot[t - from]] += s.values[t];
      par[slot[t - from]] += parent[t];
      childAll += s.values[t];
      parAll += parent[t];
    }
    if (!(Math.abs(parAll) > 0)) {
      throw new GridcastError('SHARE_UNDEFINED', `sharing-key: parent of series '${s.id}' is zero or missing over the last ${p.days} days; pick another parent`, { seriesId: s.id });
    }
    const overall = childAll / parAll;
    const share = Float64Array.from(par, (v, i) => (Math.abs(v) > 1e-9 * Math.abs(parAll) ? child[i] / v : overall));
    const residuals = new Float64Array(n).fill(Number.NaN);
    const bySlot: number[][] = Array.from({ length: perDay }, () => []);
    for (let t = from; t < n; t++) {
      const sl = slot[t - from];
      residuals[t] = s.values[t] - share[sl] * parent[t];
      const rel = residuals[t] / Math.abs(parent[t]);
      if (Number.isFinite(rel)) bySlot[sl].push(rel);
    }
    return { state: { share, errors: errorQuantiles(bySlot) }, residuals };
  },
  predictOne(f, horizon, cov, levels) {
    const parent = parentOf(cov, f.id, horizon);
    const missing = parent.findIndex((v) => !Number.isFinite(v));
    if (missing >= 0) {
      throw new GridcastError('MISSING_COVARIATE', `sharing-key: the parent forecast of series '${f.id}' is missing at step ${missing + 1}; forecast the parent first`, { seriesId: f.id, step: missing + 1 });
    }
    const { slot } = localSlots(f.nextMs, f.stepSec, horizon, f.timeZone);
    const mean = Float64Array.from(parent, (v, k) => f.state.share[slot[k]] * v);
    // Errors were stored relative to the parent, so bands scale with the parent forecast.
    const rel = addQuantiles(new Float64Array(horizon), f.state.errors, levels, { rowOf: (k) => slot[k] });
    const quantiles = Object.fromEntries(Object.entries(rel).map(([k, q]) => [k, Float64Array.from(q, (r, i) => mean[i] + r * Math.abs(parent[i]))]));
    return { mean, quantiles };
  },
};

export const DEFAULT_SHARING_KEY: SharingKeyParams = { days: 14 };

export function createSharingKeyForecaster(params: Partial<SharingKeyParams> = {}): Forecaster<SharingKeyParams> {
  return perSeriesForecaster(sharingKey, { ...DEFAULT_SHARING_KEY, ...params });
}

export function sharingKeyFromArtifact(a: ModelArtifact): FittedForecaster<SharingKeyParams> {
  return perSeriesFromArtifact(sharingKey, a);
}
