/**
 * The mid-term load model (B2): one GAM per series on calendar and temperature features, smoothing
 * chosen by REML. Bands are Gaussian from the Bayesian posterior (Vp) plus the residual variance,
 * on the log scale when the target is log-load.
 */
import { GridcastError } from '../../core/errors.ts';
import { DEFAULT_QUANTILES, type Covariates, type Forecast, type Forecaster, type FittedForecaster, type ModelArtifact, type Series, type TermContributions } from '../../core/types.ts';
import { dataHash, makeArtifact, openArtifact, trainWindow } from '../artifact.ts';
import { DAY_AHEAD_ERROR_MEMORY_HOURS, forecastLikeErrors, type TemperatureState } from '../features/temperature.ts';
import { endOf, finiteCount, stepsPerDay } from '../timeindex.ts';
import { fitGam, predictGam, refitGam, type GamIncremental, type GamModel } from './gam.ts';
import { buildFeatures, holidayColumn, HOUR_GROUP, loadFormula, parseGamParams, planLayout, temperatureOf, type FeatureLayout, type FeatureTable, type GamForecasterParams } from './load-formula.ts';
import { termContributions } from './terms.ts';
import { abnormalDays, dailyMeans, dayScale, DAYS_PER_EVENT, eventCount, MAX_EVENT_DAYS, withoutAbnormal, type AbnormalDayRule, type DayScale } from './abnormal-days.ts';
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
  /** The days the GAM was fitted without, as abnormal (abnormal-days.ts): each day's first step, ISO. Absent in states written before. */
  abnormalDays?: string[];
}

interface State {
  series: SeriesGam[];
}

/**
 * What refit() reuses (kept only for fits asked to be refittable; never in the artifact): the
 * history and temperature fitted (a refit checks they are a prefix of the new ones), the feature
 * table over it, and the GAM's design and cross-products.
 */
interface RefitCache {
  values: Float64Array;
  temperature?: Float64Array;
  columns: Record<string, Float64Array>;
  rawDayType: Float64Array;
  /** The named holiday of each step ('' on other days), as rawDayType. */
  rawHoliday: string[];
  /** Epoch ms of the step after `values`, and the temperature features' state there. */
  nextMs: number;
  temperatureState?: TemperatureState;
  gam: GamIncremental;
  /** History length when the design (knots, constraints) was placed. */
  designLength: number;
  /** What the fit from scratch made of a normal day: a refit judges its new days against it. */
  dayScale?: DayScale;
  /** Indices of the days left out so far (what SeriesGam.abnormalDays names): a refit's allowance counts their events. */
  leftOut: number[];
}

interface SeriesFit {
  gam: SeriesGam;
  cache?: RefitCache;
}

/**
 * A refit keeps the first fit's knots and constraints while the history grows by at most this
 * share (28 daily origins on a year or more of history); beyond, it fits from scratch so the
 * knots follow the data.
 */
const MAX_REFIT_GROWTH = 0.1;

