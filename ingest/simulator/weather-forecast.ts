import { gauss, streamKey } from './random.ts';
import type { Station } from './weather.ts';

const HOUR = 3_600_000;

/** A forecast is issued every 6 h, at 00, 06, 12 and 18 UTC, like the main runs of a weather service. */
export const ISSUE_EVERY_MS = 6 * HOUR;
/**
 * Hourly targets from the issue time (lead 0 h) to lead 215 h. Nine days rather than eight: a
 * week-ahead run at local midnight predicts up to 193 h (DST day included) from an origin that
 * may be up to 6 h after the latest issue, so it needs leads up to 199 h.
 */
export const FORECAST_HOURS = 216;

/**
 * Error variance at lead h hours: A·h + B·h². The linear part is a random walk (small
 * independent misses accumulating); the quadratic part is a steady drift (a weather regime
 * mistimed, growing with lead). A and B put the standard deviation at 1 °C at 24 h and 3 °C
 * at 168 h, the order of operational 2-m temperature errors; it reaches 3.5 °C at 215 h.
 */
const A = 0.0397;
const B = 8.27e-5;
export const errorSd = (leadHours: number): number => Math.sqrt(A * leadHours + B * leadHours * leadHours);

/** Step of the random walk from lead h-1 to h, so that the error at lead h has variance A·h + B·h². */
const STEP_SD = Float64Array.from({ length: FORECAST_HOURS }, (_, h) => (h === 0 ? 0 : Math.sqrt(errorSd(h) ** 2 - errorSd(h - 1) ** 2)));

/** Issue times in [fromMs, toMs), ascending. */
export function issueTimes(fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(fromMs / ISSUE_EVERY_MS) * ISSUE_EVERY_MS; t < toMs; t += ISSUE_EVERY_MS) out.push(t);
  return out;
}

export interface ForecastPoint {
  targetMs: number;
  value: number;
}

/**
 * Temperature forecasts of a simulated weather service: the true temperature at each target plus
 * an error that is a pure function of (seed, station, issue time, target), growing with lead.
 * Each issue draws its own error path, so successive issues disagree as real ones do.
 */
export function createWeatherForecaster(seed: number, temperature: (s: Station, tMs: number) => number) {
  const keys = new Map<string, number>();
  const keyOf = (s: Station) => {
    let k = keys.get(s.id);
    if (k === undefined) keys.set(s.id, (k = streamKey(`weather-forecast/${s.id}`)));
    return k;
  };
  return (s: Station, issuedMs: number): ForecastPoint[] => {
    const key = keyOf(s);
    const base = (issuedMs / ISSUE_EVERY_MS) * FORECAST_HOURS;
    const out: ForecastPoint[] = [];
    let error = 0;
    for (let h = 0; h < FORECAST_HOURS; h++) {
      error += STEP_SD[h] * gauss(seed, key, base + h);
      const targetMs = issuedMs + h * HOUR;
      out.push({ targetMs, value: temperature(s, targetMs) + error });
    }
    return out;
  };
}
