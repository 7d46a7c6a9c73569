/**
 * The mid-term load model (B2): one GAM per series on calendar and temperature features, smoothing
 * chosen by REML. Bands are Gaussian from the Bayesian posterior (Vp) plus the residual variance,
 * on the log scale when the target is log-load.
 */
import { GridcastError } from '../../core/errors.ts';
import { DEFAULT_QUANTILES, type Covariates, type Forecast, type Forecaster, type FittedForecaster, type ModelArtifact, type Series } from '../../core/types.ts';
import { dataHash, makeArtifact, openArtifact, trainWindow } from '../artifact.ts';
import { forecastLikeErrors, type TemperatureState } from '../features/temperature.ts';
import { endOf, finiteCount, stepsPerDay } from '../timeindex.ts';
import { fitGam, predictGam, type GamModel } from './gam.ts';
import { buildFeatures, loadFormula, parseGamParams, planLayout, temperatureOf, type FeatureLayout, type GamForecasterParams } from './load-formula.ts';
import { normalQuantile } from './normal.ts';

export { DEFAULT_GAM, type GamForecasterParams } from './load-formula.ts';

const KIND = 'gam';
/**
 * 2: by-factor smooths keep the mean of their basis over all fitted rows (SmoothBlock.byCentre),
 * which their partial effects need. A v1 state predicts the same; its effects need a refit.
 */
const VERSION = 2;
const READABLE = [1];

interface SeriesGam {
  id: string;
  /** Epoch ms of the first step of the history. */
  startMs: number;
  /** Epoch ms of the first step after the history. */
  nextMs: number;
  stepSec: number;
  timeZone: string;
  layout: FeatureLayout;
  model: GamModel;
  /** Temperature feature state at the end of the history (smoothed values, last day). */
  temperatureState?: TemperatureState;
  /** In-sample fit on the load scale for every history step (lets condition() extend it). */
  fitted: Float64Array;
  residuals: Float64Array;
}

interface State {
  series: SeriesGam[];
}

export function createGamForecaster(params: Partial<GamForecasterParams> = {}): Forecaster<GamForecasterParams> {
  const p = parseGamParams(params);
  const spec = { kind: KIND, version: VERSION, params: p };
  return {
    spec,
    capabilities: { futureCovariates: true, probabilistic: true, global: false, minHistory: p.minHistoryDays * 24 },
    async fit(history, covariates) {
      if (history.length === 0) throw new GridcastError('NO_SERIES', 'gam: fit() needs at least one series');
      const series = history.map((s) => fitSeries(s, covariates?.get(s.id), p));
      return fitted(p, series, trainWindow(history), dataHash(history, covariates));
    },
  };
}

/** Share of zero or negative hours above which log(load) is refused (a few metering glitches are dropped). */
export const MAX_NONPOSITIVE_SHARE = 0.01;

function transform(p: GamForecasterParams, y: Float64Array, id: string): Float64Array {
  if (!p.logTarget) return y;
  let bad = 0;
  const out = Float64Array.from(y, (v) => {
    if (!Number.isFinite(v)) return Number.NaN;
    if (v <= 0) bad++;
    return v > 0 ? Math.log(v) : Number.NaN;
  });
  // A few zero hours (a metering glitch) are dropped; a load that is often zero is not log-modelled.
  if (bad > MAX_NONPOSITIVE_SHARE * finiteCount(y)) {
    throw new GridcastError('GAM_NONPOSITIVE_LOAD', `gam: series '${id}' has ${bad} zero or negative values; fit it with logTarget: false (the auto model does so itself)`, { seriesId: id, nonPositive: bad });
  }
  return out;
}

