import { z } from 'zod';
import { GridcastError } from '../core/errors.ts';
import { DEFAULT_QUANTILES, type Covariates, type Forecast, type Forecaster, type ForecasterSpec, type FittedForecaster, type ModelArtifact, type Series, type TermContributions } from '../core/types.ts';
import { armaForecast, conditionOn, innovations, type ArmaState } from './arima/arma.ts';
import { ESTIMATIONS, fitResidualArimaMany, MAX_WASM_POINTS, type ResidualArimaFit, type ResidualArimaParams } from './arima/residual-arima.ts';
import type { ArmaOrder } from './arima/wasm-fit.ts';
import { dataHash, makeArtifact, openArtifact, trainWindow } from './artifact.ts';
import { continueOnline, fromMsFor, horizonShift, startOnline, type OnlineState } from './online/term-adaptation.ts';
import { requireHorizon } from './fallback/history.ts';
import { addQuantiles, checkLevels, errorAt, errorQuantiles, type ErrorQuantiles } from './quantiles/empirical.ts';
import { endOf, meanSd, stepsPerDay } from './timeindex.ts';

export interface GamArimaParams {
  /** Spec of the base model (a GAM in production), recorded for the registry. */
  base: ForecasterSpec;
  /** Days of recent residuals the ARIMA is fitted on (capped at 8,000 steps). */
  windowDays: number;
  maxP: number;
  maxQ: number;
  /** Try a seasonal AR term at a lag of one day. */
  dailySeasonalAr: boolean;
  timeoutMs: number;
  /** Days of horizon with their own error quantiles; later steps reuse the last (the ARIMA has decayed by then). */
  quantileDays: number;
  /**
   * condition() refits the ARIMA (orders and coefficients) on the new residual window instead of
   * only moving its state: the base keeps its coefficients, the short-term part follows the latest regime.
   */
  refitArimaOnCondition: boolean;
  /**
   * 'kalman': the base's term contributions are re-weighted online by a Kalman filter
   * (models/online) as actuals arrive — at fit over the history, at condition() over the new steps —
   * without refitting the base; the ARIMA models the adapted residuals. Needs a base with terms (the GAM).
   */
  online: 'kalman' | 'off';
  /**
   * Which of the ARIMA's CSS-searched orders are refitted by exact ML (see
   * ResidualArimaParams.estimation): 'auto' those with a small state (hourly data with its daily
   * seasonal AR, not half-hourly), 'css' none, 'css-ml' all.
   */
  arimaEstimation: z.infer<typeof EstimationSchema>;
}

const OnlineSchema = z.enum(['kalman', 'off']);
const EstimationSchema = z.enum(ESTIMATIONS);

export const DEFAULT_GAM_ARIMA: Omit<GamArimaParams, 'base'> = {
  windowDays: 42,
  maxP: 3,
  maxQ: 2,
  dailySeasonalAr: true,
  timeoutMs: 60_000,
  quantileDays: 2,
  refitArimaOnCondition: true,
  online: 'off',
  arimaEstimation: 'css',
};

interface SeriesArma {
  id: string;
  nextMs: number;
  state: ArmaState;
  order: ArmaOrder;
  method: ResidualArimaFit['method'];
  fallbackReason?: string;
  errors: ErrorQuantiles;
  /** Variance of the base's in-sample residuals over the window (what its own bands should match in-sample). */
  residualVariance: number;
  /** State of the online adaptation of the base (online: 'kalman'). */
  online?: OnlineState;
}

interface State {
  base: ModelArtifact;
  series: SeriesArma[];
}

const KIND = 'gam-arima';
/** 2: params.online and the per-series online state. A v1 state reads as online: 'off'. */
const VERSION = 2;
const READABLE = [1];

/**
 * Short-term model (B3): base forecast + ARIMA forecast of the base's recent in-sample residuals.
 * Bands are the composite's own error quantiles per horizon step, measured from pseudo-origins
 * over the residual window (the ARIMA forecast from each origin against the residuals that followed),
 * widened by whatever uncertainty the base's predictive distribution has beyond its in-sample residuals.
 */
export function createGamArimaForecaster(base: Forecaster, params: Partial<Omit<GamArimaParams, 'base'>> = {}): Forecaster<GamArimaParams> {
  const p: GamArimaParams = { ...DEFAULT_GAM_ARIMA, ...params, base: base.spec as ForecasterSpec };
  const online = OnlineSchema.safeParse(p.online);
  if (!online.success) throw new GridcastError('INVALID_PARAMS', `gam-arima parameter online must be 'kalman' or 'off', got ${JSON.stringify(p.online)}`, { online: p.online });
  if (!EstimationSchema.safeParse(p.arimaEstimation).success) {
    throw new GridcastError('INVALID_PARAMS', `gam-arima parameter arimaEstimation must be one of ${ESTIMATIONS.join(', ')}, got ${JSON.stringify(p.arimaEstimation)}`, { arimaEstimation: p.arimaEstimation });
  }
  const spec = { kind: KIND, version: VERSION, params: p };
  return {
    spec,
    capabilities: { ...base.capabilities, probabilistic: true },
    async fit(history, covariates, options) {
      return fitOnBase(p, await base.fit(history, covariates, options), history, covariates);
    },
  };
}

