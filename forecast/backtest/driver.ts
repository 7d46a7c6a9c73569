import { GridcastError } from '../../core/errors.ts';
import { WEATHER_ERROR_DAYS, weatherForecastRmse } from '../weather-error.ts';
import { DEFAULT_QUANTILES, type Covariates, type Forecast, type Forecaster, type FittedForecaster, type Series } from '../../core/types.ts';

/** One series over its whole span, with its covariates aligned with `series.values`. */
export interface BacktestInput {
  series: Series;
  /** Covariates known over history and horizon (e.g. observed temperature: "perfect" weather). */
  future?: Record<string, Float64Array>;
  /**
   * Forecasts of the same covariates as they were issued before each target (ex-ante weather),
   * aligned the same way. When given, the horizon of every origin reads these instead of `future`;
   * the history still reads `future` (observations).
   */
  futureForecast?: Record<string, Float64Array>;
}

export interface BacktestOptions {
  horizon: number;
  /** Origin indices into series.values, ascending (see placeOrigins). */
  origins: number[];
  quantiles?: number[];
  /**
   * Refit every k origins; in between, a fitted model with condition() is moved to the new
   * origin with its parameters kept (others are refitted at every origin). Default 1.
   */
  refitEvery?: number;
  /** Most recent steps of history given to the model (default: all before the origin). */
  maxHistory?: number;
  onOrigin?(done: number, total: number): void;
  /** The model fitted (`refitted`) or conditioned for an origin, before it predicts: what a caller reports of the fit. */
  onFit?(fitted: FittedForecaster, refitted: boolean): void;
}

export interface OriginResult {
  origin: Date;
  /** Index of the origin in series.values. */
  index: number;
  forecast: Forecast;
  /** Actuals of the horizon (NaN where missing). */
  actual: Float64Array;
  /** Time spent in fit() or condition() for this origin, ms. */
  fitMs: number;
  predictMs: number;
  refitted: boolean;
}

const slice = (values: Float64Array, from: number, to: number) => values.slice(from, to);

function covariatesAt(input: BacktestInput, from: number, origin: number, horizon: number): { fit?: Covariates; predict?: Covariates } {
  if (!input.future) return {};
  const fit: Record<string, Float64Array> = {};
  const predict: Record<string, Float64Array> = {};
  const errorSd: Record<string, number> = {};
  for (const [name, values] of Object.entries(input.future)) {
    fit[name] = slice(values, from, origin);
    const source = input.futureForecast?.[name] ?? values;
    const h = slice(source, origin, origin + horizon);
    const missing = h.findIndex((v) => !Number.isFinite(v));
    if (h.length < horizon || missing >= 0) {
      const at = new Date(input.series.start.getTime() + (origin + Math.max(0, missing)) * input.series.stepSec * 1000);
      throw new GridcastError(
        'WEATHER_MISSING',
        `covariate '${name}' of series '${input.series.id}' is missing at ${at.toISOString()} inside the horizon of the origin ${new Date(input.series.start.getTime() + origin * input.series.stepSec * 1000).toISOString()}; give weather covering every target (or backtest a model without weather, e.g. seasonal-naive)`,
        { seriesId: input.series.id, covariate: name, at: at.toISOString() },
      );
    }
    predict[name] = h;
    const stepSec = input.series.stepSec;
    const sd = input.futureForecast?.[name] ? weatherForecastRmse(values, input.futureForecast[name], Math.max(from, origin - (WEATHER_ERROR_DAYS * 86_400) / stepSec), origin, stepSec) : undefined;
    if (sd !== undefined) errorSd[name] = sd;
  }
  const known = Object.keys(errorSd).length > 0 ? { horizonErrorSd: errorSd } : {};
  return { fit: { future: fit, ...known }, predict: { future: predict, ...known } };
}

/**
 * Rolling-origin backtest of one series: at each origin the model sees only the values strictly
 * before it (and covariates up to the end of the horizon, since weather forecasts are an input)
 * and forecasts the `horizon` steps starting at the origin.
 */
export async function runBacktest(forecaster: Forecaster, input: BacktestInput, opts: BacktestOptions): Promise<OriginResult[]> {
  const { series } = input;
  const n = series.values.length;
  const refitEvery = opts.refitEvery ?? 1;
  if (!Number.isInteger(refitEvery) || refitEvery < 1) throw new GridcastError('INVALID_REFIT', `refitEvery must be a positive whole number, got ${refitEvery}`);
  for (const [name, v] of Object.entries({ ...input.future, ...input.futureForecast })) {
    if (v.length !== n) throw new GridcastError('COVARIATE_LENGTH', `covariate '${name}' has ${v.length} values but series '${series.id}' has ${n}`, { covariate: name });
  }
  const quantiles = opts.quantiles ?? [...DEFAULT_QUANTILES];
  const stepMs = series.stepSec * 1000;
  const results: OriginResult[] = [];
  let fitted: FittedForecaster | undefined;
  for (let i = 0; i < opts.origins.length; i++) {
    const o = opts.origins[i];
    if (o < 1 || o + opts.horizon > n) throw new GridcastError('INVALID_ORIGIN', `origin index ${o} leaves no history or no room for ${opts.horizon} targets in ${n} steps`, { origin: o });
    const from = opts.maxHistory ? Math.max(0, o - opts.maxHistory) : 0;
    const history: Series = { ...series, start: new Date(series.start.getTime() + from * stepMs), values: slice(series.values, from, o) };
    const cov = covariatesAt(input, from, o, opts.horizon);
    const fitCov = cov.fit ? new Map([[series.id, cov.fit]]) : undefined;
    const refit = !fitted || i % refitEvery === 0 || !fitted.condition;
    const t0 = performance.now();
    // A refit reuses the previous fit's work where the model can (a GAM adds the new day's rows to its cross-products).
    if (refit) fitted = fitted?.refit ? await fitted.refit([history], fitCov) : await forecaster.fit([history], fitCov, { refittable: true });
    else fitted = await fitted!.condition!([history], fitCov);
    const t1 = performance.now();
    opts.onFit?.(fitted, refit);
    const [forecast] = await fitted.predict(opts.horizon, cov.predict ? new Map([[series.id, cov.predict]]) : undefined, quantiles);
    const t2 = performance.now();
    if (!forecast || forecast.start.getTime() !== series.start.getTime() + o * stepMs || forecast.mean.length !== opts.horizon) {
      throw new GridcastError('BACKTEST_FORECAST_SHAPE', `${forecaster.spec.kind} returned a forecast that does not start at the origin or does not cover ${opts.horizon} steps`, { origin: o });
    }
    results.push({ origin: new Date(series.start.getTime() + o * stepMs), index: o, forecast, actual: slice(series.values, o, o + opts.horizon), fitMs: t1 - t0, predictMs: t2 - t1, refitted: refit });
    opts.onOrigin?.(i + 1, opts.origins.length);
  }
  return results;
}
