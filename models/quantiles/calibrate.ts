import { GridcastError } from '../../core/errors.ts';
import { DEFAULT_QUANTILES, type Forecast } from '../../core/types.ts';
import { addQuantiles, errorQuantiles, type ErrorQuantiles } from './empirical.ts';

/** A past forecast and what was then observed over its horizon (NaN where not yet known). */
export interface ForecastOutcome {
  mean: Float64Array;
  actual: Float64Array;
}

/** Errors actual − mean grouped by horizon step, over many past forecasts. */
export function errorsByStep(outcomes: ForecastOutcome[], steps?: number): Float64Array[] {
  const n = steps ?? Math.max(0, ...outcomes.map((o) => o.mean.length));
  const buckets: number[][] = Array.from({ length: n }, () => []);
  for (const o of outcomes) {
    if (o.actual.length !== o.mean.length) {
      throw new GridcastError('CALIBRATION_LENGTH', `a past forecast has ${o.mean.length} steps but ${o.actual.length} actuals; align them on the forecast steps`);
    }
    for (let h = 0; h < Math.min(n, o.mean.length); h++) {
      const e = o.actual[h] - o.mean[h];
      if (Number.isFinite(e)) buckets[h].push(e);
    }
  }
  return buckets.map((b) => Float64Array.from(b));
}

/** Calibration table for any model, from its past (forecast, actual) pairs (a rolling backtest). */
export function calibrateFromOutcomes(outcomes: ForecastOutcome[], minSamples = 30): ErrorQuantiles {
  return errorQuantiles(errorsByStep(outcomes), minSamples);
}

/** The same forecast with its quantiles replaced by the calibrated ones. */
export function applyCalibration(f: Forecast, eq: ErrorQuantiles, levels: readonly number[] = DEFAULT_QUANTILES): Forecast {
  return { ...f, quantiles: addQuantiles(f.mean, eq, levels) };
}