function termsOf(baseFit: FittedForecaster): NonNullable<FittedForecaster['terms']> {
  if (!baseFit.terms) {
    throw new GridcastError('ONLINE_UNSUPPORTED', `gam-arima: online: 'kalman' adapts the base's term contributions, and base model '${baseFit.spec.kind}' has none; use a GAM base or online: 'off'`, { base: baseFit.spec.kind });
  }
  return baseFit.terms;
}

/** Filters each series' history (from its start, or on from where `previous` stopped). */
function adapt(baseFit: FittedForecaster, history: Series[], covariates: Map<string, Covariates> | undefined, previous: Map<string, OnlineState>): Map<string, OnlineState> {
  const terms = termsOf(baseFit);
  return new Map(
    history.map((s) => {
      const prev = previous.get(s.id);
      const t = terms.history([s], covariates, prev ? fromMsFor(prev, s.values.length, s.start.getTime(), s.stepSec) : Number.NEGATIVE_INFINITY).get(s.id);
      if (!t) throw new GridcastError('ONLINE_TERMS', `gam-arima: the base gave no term contributions for series '${s.id}'`, { seriesId: s.id });
      return [s.id, prev ? continueOnline(prev, t, s.values, s.start.getTime(), s.stepSec) : startOnline(t, s.values, s.start.getTime(), s.stepSec)];
    }),
  );
}

function adaptedResiduals(history: Series[], online: Map<string, OnlineState>): Map<string, Float64Array> {
  return new Map(history.map((s) => [s.id, Float64Array.from(s.values, (v, i) => v - online.get(s.id)!.fitted[i])]));
}

function withOnline(series: SeriesArma[], online: Map<string, OnlineState> | undefined): SeriesArma[] {
  return online ? series.map((sa) => ({ ...sa, online: online.get(sa.id) })) : series;
}

/** The base forecast moved by the adaptation: × exp(shift) on a log model (mean and quantiles), + shift otherwise. */
function adaptedBase(bf: Forecast, state: OnlineState, terms: TermContributions | undefined): Forecast {
  if (!terms) throw new GridcastError('ONLINE_TERMS', `gam-arima: the base gave no term contributions over the horizon for series '${bf.seriesId}'`, { seriesId: bf.seriesId });
  const shift = horizonShift(state, terms);
  const move = state.scale === 'log' ? (v: number, k: number) => v * Math.exp(shift[k]) : (v: number, k: number) => v + shift[k];
  return { ...bf, mean: bf.mean.map(move), quantiles: Object.fromEntries(Object.entries(bf.quantiles).map(([l, q]) => [l, q.map(move)])) };
}

async function fitArimas(history: Series[], residuals: Map<string, Float64Array>, p: GamArimaParams): Promise<SeriesArma[]> {
  const series = new Array<SeriesArma>(history.length);
  // One batch of worker fits per step length (the window and seasonal lag are set in steps).
  for (const stepSec of new Set(history.map((s) => s.stepSec))) {
    const idx = history.map((s, i) => i).filter((i) => history[i].stepSec === stepSec);
    const res = idx.map((i) => usableResiduals(history[i], residuals.get(history[i].id)));
    const fits = await fitResidualArimaMany(res, residualParams(stepSec, p));
    idx.forEach((i, k) => (series[i] = seriesArma(history[i], res[k], fits[k], residuals.has(history[i].id), p)));
  }
  return series;
}

function usableResiduals(s: Series, r: Float64Array | undefined): Float64Array {
  return r && r.length === s.values.length ? r : new Float64Array(s.values.length).fill(Number.NaN);
}

function residualParams(stepSec: number, p: GamArimaParams): Partial<ResidualArimaParams> {
  const perDay = stepsPerDay(stepSec);
  return {
    windowSteps: Math.min(MAX_WASM_POINTS, p.windowDays * perDay),
    maxP: p.maxP,
    maxQ: p.maxQ,
    // A daily lag beyond 96 steps (sub-15-min data) would make the AR polynomial long and the fit slow.
    seasonalLags: p.dailySeasonalAr && perDay <= 96 ? [perDay] : [],
    timeoutMs: p.timeoutMs,
    boundSteps: 14 * perDay,
    estimation: p.arimaEstimation,
  };
}