export function createGamForecaster(params: Partial<GamForecasterParams> = {}): Forecaster<GamForecasterParams> {
  const p = parseGamParams(params);
  const spec = { kind: KIND, version: VERSION, params: p };
  return {
    spec,
    capabilities: { futureCovariates: true, probabilistic: true, global: false, minHistory: p.minHistoryDays * 24 },
    async fit(history, covariates, options) {
      if (history.length === 0) throw new GridcastError('NO_SERIES', 'gam: fit() needs at least one series');
      const fits = history.map((s) => fitSeries(s, covariates?.get(s.id), p, !!options?.refittable));
      return fitted(p, fits.map((f) => f.gam), trainWindow(history), dataHash(history, covariates), VERSION, caches(fits));
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

function caches(fits: SeriesFit[]): Map<string, RefitCache> | undefined {
  return fits.every((f) => f.cache) ? new Map(fits.map((f) => [f.gam.id, f.cache!])) : undefined;
}

function historyTemperature(s: Series, cov: Covariates | undefined, p: GamForecasterParams, observed: number): Float64Array | undefined {
  const n = s.values.length;
  const temperature = p.temperature === 'auto' ? temperatureOf(cov) : undefined;
  if (temperature && temperature.length !== n) {
    throw new GridcastError('COVARIATE_LENGTH', `gam: covariate 'temperature' of series '${s.id}' has ${temperature.length} values, the history has ${n}`, { seriesId: s.id, length: temperature.length, expected: n });
  }
  if (temperature && finiteCount(temperature) < 0.5 * observed) return undefined; // too sparse to learn from
  return temperature;
}

/** The table's day types mapped as the layout says (the same columns buildFeatures makes with that layout). */
function withLayout(columns: Record<string, Float64Array>, raw: Float64Array, rawHoliday: readonly string[], layout: FeatureLayout): Record<string, Float64Array> {
  const dayType = Float64Array.from(raw, (d) => layout.dayTypeMap[d]);
  return { ...columns, dayType, hourGroup: Float64Array.from(dayType, (d) => HOUR_GROUP[d]), ...(layout.holidays ? { holiday: holidayColumn(rawHoliday, layout.holidays) } : {}) };
}

function fitSeries(s: Series, cov: Covariates | undefined, p: GamForecasterParams, refittable: boolean): SeriesFit {
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
  const temperature = historyTemperature(s, cov, p, observed);
  const firstMs = s.start.getTime();
  const y = transform(p, s.values, s.id);
  const probe = buildFeatures(firstMs, s.stepSec, n, timeZone, p, undefined, temperature, undefined);
  // Coefficients fitted on forecast-like temperatures; the in-sample fit, residuals and the state predict() continues from stay on the observations.
  const trainTemp = trainingTemperature(temperature, s.stepSec, p);
  const train = trainTemp === temperature ? probe : buildFeatures(firstMs, s.stepSec, n, timeZone, p, undefined, trainTemp, undefined);
  const fitOn = (yy: Float64Array) => {
    const layout = planLayout(probe.rawDayType, probe.rawHoliday, probe.columns, (i) => Number.isFinite(yy[i]), s.stepSec, p, !!temperature, n / perDay);
    const columns = withLayout(probe.columns, probe.rawDayType, probe.rawHoliday, layout);
    const trainColumns = train === probe ? columns : withLayout(train.columns, train.rawDayType, train.rawHoliday, layout);
    return { layout, columns, trainColumns, ...fitGam(loadFormula(layout, p), trainColumns, yy, p.criterion, { keepIncremental: refittable }) };
  };
  // Judged on the training fit, as a refit judges its new days (refitSeries).
  let scale: DayScale | undefined;
  const judge = ({ fitted }: { fitted: Float64Array }) => {
    const means = dailyMeans(Float64Array.from(y, (v, i) => v - fitted[i]), perDay);
    scale = dayScale(means, minDayMad(p, y));
    return scale ? abnormalDays(means, scale, abnormalRule(p)) : [];
  };
  const { result, abnormal } = withoutAbnormal(y, perDay, fitOn, judge)!;
  const { layout, columns, trainColumns, model, fitted: trainFit, incremental } = result;
  const fit = train === probe ? trainFit : predictGam(model, columns, false).fit;
  const gam = seriesGam(s, p, timeZone, layout, model, fit, probe.temperatureState, abnormal.map((d) => dayLabel(s, d, perDay)));
  if (!incremental) return { gam };
  return { gam, cache: cacheOf(s, temperature, trainColumns, probe.rawDayType, probe.rawHoliday, gam, incremental, n, train.temperatureState, scale, abnormal) };
}

/** 0.2 % of the level: with the threshold at 7, no day less than 1.4 % off is abnormal. */
const MIN_RELATIVE_DAY_MAD = 0.002;

function minDayMad(p: GamForecasterParams, y: Float64Array): number {
  if (p.logTarget) return MIN_RELATIVE_DAY_MAD;
  let sum = 0;
  let n = 0;
  for (const v of y) if (Number.isFinite(v)) (sum += Math.abs(v)), n++;
  return n ? (MIN_RELATIVE_DAY_MAD * sum) / n : 0;
}

function abnormalRule(p: GamForecasterParams): AbnormalDayRule {
  return { threshold: p.abnormalDayThreshold, maxEventDays: MAX_EVENT_DAYS, daysPerEvent: DAYS_PER_EVENT };
}

/** The time of day `d`'s first step, as the state and the explanation name it. */
function dayLabel(s: Series, d: number, perDay: number): string {
  return new Date(s.start.getTime() + d * perDay * s.stepSec * 1000).toISOString();
}

/** Fixed, so a refit on the same data gives the same model; the errors of a longer history start with those of a shorter one. */
const TRAINING_ERROR_SEED = 20_161;

/** The temperatures the GAM's coefficients are fitted on: the observations plus forecast-like errors (the observations themselves when trainingTemperatureErrorSd is 0). */
function trainingTemperature(temperature: Float64Array | undefined, stepSec: number, p: GamForecasterParams): Float64Array | undefined {
  if (!temperature || !(p.trainingTemperatureErrorSd > 0)) return temperature;
  const errors = forecastLikeErrors(temperature, stepSec, p.trainingTemperatureErrorSd, DAY_AHEAD_ERROR_MEMORY_HOURS, TRAINING_ERROR_SEED);
  return Float64Array.from(temperature, (t, i) => t + errors[i]);
}

function seriesGam(s: Series, p: GamForecasterParams, timeZone: string, layout: FeatureLayout, model: GamModel, fit: Float64Array, temperatureState: TemperatureState | undefined, abnormal: string[]): SeriesGam {
  const fittedLoad = Float64Array.from(fit, (v) => backTransform(p, v));
  const residuals = Float64Array.from(s.values, (v, i) => v - fittedLoad[i]);
  return { id: s.id, startMs: s.start.getTime(), nextMs: endOf(s).getTime(), stepSec: s.stepSec, timeZone, layout, model, temperatureState, fitted: fittedLoad, residuals, abnormalDays: abnormal };
}

/** a[0 … b.length) equals b, NaN equal to NaN. */
function startsWith(a: Float64Array, b: Float64Array): boolean {
  if (a.length < b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/**
 * A fit on `s`, which extends the history `f` was fitted on: features computed for the new steps
 * only (continuing the temperature state), their rows added to the GAM's cross-products, λ started
 * from the previous fit's. Fits from scratch when that is not the same model on more data: another
 * start or step, changed earlier values or temperatures, a feature layout that changes with the
 * new days (a second holiday seen, a year reached), or a history grown past MAX_REFIT_GROWTH.
 */
function refitSeries(f: SeriesGam, c: RefitCache, s: Series, cov: Covariates | undefined, p: GamForecasterParams): SeriesFit {
  const n = s.values.length;
  const old = c.values.length;
  const temperature = historyTemperature(s, cov, p, finiteCount(s.values));
  const reusable =
    s.start.getTime() === f.startMs &&
    s.stepSec === f.stepSec &&
    (s.timeZone ?? 'UTC') === f.timeZone &&
    n > old &&
    n <= c.designLength * (1 + MAX_REFIT_GROWTH) &&
    !!temperature === f.layout.useTemperature &&
    startsWith(s.values, c.values) &&
    (!temperature || startsWith(temperature, c.temperature!));
  if (!reusable) return fitSeries(s, cov, p, true);
  const trainTemp = trainingTemperature(temperature, s.stepSec, p);
  const tail = buildFeatures(c.nextMs, s.stepSec, n - old, f.timeZone, p, undefined, trainTemp?.subarray(old), c.temperatureState);
  const rawDayType = concat(c.rawDayType, tail.rawDayType);
  const rawHoliday = [...c.rawHoliday, ...tail.rawHoliday];
  const added = withLayout(tail.columns, tail.rawDayType, tail.rawHoliday, f.layout);
  const columns = Object.fromEntries(Object.keys(added).map((k) => [k, concat(c.columns[k], added[k])]));
  const perDay = stepsPerDay(s.stepSec);
  const observedIn = (y: Float64Array) => planLayout(rawDayType, rawHoliday, columns, (i) => Number.isFinite(y[i]), s.stepSec, p, !!temperature, n / perDay);
  const all = transform(p, s.values, s.id);
  const fitOn = (y: Float64Array) => (JSON.stringify(observedIn(y)) === JSON.stringify(f.layout) ? refitGam(c.gam, columns, y) : undefined);
  const observedDays = dailyMeans(all, perDay).filter(Number.isFinite).length;
  // Only the new days are judged: the fit of the new rows alone.
  const judge = ({ model }: { model: GamModel }) => newAbnormalDays(c, all, predictGam(model, rowsFrom(columns, old), false).fit, old, perDay, p, observedDays);
  const refitted = withoutAbnormal(all, perDay, fitOn, judge);
  if (!refitted) return fitSeries(s, cov, p, true);
  const { result, abnormal } = refitted;
  const layout = f.layout;
  const { model, incremental } = result;
  let fit: Float64Array;
  let state = tail.temperatureState;
  if (trainTemp !== temperature) {
    // The cached columns are the training (forecast-like) ones: the in-sample fit and the state predict() continues from are on the observations.
    const observed = buildFeatures(f.startMs, s.stepSec, n, f.timeZone, p, layout, temperature, undefined);
    fit = predictGam(model, observed.columns, false).fit;
    state = observed.temperatureState;
  } else {
    fit = predictGam(model, columns, false).fit;
  }
  const leftOut = [...c.leftOut, ...abnormal];
  const gam = seriesGam(s, p, f.timeZone, layout, model, fit, state, leftOut.map((d) => dayLabel(s, d, perDay)));
  return { gam, cache: cacheOf(s, temperature, columns, rawDayType, rawHoliday, gam, incremental, c.designLength, tail.temperatureState, c.dayScale, leftOut) };
}

/**
 * The days of the new rows (those wholly after the fitted history) to leave out, judged on the
 * refit's in-sample fit, as the fit from scratch judged its days, against the normal day it found.
 * The rows already fitted stay as it left them.
 */
function newAbnormalDays(c: RefitCache, y: Float64Array, newFit: Float64Array, old: number, perDay: number, p: GamForecasterParams, observedDays: number): number[] {
  if (!c.dayScale || !(p.abnormalDayThreshold > 0)) return [];
  const residuals = Float64Array.from(y, (v, i) => (i < old ? Number.NaN : v - newFit[i - old]));
  const firstNew = Math.ceil(old / perDay);
  return abnormalDays(dailyMeans(residuals, perDay), c.dayScale, abnormalRule(p), { days: observedDays, events: eventCount(c.leftOut) }).filter((d) => d >= firstNew);
}

/** `trainingState`: the state of the features the coefficients were fitted on, which a refit continues. */
function cacheOf(s: Series, temperature: Float64Array | undefined, columns: Record<string, Float64Array>, rawDayType: Float64Array, rawHoliday: string[], f: SeriesGam, gam: GamIncremental, designLength: number, trainingState: TemperatureState | undefined, scale: DayScale | undefined, leftOut: number[]): RefitCache {
  return {
    values: s.values.slice(),
    ...(temperature ? { temperature: temperature.slice() } : {}),
    columns,
    rawDayType,
    rawHoliday,
    nextMs: f.nextMs,
    ...(trainingState ? { temperatureState: trainingState } : {}),
    gam,
    designLength,
    ...(scale ? { dayScale: scale } : {}),
    leftOut,
  };
}

function rowsFrom(columns: Record<string, Float64Array>, from: number): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, v.subarray(from)]));
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function backTransform(p: GamForecasterParams, v: number): number {
  return p.logTarget ? Math.exp(v) : v;
}

function horizonFeatures(f: SeriesGam, p: GamForecasterParams, horizon: number, cov: Covariates | undefined): FeatureTable {
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
  return buildFeatures(f.nextMs, f.stepSec, horizon, f.timeZone, p, f.layout, temperature, f.temperatureState);
}

function predictSeries(f: SeriesGam, p: GamForecasterParams, horizon: number, cov: Covariates | undefined, levels: number[]): Forecast {
  const table = horizonFeatures(f, p, horizon, cov);
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

/** Term contributions over the steps of `s` from `fromMs` on; the features are rebuilt over the whole history (the temperature smoothing runs from its start). */
function historyTerms(f: SeriesGam, p: GamForecasterParams, s: Series, cov: Covariates | undefined, fromMs: number): TermContributions {
  const n = s.values.length;
  const temperature = f.layout.useTemperature ? temperatureOf(cov) : undefined;
  if (f.layout.useTemperature && (!temperature || temperature.length !== n)) {
    throw new GridcastError('CONDITION_MISMATCH', `gam: the term contributions need the temperature of series '${s.id}' over the whole history (${n} steps)`, { seriesId: s.id });
  }
  const from = Math.min(n, Math.max(0, Math.ceil((fromMs - s.start.getTime()) / (s.stepSec * 1000))));
  const table = buildFeatures(s.start.getTime(), s.stepSec, n, f.timeZone, p, f.layout, temperature, undefined);
  return { scale: p.logTarget ? 'log' : 'identity', ...termContributions(f.model, table.columns, from, n) };
}

/** `version`: that of the state the series came from (a reloaded v1 state is saved again as v1). */
function fitted(p: GamForecasterParams, series: SeriesGam[], window: { start: string; end: string }, hash: string, version = VERSION, refitCaches?: Map<string, RefitCache>): FittedForecaster<GamForecasterParams> {
  const spec = { kind: KIND, version, params: p };
  const byId = new Map(series.map((s) => [s.id, s]));
  return {
    spec,
    ...(refitCaches
      ? {
          async refit(history: Series[], covariates?: Map<string, Covariates>) {
            if (history.length === 0) throw new GridcastError('NO_SERIES', 'gam: refit() needs at least one series');
            const fits = history.map((s) => {
              const f = byId.get(s.id);
              const c = refitCaches.get(s.id);
              return f && c ? refitSeries(f, c, s, covariates?.get(s.id), p) : fitSeries(s, covariates?.get(s.id), p, true);
            });
            return fitted(p, fits.map((f) => f.gam), trainWindow(history), dataHash(history, covariates), VERSION, caches(fits));
          },
        }
      : {}),
    async condition(history, covariates) {
      const next = history.map((s) => {
        const f = byId.get(s.id);
        if (!f) throw new GridcastError('UNKNOWN_SERIES', `gam was not fitted on series '${s.id}'`, { seriesId: s.id });
        return conditionSeries(f, p, s, covariates?.get(s.id));
      });
      // The refit caches stay valid: they describe the fitted history, which the new one extends.
      return fitted(p, next, trainWindow(history), hash, version, refitCaches);
    },
    async predict(horizon, covariates, quantiles = [...DEFAULT_QUANTILES]) {
      if (!Number.isInteger(horizon) || horizon < 1) throw new GridcastError('INVALID_HORIZON', `gam: horizon must be a positive whole number of steps, got ${horizon}`, { horizon });
      for (const l of quantiles) if (!(l > 0 && l < 1)) throw new GridcastError('INVALID_QUANTILE', `quantile levels must lie strictly between 0 and 1, got ${l}`, { level: l });
      const levels = [...new Set(quantiles)].sort((a, b) => a - b);
      return series.map((f) => predictSeries(f, p, horizon, covariates?.get(f.id), levels));
    },
    residuals: () => new Map(series.map((s) => [s.id, s.residuals])),
    terms: {
      history: (history, covariates, fromMs) =>
        new Map(
          history.map((s) => {
            const f = byId.get(s.id);
            if (!f) throw new GridcastError('UNKNOWN_SERIES', `gam was not fitted on series '${s.id}'`, { seriesId: s.id });
            return [s.id, historyTerms(f, p, s, covariates?.get(s.id), fromMs)];
          }),
        ),
      horizon: (horizon, covariates) =>
        new Map(series.map((f) => [f.id, { scale: p.logTarget ? 'log' : 'identity', ...termContributions(f.model, horizonFeatures(f, p, horizon, covariates?.get(f.id)).columns, 0, horizon) }])),
    },
    toArtifact: () =>
      makeArtifact(spec, window, hash, { series: series.map(packed) }, {
        edf: series.reduce((a, s) => a + s.model.edf, 0) / series.length,
        sigma: Math.sqrt(series.reduce((a, s) => a + s.model.sig2, 0) / series.length),
      }),
  };
}

/**
 * The posterior covariance is symmetric (cholInverse writes both triangles from one sum), so the
 * artifact keeps its upper triangle: half the bytes of the largest part of a GAM's artifact (a
 * p = 343 hourly GAM: 920 of 1,900 KiB), which a distributed run ships to a worker per series.
 * Artifacts written with the full matrix are read as they are.
 */
function packed(s: SeriesGam): SeriesGam {
  const p = s.model.beta.length;
  const vp = s.model.vp;
  const upper = new Float64Array((p * (p + 1)) / 2);
  for (let r = 0, k = 0; r < p; r++) for (let c = r; c < p; c++) upper[k++] = vp[r * p + c];
  return { ...s, model: { ...s.model, vp: upper } };
}

function unpacked(s: SeriesGam): SeriesGam {
  const p = s.model.beta.length;
  const upper = s.model.vp;
  if (upper.length === p * p) return s;
  const vp = new Float64Array(p * p);
  for (let r = 0, k = 0; r < p; r++) for (let c = r; c < p; c++, k++) vp[r * p + c] = vp[c * p + r] = upper[k];
  return { ...s, model: { ...s.model, vp } };
}

function openGam(a: ModelArtifact): State {
  const { series } = openArtifact<State>(a, KIND, VERSION, READABLE);
  return { series: series.map(unpacked) };
}

export function gamFromArtifact(a: ModelArtifact): FittedForecaster<GamForecasterParams> {
  const { series } = openGam(a);
  return fitted(a.spec.params as GamForecasterParams, series, a.trainWindow, a.dataHash, a.spec.version);
}

/** Per-smooth summary of a fitted series (EDF, smoothing parameters), for reports and the registry. */
export function gamSummary(f: FittedForecaster<GamForecasterParams>): { id: string; smooths: GamModel['smooths']; sig2: number; n: number; iterations: number; converged: boolean; abnormalDays: string[] }[] {
  const { series } = openGam(f.toArtifact());
  return series.map((s) => ({ id: s.id, smooths: s.model.smooths, sig2: s.model.sig2, n: s.model.n, iterations: s.model.iterations, converged: s.model.converged, abnormalDays: s.abnormalDays ?? [] }));
}

/** What the partial effects of one series' GAM need: the fitted GAM, its feature layout and the forecaster's parameters; null for a series it was not fitted on. */
export function gamSeriesOf(a: ModelArtifact, seriesId: string): { model: GamModel; layout: FeatureLayout; params: GamForecasterParams; abnormalDays: string[] } | null {
  const { series } = openGam(a);
  const s = series.find((x) => x.id === seriesId);
  return s ? { model: s.model, layout: s.layout, params: a.spec.params as GamForecasterParams, abnormalDays: s.abnormalDays ?? [] } : null;
}
