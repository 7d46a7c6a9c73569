import { HORIZONS, type Config, type Horizon } from '../core/config.ts';
import { GridcastError } from '../core/errors.ts';
import { runForecast } from '../forecast/run/service.ts';
import type { RunDeps } from '../forecast/run/ports.ts';
import type { DeadlineService } from '../monitoring/deadline.service.ts';
import type { Job } from './scheduler.ts';
import { localTick, nextTick } from './ticks.ts';

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
 * The short-term horizons (B1) a new installation runs at once on its first start, right after
 * the backfill, instead of waiting up to an hour (intraday) or a day for their first tick.
 * Mid-term runs ten climatic scenarios and waits for its Monday tick.
 */
export const FIRST_START_HORIZONS: readonly Horizon[] = ['intraday', 'day-ahead', 'week-ahead'];

/**
 * One job per horizon. The run is made as of its tick, not of the wall clock: a run retried,
 * or caught up after a restart, forecasts the same window from the same origin as it would have
 * on time (its inputs are those known when it actually runs).
 */
export function forecastJobs(deps: RunDeps, deadlines?: DeadlineService, afterRun?: (runId: number) => Promise<unknown>): Job[] {
  return HORIZONS.map((horizon) => ({
    name: forecastJobName(horizon),
    cron: FORECAST_SCHEDULES[horizon].cron,
    deadlineMs: FORECAST_SCHEDULES[horizon].deadlineSec * 1000,
    // A forecast run is long: one retry, a minute later, if the first attempt failed early.
    retries: 1,
    retryDelayMs: 60_000,
    runOnFirstStart: FIRST_START_HORIZONS.includes(horizon),
    // With the deadline policy (D6): early warning on late inputs, a labelled fallback published in time, alarms.
    // afterRun (the fallback switches) follows every run stored, the published one and a late one alike.
    run: async ({ scheduledAt, deadline, signal }) => {
      if (!deadlines) {
        const s = await runForecast(deps, { horizon, asOf: scheduledAt, scheduledAt, deadline, signal });
        await afterRun?.(s.runId);
        return s;
      }
      const outcome = await deadlines.run({ horizon, scheduledAt, deadline, signal });
      for (const id of [outcome.runId, outcome.lateRunId]) if (id !== null) await afterRun?.(id);
      return outcome;
    },
    ...(deadlines ? { onMissed: (ticks: Array<{ scheduledAt: Date; deadline: Date }>) => deadlines.missed(horizon, ticks) } : {}),
  }));
}

/**
 * RUN_NOT_FOUND for a horizon without any run, naming when `gridcast start` makes the next one
 * under this configuration (or that its job is disabled) and how to make one now.
 */
export function noRunYet(config: Config, horizon: Horizon, now: Date): GridcastError {
  const job = forecastJobName(horizon);
  const override = config.jobs[job];
  const makeNow = `To make one now: gridcast forecast --horizon ${horizon}.`;
  if (override && !override.enabled) {
    return new GridcastError('RUN_NOT_FOUND', `There is no ${horizon} run yet, and gridcast start makes none: its job is disabled (jobs.${job}.enabled: false). ${makeNow}`, { horizon, job });
  }
  const cron = override?.cron ?? FORECAST_SCHEDULES[horizon].cron;
  const at = nextTick(cron, config.timeZone, now);
  const first = FIRST_START_HORIZONS.includes(horizon) ? ' (on the first start of a new store, right after the backfill)' : '';
  return new GridcastError(
    'RUN_NOT_FOUND',
    `There is no ${horizon} run yet. While gridcast start runs, job ${job} makes one${first} and then on schedule: the next is due at ${at ? localTick(at, config.timeZone) : 'no future time'} (cron '${cron}', ${config.timeZone}). ${makeNow}`,
    { horizon, job, nextRun: at?.toISOString() ?? null },
  );
}
