import type { Covariates, FittedForecaster, Forecaster, Series } from '../../core/types.ts';
import { DAY_AHEAD_ERROR_MEMORY_HOURS, forecastLikeErrors } from '../features/temperature.ts';
import { localSlots } from '../timeindex.ts';
import { bandWidth } from './bands.ts';

/**
 * Rolling-origin validation of one candidate on the recent history of one series: the model is
 * refitted at every origin as a run refits it (or fitted once and moved to the later origins with
 * condition(), cheaper, where `refitEach` is false). Pure: arrays in, errors out.
 */

/**
 * The last `count` local midnights, one local day apart, whose `horizon` steps lie inside the
 * history and which leave at least `minHistory` steps before the first; ascending. Fewer (possibly
 * none) when the history is too short.
 */
export function validationOrigins(s: Series, horizon: number, count: number, minHistory: number): number[] {
  const n = s.values.length;
  const { slot } = localSlots(s.start.getTime(), s.stepSec, n, s.timeZone ?? 'UTC');
  const out: number[] = [];
  for (let o = n - horizon; o >= minHistory && out.length < count; o--) {
    if (slot[o] === 0 && (o === 0 || slot[o - 1] !== 0)) out.push(o);
  }
  return out.reverse();
}

/** `c` with each covariate (past and future) replaced by `f(name, values)`; what is not per step (the measured forecast error) kept. */
function mapCovariates(c: Covariates, f: (name: string, v: Float64Array) => Float64Array): Covariates {
  const map = (r?: Record<string, Float64Array>) => (r ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, f(k, v)])) : undefined);
  const past = map(c.past);
  const future = map(c.future);
  return { ...c, ...(past ? { past } : {}), ...(future ? { future } : {}) };
}

/** Covariates of steps [from, to) of a series' covariates (aligned with its values). */
export function sliceCovariates(c: Covariates | undefined, from: number, to: number): Covariates | undefined {
  return c ? mapCovariates(c, (_, v) => v.slice(from, to)) : undefined;
}

/**
 * The weather the calibration errors are measured on over a validation horizon: the realised values
 * plus forecast-like errors of this standard deviation (°C), as a run reads forecasts there. On the
 * realised weather a weather model's errors are those of a perfect weather forecast, and bands
 * calibrated on them under-cover (README, `auto` by evidence: 70–74 % on the rows served with real
 * forecasts). Candidates are still compared on the realised weather: one simulated draw per day
 * would add its own noise to a comparison of a few days (measured: README, `auto` validated on
 * forecast-like weather).
 */
export interface WeatherError {
  variable: string;
  sd: number;
}

/**
 * `cov` (the covariates of a horizon starting at startMs) with forecast-like errors added to the
 * weather variable (`cov` itself without it); the same start gives the same errors (seeded by its
 * hour), so every candidate validated at an origin, and the online rounds over the same day, read
 * the same weather.
 */
export function forecastLikeWeather(cov: Covariates | undefined, we: WeatherError | undefined, startMs: number, stepSec: number): Covariates | undefined {
  if (!cov || !we || !(we.sd > 0) || !(cov.past?.[we.variable] || cov.future?.[we.variable])) return cov;
  const seed = Math.floor(startMs / 3_600_000);
  return mapCovariates(cov, (name, t) => {
    if (name !== we.variable) return t;
    const e = forecastLikeErrors(t, stepSec, we.sd, DAY_AHEAD_ERROR_MEMORY_HOURS, seed);
    return Float64Array.from(t, (x, i) => x + e[i]);
  });
}

export interface Validation {
  /** Forecast errors (actual − mean) and actuals, pooled over the origins, NaN actuals dropped. */
  errors: Float64Array;
  actuals: Float64Array;
  /** Width of the forecast's P10–P90 band at each pooled step (NaN without those levels): what a mixture's bands are scaled by (bands.ts). */
  widths: Float64Array;
  /** Number of pooled errors from each origin, in order: the rounds an online aggregation learns on. */
  rounds: number[];
  /**
   * Errors and band widths at the same steps on the weather a run reads (realised plus
   * forecast-like errors, WeatherError): what bands are calibrated on. The errors and widths above
   * (realised weather) are what candidates are compared on. The same arrays without a WeatherError.
   */
  calibration: { errors: Float64Array; widths: Float64Array };
  /** The candidate as it stood at the last origin (fitted, or conditioned, on the values before it). */
  fitted: FittedForecaster;
}

/**
 * Errors of `forecaster` at each origin over `horizon` steps. The covariates of the horizon are the
 * realised ones (what the history holds); with a `weatherError`, each origin is forecast a second
 * time on forecast-like weather for the calibration errors.
 */
