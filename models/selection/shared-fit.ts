import type { FittedForecaster, Forecaster } from '../../core/types.ts';

/**
 * One fit per history for a forecaster several candidates are built on (the GAM under both 'gam'
 * and 'gam-arima'): within one model selection the same (series, start, length) is the same data,
 * so the second fit() of that history returns the first one's result.
 */
export function shareFits(f: Forecaster): Forecaster {
  const cache = new Map<string, Promise<FittedForecaster>>();
  return {
    spec: f.spec,
    capabilities: f.capabilities,
    fit(history, covariates) {
      const key = history.map((s) => `${s.id}@${s.start.getTime()}+${s.values.length}`).join(',');
      let p = cache.get(key);
      if (!p) {
        p = f.fit(history, covariates);
        cache.set(key, p);
      }
      return p;
    },
  };
}
