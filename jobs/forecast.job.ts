import { HORIZONS, type Config, type Horizon } from '../core/config.ts';
import type { Db } from '../store/db.ts';
import { runForecast } from '../forecast/run/service.ts';
import type { Log } from '../core/log.ts';
import type { Job } from './scheduler.ts';

/**
 * Default schedule of the forecast run of each horizon (B1, D6), in the grid's local time.
 * - intraday: hourly at :05, once the previous hour's buckets are complete; it must be out
 *   within 15 minutes to be of use in the hour.
 * - day-ahead: 09:00, an hour before a typical 10:00 day-ahead market submission.
 * - week-ahead: daily at 06:00, before the day-ahead run so they do not compete for the CPU.
 * - mid-term: Mondays at 03:00, the quiet hours; ten climatic scenarios take the longest.
 */
export const FORECAST_SCHEDULES: Record<Horizon, { cron: string; deadlineSec: number }> = {
  intraday: { cron: '0 5 * * * *', deadlineSec: 15 * 60 },
  'day-ahead': { cron: '0 0 9 * * *', deadlineSec: 60 * 60 },
  'week-ahead': { cron: '0 0 6 * * *', deadlineSec: 2 * 60 * 60 },
  'mid-term': { cron: '0 0 3 * * 1', deadlineSec: 4 * 60 * 60 },
};

export const forecastJobName = (h: Horizon) => `forecast-${h}`;

/**
 * One job per horizon. The run is made as of its tick, not of the wall clock: a run retried,
 * or caught up after a restart, forecasts the same window from the same origin as it would have
 * on time (its inputs are those known when it actually runs).
 */
export function forecastJobs(deps: { db: Db; config: Config; log: Log }): Job[] {
  return HORIZONS.map((horizon) => ({
    name: forecastJobName(horizon),
    cron: FORECAST_SCHEDULES[horizon].cron,
    deadlineMs: FORECAST_SCHEDULES[horizon].deadlineSec * 1000,
    // A forecast run is long: one retry, a minute later, if the first attempt failed early.
    retries: 1,
    retryDelayMs: 60_000,
    run: ({ scheduledAt, deadline, signal }) =>
      runForecast({ db: deps.db, config: deps.config, log: deps.log }, { horizon, asOf: scheduledAt, scheduledAt, deadline, signal }),
  }));
}
