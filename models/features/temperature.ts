/**
 * Temperature features with thermal inertia: buildings respond to the weather of the last days, not
 * only of this hour. Exponentially smoothed temperatures (one per half-life), the trailing 24 h
 * maximum and minimum, and the temperature one day earlier. The state after the last step lets a
 * fitted model continue the features over a forecast horizon exactly as in training.
 */
import { GridcastError } from '../../core/errors.ts';
import { normalDraws, seededRandom } from '../../core/random.ts';

export interface TemperatureState {
  /** Smoothed temperature after the last step, one per half-life. */
  smoothed: Float64Array;
  /** The last day of raw temperatures (oldest first, NaN where missing). */
  tail: Float64Array;
}

export interface TemperatureFeatures {
  columns: Record<string, Float64Array>;
  state: TemperatureState;
}

export const smoothedName = (halfLifeHours: number) => `temp_s${halfLifeHours}h`;

/**
 * Features of `temp` (°C, one per step). A missing value leaves the smoothed temperatures where they
 * were (their memory bridges short gaps) and is NaN in the raw columns (those rows are not fitted).
 */
export function temperatureFeatures(temp: Float64Array, stepSec: number, halfLivesHours: number[], previous?: TemperatureState): TemperatureFeatures {
  const n = temp.length;
  const perDay = Math.max(1, Math.round(86_400 / stepSec));
  const alphas = halfLivesHours.map((h) => 1 - 2 ** (-stepSec / 3600 / h));
  const smoothed = previous ? Float64Array.from(previous.smoothed) : new Float64Array(halfLivesHours.length).fill(Number.NaN);
  if (previous && previous.smoothed.length !== halfLivesHours.length) {
    throw new GridcastError('FEATURE_STATE', 'temperature state does not match the configured half-lives; refit the model');
  }
  const tail = previous?.tail ?? new Float64Array(perDay).fill(Number.NaN);
  // Raw history window: the previous day followed by this batch, so max/min/lag see across the seam.
  const all = new Float64Array(tail.length + n);
  all.set(tail);
  all.set(temp, tail.length);
  const cols: Record<string, Float64Array> = { temp: Float64Array.from(temp) };
  const sCols = halfLivesHours.map((h) => (cols[smoothedName(h)] = new Float64Array(n)));
  const tmax = (cols.temp_max24 = new Float64Array(n));
  const tmin = (cols.temp_min24 = new Float64Array(n));
  const lag = (cols.temp_lag24 = new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const x = temp[i];
    for (let j = 0; j < alphas.length; j++) {
      if (Number.isFinite(x)) smoothed[j] = Number.isFinite(smoothed[j]) ? smoothed[j] + alphas[j] * (x - smoothed[j]) : x;
      sCols[j][i] = smoothed[j];
    }
    const end = tail.length + i;
    let hi = -Infinity;
    let lo = Infinity;
    for (let k = end - perDay + 1; k <= end; k++) {
      const v = all[k];
      if (Number.isFinite(v)) {
        if (v > hi) hi = v;
        if (v < lo) lo = v;
      }
    }
    tmax[i] = Number.isFinite(hi) ? hi : Number.NaN;
    tmin[i] = Number.isFinite(lo) ? lo : Number.NaN;
    lag[i] = all[end - perDay];
  }
  return { columns: cols, state: { smoothed, tail: all.slice(all.length - perDay) } };
}

/**
 * Day-ahead temperature forecast errors, as the models assume them where they stand in for
 * forecasts: 1 °C standard deviation (the RMSE of BigDEAL 2022's published day-ahead forecasts of
 * the station-mean temperature against the observations, 0.96 °C over 2018) and a correlation of
 * 1/e after half a day (an error persists over a day's hours). Used to fit the GAM
 * (trainingTemperatureErrorSd) and to calibrate `auto`'s bands (validation.weatherErrorSd).
 */
export const DAY_AHEAD_TEMPERATURE_ERROR_SD = 1;
export const DAY_AHEAD_ERROR_MEMORY_HOURS = 12;

/**
 * Forecast-like errors to add to observed temperatures: a stationary AR(1) of standard
 * deviation `sd` (°C) whose correlation falls to 1/e after `memoryHours`, as day-ahead forecast errors
 * persist over a day's hours. A model fitted on observations learns a temperature response sharper
 * than forecasts can support (it over-trusts them); fitted on observations plus such errors, it
 * spreads its weight towards the smoothed temperatures, which at the horizon are mostly observed.
 * Deterministic in `seed`; NaN where `temp` is missing.
 */
export function forecastLikeErrors(temp: Float64Array, stepSec: number, sd: number, memoryHours: number, seed: number): Float64Array {
  const out = new Float64Array(temp.length);
  if (sd <= 0) return out;
  const rho = Math.exp(-stepSec / 3600 / memoryHours);
  const innovation = sd * Math.sqrt(1 - rho * rho);
  const z = normalDraws(seededRandom(seed));
  let e = sd * z();
  for (let i = 0; i < temp.length; i++) {
    e = rho * e + innovation * z();
    out[i] = Number.isFinite(temp[i]) ? e : Number.NaN;
  }
  return out;
}