function seriesArma(s: Series, res: Float64Array, fit: ResidualArimaFit, hadResiduals: boolean, p: GamArimaParams): SeriesArma {
  const perDay = stepsPerDay(s.stepSec);
  const window = res.subarray(Math.max(0, res.length - Math.min(MAX_WASM_POINTS, p.windowDays * perDay)));
  const reason = hadResiduals ? fit.fallbackReason : `base gave no residuals for this series${fit.fallbackReason ? `; ${fit.fallbackReason}` : ''}`;
  return {
    id: s.id,
    nextMs: endOf(s).getTime(),
    state: fit.state,
    order: fit.order,
    method: fit.method,
    ...(reason ? { fallbackReason: reason } : {}),
    errors: pseudoOriginErrors(window, fit.state, p.quantileDays * perDay, Math.max(1, Math.floor(perDay / 4))),
    residualVariance: varianceOf(window),
  };
}

function varianceOf(x: Float64Array): number {
  const { sd } = meanSd(x);
  return Number.isFinite(sd) ? sd * sd : 0;
}

/** z of the 0.9 quantile: (P90 − P10) / (2 z) estimates a standard deviation. */
const Z90 = 1.2815515655446004;

/**
 * Per-step widening of the composite's empirical bands by the base's uncertainty beyond its
 * in-sample residuals (parameter uncertainty, leave-one-out or out-of-sample spread):
 * variance = empirical composite variance + max(0, base band variance − base residual variance).
 */
function bandScale(sa: SeriesArma, base: Forecast): (step: number) => number {
  const lo = base.quantiles['0.1'];
  const hi = base.quantiles['0.9'];
  if (!lo || !hi) return () => 1;
  return (k) => {
    const emp = ((errorAt(sa.errors, k, 0.9) - errorAt(sa.errors, k, 0.1)) / (2 * Z90)) ** 2;
    const baseVar = ((hi[k] - lo[k]) / (2 * Z90)) ** 2;
    const extra = Math.max(0, baseVar - sa.residualVariance);
    const scale = emp > 0 ? Math.sqrt((emp + extra) / emp) : 1;
    return Number.isFinite(scale) ? scale : 1;
  };
}

/**
 * Errors of the residual forecast from origins every `stride` steps across the window: the
 * composite's error at step h is the residual at h minus its ARIMA forecast.
 */
function pseudoOriginErrors(window: Float64Array, s: ArmaState, steps: number, stride: number): ErrorQuantiles {
  const { e, filled } = innovations(window, s);
  const p = s.phi.length;
  const q = s.theta.length;
  const byStep: number[][] = Array.from({ length: steps }, () => []);
  const burn = Math.max(p, q, 1);
  for (let t = burn; t < window.length - 1; t += stride) {
    const origin: ArmaState = { ...s, tailY: filled.slice(t + 1 - p, t + 1), tailE: e.slice(t + 1 - q, t + 1) };
    const h = Math.min(steps, window.length - 1 - t);
    const f = armaForecast(origin, h);
    for (let k = 0; k < h; k++) {
      const err = window[t + 1 + k] - f.mean[k];
      if (Number.isFinite(err)) byStep[k].push(err);
    }
  }
  if (byStep.every((b) => b.length === 0)) {
    // No residuals observed at all: bands come from the ARIMA variance alone (zero width if that is zero too).
    return errorQuantiles([[0]]);
  }
  return errorQuantiles(byStep);
}

/** The ARIMA (and the online adaptation, when on) fitted over a freshly fitted base. */
async function fitOnBase(p: GamArimaParams, baseFit: FittedForecaster, history: Series[], covariates: Map<string, Covariates> | undefined): Promise<FittedForecaster<GamArimaParams>> {
  const online = p.online === 'kalman' ? adapt(baseFit, history, covariates, new Map()) : undefined;
  const series = await fitArimas(history, online ? adaptedResiduals(history, online) : baseFit.residuals(), p);
  return fitted(p, baseFit, withOnline(series, online), trainWindow(history), dataHash(history, covariates));
}

