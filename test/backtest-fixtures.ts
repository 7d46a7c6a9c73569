import type { Covariates, Forecast, Forecaster, FittedForecaster, Series } from '../core/types.ts';

export interface Seen {
  kind: 'fit' | 'condition';
  historyStart: number;
  historyEnd: number;
  length: number;
  lastValue: number;
  fitCovariate?: Float64Array;
  predictCovariate?: Float64Array;
  horizonErrorSd?: Record<string, number>;
}

/**
 * A forecaster that records every history and covariate it is given and forecasts the last value
 * it saw (±1 for P10/P90), so tests can check what a backtest lets a model see.
 */
export function recordingForecaster(seen: Seen[], withCondition = false): Forecaster {
  const spec = { kind: 'recorder', version: 1, params: {} };
  const make = (kind: Seen['kind'], history: Series[], cov?: Map<string, Covariates>): FittedForecaster => {
    const s = history[0];
    const entry: Seen = {
      kind,
      historyStart: s.start.getTime(),
      historyEnd: s.start.getTime() + s.values.length * s.stepSec * 1000,
      length: s.values.length,
      lastValue: s.values[s.values.length - 1],
      ...(cov?.get(s.id)?.future?.temperature ? { fitCovariate: cov.get(s.id)!.future!.temperature } : {}),
      ...(cov?.get(s.id)?.horizonErrorSd ? { horizonErrorSd: cov.get(s.id)!.horizonErrorSd } : {}),
    };
    seen.push(entry);
    const f: FittedForecaster = {
      spec,
      ...(withCondition ? { condition: async (h: Series[], c?: Map<string, Covariates>) => make('condition', h, c) } : {}),
      async predict(horizon, pc): Promise<Forecast[]> {
        const t = pc?.get(s.id)?.future?.temperature;
        if (t) entry.predictCovariate = t;
        const mean = new Float64Array(horizon).fill(entry.lastValue);
        return [{ seriesId: s.id, start: new Date(entry.historyEnd), stepSec: s.stepSec, mean, quantiles: { '0.1': mean.map((v) => v - 1), '0.5': mean.slice(), '0.9': mean.map((v) => v + 1) }, model: 'recorder' }];
      },
      residuals: () => new Map(),
      toArtifact: () => ({ formatVersion: 1, spec, trainWindow: { start: '', end: '' }, dataHash: '', state: {} }),
    };
    return f;
  };
  return { spec, capabilities: { futureCovariates: true, probabilistic: true, global: false, minHistory: 1 }, fit: async (h, c) => make('fit', h, c) };
}

/** Hourly load with a daily shape and a weekly dip, deterministic. */
export function simulatedLoad(id: string, startIso: string, hours: number, level = 100): Series {
  const start = new Date(startIso);
  const values = Float64Array.from({ length: hours }, (_, i) => {
    const h = i % 24;
    const weekday = Math.floor(i / 24) % 7;
    return level + 20 * Math.sin(((h - 6) / 24) * 2 * Math.PI) - (weekday >= 5 ? 10 : 0) + ((i * 7919) % 13) / 13;
  });
  return { id, start, stepSec: 3600, values, timeZone: 'UTC' };
}
