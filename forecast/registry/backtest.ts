import { DateTime } from 'luxon';
import { GridcastError, isGridcastError } from '../../core/errors.ts';
import type { Forecaster, Series } from '../../core/types.ts';
import { runBacktest, type OriginResult } from '../backtest/driver.ts';
import { scoreBacktest, type BacktestScore } from '../backtest/score.ts';
import { TEMPERATURE } from '../inputs.ts';
import type { TrainingInputs } from './ports.ts';
import { latestDataHour } from './series.ts';

/**
 * A named test set, out of sample: the first `origins` local midnights at or after the end of the
 * training window, `horizon` hours each, scored on the actuals that came after it.
 */
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
  all: BacktestScore | null;
  series: Record<string, BacktestScore | { error: string }>;
}

/** The training window a named backtest follows. */
export interface TrainingWindow {
  seriesIds: string[];
  /** End of the training window (a whole hour): every origin is at or after it. */
  trainEnd: Date;
  historyDays: number;
}

const DEFAULT_REFIT_EVERY = 7;
const HOUR_MS = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The first `count` local midnights at or after `trainEnd`, a local day apart (23 or 25 h across
 * DST changes). An origin at trainEnd itself sees exactly the training window; its targets, like
 * every later origin's, lie after it.
 */
export function originsAfter(trainEnd: Date, count: number, timeZone: string): number[] {
  let day = DateTime.fromMillis(trainEnd.getTime(), { zone: timeZone }).startOf('day');
  if (day.toMillis() < trainEnd.getTime()) day = day.plus({ days: 1 });
  return Array.from({ length: count }, (_, k) => day.plus({ days: k }).toMillis());
}

const tooFewData = (spec: NamedBacktest, w: TrainingWindow, origins: number[], actualsEnd: Date | number | null, who: string) =>
  new GridcastError(
    'BACKTEST_TOO_FEW_DATA',
    `backtest '${spec.name}' scores ${spec.origins} origin(s) after the training window, which ends ${w.trainEnd.toISOString()}: origins ${iso(origins[0])} … ${iso(origins.at(-1)!)}, ` +
      `${spec.horizon} h each, need actuals up to ${iso(origins.at(-1)! + spec.horizon * HOUR_MS)}, but the actuals of ${who} end ${actualsEnd === null ? 'before it (none after it)' : iso(new Date(actualsEnd).getTime())}; ` +
      'give an earlier --train-end (the backtest never scores the data the model was trained on), fewer --origins or a shorter --horizon',
    { backtest: spec.name, trainEnd: w.trainEnd.toISOString(), firstOrigin: iso(origins[0]), lastOrigin: iso(origins.at(-1)!), actualsEnd: actualsEnd === null ? null : iso(new Date(actualsEnd).getTime()) },
  );

/**
 * Rolling-origin backtest of `forecaster` on each series of the window, over the actuals after
 * it: each origin's model sees the `historyDays` before the origin (the first origin, when at
 * trainEnd, exactly the training window). Refused with BACKTEST_TOO_FEW_DATA, naming the dates,
 * when the store holds too few actuals after trainEnd for any series. A series that cannot be
 * backtested (too short, weather missing, its actuals end early) is recorded with its error and
 * the others are still scored; BACKTEST_FAILED when none could be.
 */
export async function scoreNamedBacktest(source: TrainingInputs, forecaster: Forecaster, w: TrainingWindow, spec: NamedBacktest): Promise<BacktestMetrics> {
  const refitEvery = spec.refitEvery ?? DEFAULT_REFIT_EVERY;
  const zones = new Map((await source.series()).map((r) => [r.id, r.timeZone]));
  const originsOf = (id: string) => originsAfter(w.trainEnd, spec.origins, zones.get(id) ?? 'UTC');
  const targetsEnd = (origins: number[]) => origins.at(-1)! + spec.horizon * HOUR_MS;

  // Refused before anything is loaded when no series can have its test set.
  const dataEnd = (await latestDataHour(source, w.seriesIds))?.getTime() ?? null;
  const needEnd = Math.max(...w.seriesIds.map((id) => targetsEnd(originsOf(id))));
  if (dataEnd === null || w.seriesIds.every((id) => targetsEnd(originsOf(id)) > dataEnd)) {
    throw tooFewData(spec, w, originsOf(w.seriesIds[0]), dataEnd !== null && dataEnd > w.trainEnd.getTime() ? dataEnd : null, w.seriesIds.length > 1 ? 'these series' : w.seriesIds[0]);
  }

  const trainStart = w.trainEnd.getTime() - w.historyDays * 24 * HOUR_MS;
  const end = Math.min(needEnd, dataEnd);
  const days = Math.ceil((end - trainStart) / (24 * HOUR_MS));
  const inputs = await source.load({ seriesIds: w.seriesIds, origin: new Date(end), historyDays: days, horizonSteps: 0 });
  // Weather is used only by a model that takes it, for series that have it.
  const useWeather = forecaster.capabilities.futureCovariates && w.seriesIds.some((id) => inputs.fitCovariates.get(id)?.future?.[TEMPERATURE]);

  const all: OriginResult[] = [];
  const series: BacktestMetrics['series'] = {};
  for (const id of w.seriesIds) {
    try {
      const loaded = inputs.history.get(id)!;
      const origins = originsOf(id);
      // From the start of the training window (the load is in whole days), or from the series' first value after it.
      const skip = Math.max((trainStart - loaded.start.getTime()) / HOUR_MS, 0);
      const first = loaded.values.findIndex((v, i) => i >= skip && !Number.isNaN(v));
      const last = loaded.values.findLastIndex((v) => !Number.isNaN(v));
      const actualsEnd = first < 0 ? null : loaded.start.getTime() + (last + 1) * HOUR_MS;
      if (actualsEnd === null || actualsEnd <= w.trainEnd.getTime() || targetsEnd(origins) > actualsEnd) {
        throw tooFewData(spec, w, origins, actualsEnd !== null && actualsEnd > w.trainEnd.getTime() ? actualsEnd : null, id);
      }
      const s: Series = { ...loaded, start: new Date(loaded.start.getTime() + first * HOUR_MS), values: loaded.values.slice(first) };
      const index = origins.map((t) => (t - s.start.getTime()) / HOUR_MS);
      if (index.some((i) => !Number.isInteger(i))) {
        throw new GridcastError('BACKTEST_ORIGIN_OFF_GRID', `local midnight in ${s.timeZone} is not a whole UTC hour: the hourly history of '${id}' has no origin there`, { seriesId: id });
      }
      const minHistory = Math.max(1, forecaster.capabilities.minHistory ?? 1);
      if (index[0] < minHistory) {
        throw new GridcastError('TOO_FEW_DATA', `'${id}' has ${Math.max(0, index[0])} hours of actuals before the first origin ${iso(origins[0])}; ${forecaster.spec.kind} needs ${minHistory}`, { seriesId: id, minHistory });
      }
      const t = useWeather ? inputs.fitCovariates.get(id)?.future?.[TEMPERATURE]?.slice(first) : undefined;
      const results = await runBacktest(forecaster, { series: s, ...(t ? { future: { [TEMPERATURE]: t } } : {}) }, {
        horizon: spec.horizon,
        origins: index,
        refitEvery,
        maxHistory: w.historyDays * 24,
      });
      series[id] = scoreBacktest(results);
      all.push(...results);
    } catch (e) {
      if (!isGridcastError(e)) throw e;
      series[id] = { error: `${e.code}: ${e.message}` };
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