function fitSeries(s: Series, cov: Covariates | undefined, p: GamForecasterParams): SeriesGam {
  const perDay = stepsPerDay(s.stepSec);
  const n = s.values.length;
  const minSteps = p.minHistoryDays * perDay;
  if (n < minSteps) {
    throw new GridcastError('HISTORY_TOO_SHORT', `gam needs at least ${p.minHistoryDays} days (${minSteps} steps) of history for series '${s.id}' but got ${n}; use the shallow-history or sharing-key fallback`, {
      seriesId: s.id,
      minHistory: minSteps,
      length: n,
    });
  }
  const observed = finiteCount(s.values);
  if (observed < 0.5 * minSteps) {
    throw new GridcastError('HISTORY_MISSING', `gam: series '${s.id}' has only ${observed} observed values; impute or wait for data`, { seriesId: s.id, observed });
  }
  const timeZone = s.timeZone ?? 'UTC';
  let temperature = p.temperature === 'auto' ? temperatureOf(cov) : undefined;
  if (temperature && temperature.length !== n) {
    throw new GridcastError('COVARIATE_LENGTH', `gam: covariate 'temperature' of series '${s.id}' has ${temperature.length} values, the history has ${n}`, { seriesId: s.id, length: temperature.length, expected: n });
  }
  if (temperature && finiteCount(temperature) < 0.5 * observed) temperature = undefined; // too sparse to learn from
  const firstMs = s.start.getTime();
  const y = transform(p, s.values, s.id);
  const probe = buildFeatures(firstMs, s.stepSec, n, timeZone, p, undefined, temperature, undefined);
  const layout = planLayout(probe.rawDayType, probe.columns, (i) => Number.isFinite(y[i]), s.stepSec, p, !!temperature, n / perDay);
  const table = buildFeatures(firstMs, s.stepSec, n, timeZone, p, layout, temperature, undefined);
  let fit: Float64Array;
  let model: GamModel;
  if (temperature && p.trainingTemperatureErrorSd > 0) {
    const errors = forecastLikeErrors(temperature, s.stepSec, p.trainingTemperatureErrorSd, TRAINING_ERROR_MEMORY_HOURS, TRAINING_ERROR_SEED);
    const noisy = buildFeatures(firstMs, s.stepSec, n, timeZone, p, layout, Float64Array.from(temperature, (t, i) => t + errors[i]), undefined);
    model = fitGam(loadFormula(layout, p), noisy.columns, y, p.criterion).model;
    fit = predictGam(model, table.columns, false).fit;
  } else ({ model, fitted: fit } = fitGam(loadFormula(layout, p), table.columns, y, p.criterion));
  const fittedLoad = Float64Array.from(fit, (v) => backTransform(p, v));
  const residuals = Float64Array.from(s.values, (v, i) => v - fittedLoad[i]);
  return { id: s.id, startMs: firstMs, nextMs: endOf(s).getTime(), stepSec: s.stepSec, timeZone, layout, model, temperatureState: table.temperatureState, fitted: fittedLoad, residuals };
}

/** Day-ahead temperature forecast errors persist over hours: correlation 1/e after half a day. */
const TRAINING_ERROR_MEMORY_HOURS = 12;
/** Fixed, so a refit on the same data gives the same model. */
const TRAINING_ERROR_SEED = 20_161;

function backTransform(p: GamForecasterParams, v: number): number {
  return p.logTarget ? Math.exp(v) : v;
}

function predictSeries(f: SeriesGam, p: GamForecasterParams, horizon: number, cov: Covariates | undefined, levels: number[]): Forecast {
  let temperature: Float64Array | undefined;
  if (f.layout.useTemperature) {
    temperature = temperatureOf(cov);
    if (!temperature) {
      throw new GridcastError('MISSING_COVARIATE', `gam: series '${f.id}' was fitted with temperature; predict() needs covariate 'temperature' over the horizon (or use a calendar-only model)`, { seriesId: f.id, covariate: 'temperature' });
    }
    if (temperature.length !== horizon) {
      throw new GridcastError('COVARIATE_LENGTH', `gam: covariate 'temperature' of series '${f.id}' has ${temperature.length} values, the horizon has ${horizon}`, { seriesId: f.id, length: temperature.length, expected: horizon });
    }
    const missing = temperature.findIndex((v) => !Number.isFinite(v));
    if (missing >= 0) {
      throw new GridcastError('COVARIATE_MISSING_VALUES', `gam: temperature forecast for series '${f.id}' is missing at step ${missing + 1} of ${horizon}; the weather feed is late or short — use a fallback`, { seriesId: f.id, step: missing });
    }
  }
  const table = buildFeatures(f.nextMs, f.stepSec, horizon, f.timeZone, p, f.layout, temperature, f.temperatureState);
  const { fit, se } = predictGam(f.model, table.columns);
  const back = (v: number) => backTransform(p, v);
  const mean = Float64Array.from(fit, back);
  const quantiles: Record<string, Float64Array> = {};
  for (const l of levels) {
    const z = normalQuantile(l);
    quantiles[String(l)] = Float64Array.from(fit, (m, i) => back(m + z * Math.sqrt(se[i] * se[i] + f.model.sig2)));
  }
  for (const a of [mean, ...Object.values(quantiles)]) {
    if (!a.every(Number.isFinite)) throw new GridcastError('FORECAST_NOT_FINITE', `gam produced a non-finite forecast for series '${f.id}'`, { seriesId: f.id });
  }
  return { seriesId: f.id, start: new Date(f.nextMs), stepSec: f.stepSec, mean, quantiles, model: KIND };
}

/**
 * Same coefficients, features continued over a longer history (new observations since fit). When
 * the new history extends the old one (same start), only the new steps are computed, continuing
 * the temperature state: a backtest can condition at every origin cheaply. Earlier covariates are
 * taken as unchanged; a history with another start is recomputed from scratch.
 */
