import { GridcastError, isGridcastError } from '../../core/errors.ts';
import type { Covariates, Forecaster, Series } from '../../core/types.ts';
import { runBacktest, type OriginResult } from '../backtest/driver.ts';
import { placeOrigins } from '../backtest/origins.ts';
import { scoreBacktest, type BacktestScore } from '../backtest/score.ts';
import { TEMPERATURE } from '../inputs.ts';

/** A named test set: the last `origins` local midnights of the training window, `horizon` hours each. */
export interface NamedBacktest {
  name: string;
  origins: number;
  horizon: number;
  /** Refit every k origins, condition in between (default 7, as the accuracy bench). */
  refitEvery?: number;
}

export interface BacktestMetrics {
  horizon: number;
  origins: number;
  refitEvery: number;
  /** Weather over the horizons: observations ("perfect" weather), or none (a model without covariates, or series without weather). */
  weather: 'observed' | 'none';
  /** First and last origin over all series (ISO). */
  from: string;
  to: string;
  /** Every target of every scored series pooled. */
  all: BacktestScore | null;
  series: Record<string, BacktestScore | { error: string }>;
}

const DEFAULT_REFIT_EVERY = 7;

/**
 * Rolling-origin backtest of `forecaster` on each series (the backtest driver, one series at a
 * time): a series that cannot be backtested (too short, weather missing) is recorded with its
 * error and the others are still scored; BACKTEST_FAILED when none could be.
 */
export async function scoreNamedBacktest(forecaster: Forecaster, history: Series[], covariates: Map<string, Covariates>, spec: NamedBacktest): Promise<BacktestMetrics> {
  const refitEvery = spec.refitEvery ?? DEFAULT_REFIT_EVERY;
  // Weather is used only by a model that takes it, for series that have it.
  const useWeather = forecaster.capabilities.futureCovariates && history.some((s) => covariates.get(s.id)?.future?.[TEMPERATURE]);
  const all: OriginResult[] = [];
  const series: BacktestMetrics['series'] = {};
  for (const s of history) {
    try {
      const temperature = useWeather ? covariates.get(s.id)?.future?.[TEMPERATURE] : undefined;
      const origins = placeOrigins({
        startMs: s.start.getTime(),
        stepSec: s.stepSec,
        length: s.values.length,
        horizon: spec.horizon,
        count: spec.origins,
        timeZone: s.timeZone ?? 'UTC',
        minHistory: forecaster.capabilities.minHistory,
      });
      const results = await runBacktest(forecaster, { series: s, ...(temperature ? { future: { [TEMPERATURE]: temperature } } : {}) }, { horizon: spec.horizon, origins, refitEvery });
      series[s.id] = scoreBacktest(results);
      all.push(...results);
    } catch (e) {
      if (!isGridcastError(e)) throw e;
      series[s.id] = { error: `${e.code}: ${e.message}` };
    }
  }
  if (all.length === 0) {
    throw new GridcastError('BACKTEST_FAILED', `backtest '${spec.name}' could not score any series: ${Object.entries(series).map(([id, r]) => `${id}: ${'error' in r ? r.error : ''}`).join(' | ')}`, { backtest: spec.name });
  }
  const times = all.map((r) => r.origin.getTime());
  return {
    horizon: spec.horizon,
    origins: spec.origins,
    refitEvery,
    weather: useWeather ? 'observed' : 'none',
    from: new Date(Math.min(...times)).toISOString(),
    to: new Date(Math.max(...times)).toISOString(),
    all: scoreBacktest(all),
    series,
  };
}