function fitted(p: GamArimaParams, baseFit: FittedForecaster, series: SeriesArma[], window: { start: string; end: string }, hash: string): FittedForecaster<GamArimaParams> {
  const spec = { kind: KIND, version: VERSION, params: p };
  const byId = new Map(series.map((s) => [s.id, s]));
  return {
    spec,
    ...(baseFit.refit
      ? {
          async refit(history: Series[], covariates?: Map<string, Covariates>) {
            return fitOnBase(p, await baseFit.refit!(history, covariates), history, covariates);
          },
        }
      : {}),
    ...(baseFit.condition
      ? {
          // Same base coefficients; the ARIMA is refitted on the new window, or keeps its coefficients with its state moved to the new end.
          async condition(history: Series[], covariates?: Map<string, Covariates>) {
            const baseC = await baseFit.condition!(history, covariates);
            const previous = new Map(series.flatMap((sa) => (sa.online ? [[sa.id, sa.online] as const] : [])));
            const online = p.online === 'kalman' ? adapt(baseC, history, covariates, previous) : undefined;
            const residuals = online ? adaptedResiduals(history, online) : baseC.residuals();
            if (p.refitArimaOnCondition) {
              return fitted(p, baseC, withOnline(await fitArimas(history, residuals, p), online), trainWindow(history), dataHash(history, covariates));
            }
            const moved = series.map((sa) => {
              const s = history.find((h) => h.id === sa.id);
              const r = residuals.get(sa.id);
              if (!s || !r || r.length !== s.values.length) {
                throw new GridcastError('CONDITION_MISMATCH', `gam-arima: condition() needs history and base residuals for series '${sa.id}'`, { seriesId: sa.id });
              }
              const perDay = stepsPerDay(s.stepSec);
              const w = r.subarray(Math.max(0, r.length - Math.min(MAX_WASM_POINTS, p.windowDays * perDay)));
              return { ...sa, nextMs: endOf(s).getTime(), state: conditionOn(w, sa.state, sa.state.sigma2) };
            });
            return fitted(p, baseC, withOnline(moved, online), trainWindow(history), dataHash(history, covariates));
          },
        }
      : {}),
    async predict(horizon, covariates, quantiles = [...DEFAULT_QUANTILES]): Promise<Forecast[]> {
      requireHorizon(KIND, horizon);
      const levels = checkLevels(quantiles);
      const baseForecasts = await baseFit.predict(horizon, covariates, checkLevels([...levels, 0.1, 0.9]));
      const terms = series.some((sa) => sa.online) ? termsOf(baseFit).horizon(horizon, covariates) : undefined;
      return baseForecasts.map((unadapted) => {
        const sa = byId.get(unadapted.seriesId);
        if (!sa) throw new GridcastError('UNKNOWN_SERIES', `gam-arima was not fitted on series '${unadapted.seriesId}'`, { seriesId: unadapted.seriesId });
        const bf = sa.online ? adaptedBase(unadapted, sa.online, terms?.get(sa.id)) : unadapted;
        if (bf.start.getTime() !== sa.nextMs) {
          throw new GridcastError('ORIGIN_MISMATCH', `gam-arima: base forecast for '${bf.seriesId}' starts at ${bf.start.toISOString()}, not at the end of the history`, { seriesId: bf.seriesId });
        }
        const arma = armaForecast(sa.state, horizon).mean;
        const mean = Float64Array.from(bf.mean, (v, k) => v + arma[k]);
        if (!mean.every(Number.isFinite)) {
          throw new GridcastError('FORECAST_NOT_FINITE', `gam-arima: base model ${bf.model} gave a non-finite forecast for '${bf.seriesId}'`, { seriesId: bf.seriesId });
        }
        const reasons = [bf.fallbackReason, sa.fallbackReason].filter(Boolean).join('; ');
        return {
          seriesId: bf.seriesId,
          start: bf.start,
          stepSec: bf.stepSec,
          mean,
          quantiles: addQuantiles(mean, sa.errors, levels, { scale: bandScale(sa, bf) }),
          // Named after what produced it: a profile under the ARIMA is not a GAM (the same name auto's labels give it).
          model: bf.model === 'gam' ? KIND : `${bf.model}+arima`,
          ...(reasons ? { fallbackReason: reasons } : {}),
        };
      });
    },
    residuals: () => baseFit.residuals(),
    historyErrors: () => baseFit.historyErrors?.() ?? baseFit.residuals(),
    toArtifact: () => makeArtifact(spec, window, hash, { base: baseFit.toArtifact(), series }),
  };
}

/** Reloads a fitted gam-arima; `loadBase` is the catalog's fromArtifact (the base can be any model kind). */
export function gamArimaFromArtifact(a: ModelArtifact, loadBase: (a: ModelArtifact) => FittedForecaster): FittedForecaster<GamArimaParams> {
  const { base, series } = openArtifact<State>(a, KIND, VERSION, READABLE);
  const params = a.spec.params as GamArimaParams;
  // Artifacts from before arimaEstimation refit their ARIMA (at condition()) with today's default.
  return fitted({ ...params, online: params.online ?? 'off', arimaEstimation: params.arimaEstimation ?? DEFAULT_GAM_ARIMA.arimaEstimation }, loadBase(base), series, a.trainWindow, a.dataHash);
}

/** The artifact of the base model under the ARIMA (a GAM by default): what explains the level. */
export function gamArimaBaseArtifact(a: ModelArtifact): ModelArtifact {
  return openArtifact<State>(a, KIND, VERSION, READABLE).base;
}