export async function validateCandidate(forecaster: Forecaster, s: Series, cov: Covariates | undefined, origins: number[], horizon: number, refitEach = true, weatherError?: WeatherError): Promise<Validation> {
  const errors: number[] = [];
  const actuals: number[] = [];
  const widths: number[] = [];
  const rounds: number[] = [];
  // The same steps on the weather a run reads; kept apart from errors/widths only where that weather changed a forecast.
  const calErrors: number[] = [];
  const calWidths: number[] = [];
  let onServedWeather = false;
  let fitted: FittedForecaster | undefined;
  const stepMs = s.stepSec * 1000;
  for (const o of origins) {
    const history: Series = { ...s, values: s.values.slice(0, o) };
    const fitCov = sliceCovariates(cov, 0, o);
    const one = fitCov ? new Map([[s.id, fitCov]]) : undefined;
    fitted = !fitted || refitEach || !fitted.condition ? await forecaster.fit([history], one) : await fitted.condition([history], one);
    const predCov = sliceCovariates(cov, o, o + horizon);
    const [f] = await fitted.predict(horizon, predCov ? new Map([[s.id, predCov]]) : undefined);
    const servedCov = forecastLikeWeather(predCov, weatherError, s.start.getTime() + o * stepMs, s.stepSec);
    const [g] = servedCov === predCov ? [f] : await fitted.predict(horizon, servedCov ? new Map([[s.id, servedCov]]) : undefined);
    if (!f || f.start.getTime() !== s.start.getTime() + o * stepMs) throw new Error(`${forecaster.spec.kind} forecast does not start at the validation origin`);
    const before = errors.length;
    const width = bandWidth(f.quantiles, horizon);
    const servedWidth = g === f ? width : bandWidth(g.quantiles, horizon);
    onServedWeather ||= g !== f;
    for (let k = 0; k < horizon; k++) {
      const y = s.values[o + k];
      if (!Number.isFinite(y)) continue;
      errors.push(y - f.mean[k]);
      actuals.push(y);
      widths.push(width[k]);
      calErrors.push(y - g.mean[k]);
      calWidths.push(servedWidth[k]);
    }
    rounds.push(errors.length - before);
  }
  const e = Float64Array.from(errors);
  const w = Float64Array.from(widths);
  const calibration = onServedWeather ? { errors: Float64Array.from(calErrors), widths: Float64Array.from(calWidths) } : { errors: e, widths: w };
  return { errors: e, actuals: Float64Array.from(actuals), widths: w, rounds, calibration, fitted: fitted! };
}

export interface ValidationScore {
  metric: 'MAPE' | 'MAE';
  value: number;
}

/** MAPE (%) when every actual is positive, else MAE: one metric for all candidates of a series. */
export function scoreOf(v: Pick<Validation, 'errors' | 'actuals'>, metric: ValidationScore['metric']): number {
  let s = 0;
  for (let i = 0; i < v.errors.length; i++) s += metric === 'MAPE' ? Math.abs(v.errors[i] / v.actuals[i]) : Math.abs(v.errors[i]);
  return v.errors.length ? (metric === 'MAPE' ? (100 * s) / v.errors.length : s / v.errors.length) : Number.NaN;
}

export function metricFor(values: Float64Array): ValidationScore['metric'] {
  for (const v of values) if (Number.isFinite(v) && v <= 0) return 'MAE';
  return 'MAPE';
}

/**
 * Online score of choosing by validation, over the same rounds as an online mixture: each round
 * (origin) is served by the candidate with the lowest error over the rounds before it (the first
 * round by `first`, the preferred candidate; ties to the earlier-listed). Out of sample like the
 * mixture's online score, so the two can be compared.
 */
export function followTheLeaderScore(vs: Pick<Validation, 'errors' | 'actuals' | 'rounds'>[], first: number, metric: ValidationScore['metric']): number {
  const point = (v: (typeof vs)[number], i: number) => (metric === 'MAPE' ? Math.abs(v.errors[i] / v.actuals[i]) : Math.abs(v.errors[i]));
  const cum = vs.map(() => 0);
  let total = 0;
  let count = 0;
  let i0 = 0;
  for (let t = 0; t < vs[0].rounds.length; t++) {
    const n = vs[0].rounds[t];
    let lead = first;
    if (t > 0) for (let j = 0; j < vs.length; j++) if (cum[j] < cum[lead] || (cum[j] === cum[lead] && j < lead)) lead = j;
    for (let i = i0; i < i0 + n; i++) {
      total += point(vs[lead], i);
      for (let j = 0; j < vs.length; j++) cum[j] += point(vs[j], i);
    }
    count += n;
    i0 += n;
  }
  return count ? (metric === 'MAPE' ? (100 * total) / count : total / count) : Number.NaN;
}