function conditionSeries(f: SeriesGam, p: GamForecasterParams, s: Series, cov: Covariates | undefined): SeriesGam {
  const n = s.values.length;
  let temperature: Float64Array | undefined;
  if (f.layout.useTemperature) {
    temperature = temperatureOf(cov);
    if (!temperature || temperature.length !== n) {
      throw new GridcastError('CONDITION_MISMATCH', `gam: condition() needs the temperature of series '${s.id}' over the whole new history (${n} steps)`, { seriesId: s.id });
    }
  }
  const old = f.fitted.length;
  const extends_ = s.start.getTime() === f.startMs && s.stepSec === f.stepSec && n >= old;
  const from = extends_ ? old : 0;
  const table = buildFeatures(extends_ ? f.nextMs : s.start.getTime(), s.stepSec, n - from, f.timeZone, p, f.layout, temperature?.subarray(from), extends_ ? f.temperatureState : undefined);
  const tail = predictGam(f.model, table.columns, false).fit;
  const fitted = new Float64Array(n);
  if (extends_) fitted.set(f.fitted);
  for (let i = 0; i < tail.length; i++) fitted[from + i] = backTransform(p, tail[i]);
  const residuals = Float64Array.from(s.values, (v, i) => v - fitted[i]);
  return { ...f, startMs: s.start.getTime(), nextMs: endOf(s).getTime(), stepSec: s.stepSec, temperatureState: table.temperatureState, fitted, residuals };
}

/** `version`: that of the state the series came from (a reloaded v1 state is saved again as v1). */
function fitted(p: GamForecasterParams, series: SeriesGam[], window: { start: string; end: string }, hash: string, version = VERSION): FittedForecaster<GamForecasterParams> {
  const spec = { kind: KIND, version, params: p };
  const byId = new Map(series.map((s) => [s.id, s]));
  return {
    spec,
    async condition(history, covariates) {
      const next = history.map((s) => {
        const f = byId.get(s.id);
        if (!f) throw new GridcastError('UNKNOWN_SERIES', `gam was not fitted on series '${s.id}'`, { seriesId: s.id });
        return conditionSeries(f, p, s, covariates?.get(s.id));
      });
      return fitted(p, next, trainWindow(history), hash, version);
    },
    async predict(horizon, covariates, quantiles = [...DEFAULT_QUANTILES]) {
      if (!Number.isInteger(horizon) || horizon < 1) throw new GridcastError('INVALID_HORIZON', `gam: horizon must be a positive whole number of steps, got ${horizon}`, { horizon });
      for (const l of quantiles) if (!(l > 0 && l < 1)) throw new GridcastError('INVALID_QUANTILE', `quantile levels must lie strictly between 0 and 1, got ${l}`, { level: l });
      const levels = [...new Set(quantiles)].sort((a, b) => a - b);
      return series.map((f) => predictSeries(f, p, horizon, covariates?.get(f.id), levels));
    },
    residuals: () => new Map(series.map((s) => [s.id, s.residuals])),
    toArtifact: () =>
      makeArtifact(spec, window, hash, { series }, {
        edf: series.reduce((a, s) => a + s.model.edf, 0) / series.length,
        sigma: Math.sqrt(series.reduce((a, s) => a + s.model.sig2, 0) / series.length),
      }),
  };
}

export function gamFromArtifact(a: ModelArtifact): FittedForecaster<GamForecasterParams> {
  const { series } = openArtifact<State>(a, KIND, VERSION, READABLE);
  return fitted(a.spec.params as GamForecasterParams, series, a.trainWindow, a.dataHash, a.spec.version);
}

/** Per-smooth summary of a fitted series (EDF, smoothing parameters), for reports and the registry. */
export function gamSummary(f: FittedForecaster<GamForecasterParams>): { id: string; smooths: GamModel['smooths']; sig2: number; n: number; iterations: number; converged: boolean }[] {
  const { series } = openArtifact<State>(f.toArtifact(), KIND, VERSION, READABLE);
  return series.map((s) => ({ id: s.id, smooths: s.model.smooths, sig2: s.model.sig2, n: s.model.n, iterations: s.model.iterations, converged: s.model.converged }));
}

/** What the partial effects of one series' GAM need: the fitted GAM, its feature layout and the forecaster's parameters; null for a series it was not fitted on. */
export function gamSeriesOf(a: ModelArtifact, seriesId: string): { model: GamModel; layout: FeatureLayout; params: GamForecasterParams } | null {
  const { series } = openArtifact<State>(a, KIND, VERSION, READABLE);
  const s = series.find((x) => x.id === seriesId);
  return s ? { model: s.model, layout: s.layout, params: a.spec.params as GamForecasterParams } : null;
}
