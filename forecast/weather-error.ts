/**
 * How far the weather forecasts a run reads stand from what was then observed: the RMSE of the
 * forecasts as issued against the observations over the last WEATHER_ERROR_DAYS before the origin.
 * A backtest given forecasts and a forecast run reading stored vintages measure it the same way;
 * `auto` calibrates its bands on it (Covariates.horizonErrorSd). Pure.
 */

/** Four weeks: enough pairs for a stable RMSE, recent enough to follow the season's error. */
export const WEATHER_ERROR_DAYS = 28;
/** Below a week of pairs the RMSE is not given (the model keeps its own assumption). */
export const WEATHER_ERROR_MIN_DAYS = 7;

/** RMSE of `forecast` against `observed` over [from, to) where both are finite; undefined below a week of pairs. */
export function weatherForecastRmse(observed: ArrayLike<number>, forecast: ArrayLike<number>, from: number, to: number, stepSec: number): number | undefined {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, from); i < to; i++) {
    const d = forecast[i] - observed[i];
    if (Number.isFinite(d)) {
      sum += d * d;
      n++;
    }
  }
  return n * stepSec >= WEATHER_ERROR_MIN_DAYS * 86_400 ? Math.sqrt(sum / n) : undefined;
}
