import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.ts';
import { silentLog } from '../core/log.ts';
import { backfillSimulated } from '../ingest/scada/sim-feed.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { loadStoredTopology, saveTopology } from '../store/topology.repository.ts';
import type { Db } from '../store/db.ts';
import { freshDb } from '../test/db.ts';
import { FORECAST_SCHEDULES, forecastJobs, noRunYet } from './forecast.job.ts';
import { createScheduler } from './scheduler.ts';
import { jobRunsRepository } from '../store/job-runs.repository.ts';
import { runDeps } from '../bin/lib/run-deps.ts';

describe('forecast jobs', () => {
  let db: Db;
  const config = loadConfig({}, { forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: 7 } });
  // A Monday in winter: 09:00 in Paris is 08:00 UTC.
  const tick = new Date('2026-01-12T08:00:00Z');
  beforeAll(async () => {
    db = await freshDb('pglite');
    await saveTopology(db, readDefaultGrid());
    const sim = createSimulator({ seed: 7, topology: await loadStoredTopology(db, config.timeZone) });
    await backfillSimulated(db, sim, { seed: 7, days: 4, stepSec: 900, now: tick, log: silentLog });
  });
  afterAll(() => db.close());

  it('makes a run caught up 40 minutes late as of its tick: same origin and window as on time', async () => {
    const clock = new Date(tick.getTime() + 40 * 60_000);
    const jobs = forecastJobs(runDeps(db, config, silentLog)).filter((j) => j.name === 'forecast-day-ahead');
    const s = createScheduler({ runs: jobRunsRepository(db), jobs, log: silentLog, instance: 'a', timeZone: config.timeZone, now: () => clock });
    expect(await s.catchUp('forecast-day-ahead')).toEqual({ missed: [], ran: { tick, outcome: 'succeeded' } });

    const runs = await db.query<{ horizon: string; origin: Date; window_start: Date; window_end: Date; scheduled_at: Date; deadline: Date }>(
      'SELECT horizon, origin, window_start, window_end, scheduled_at, deadline FROM forecast_runs',
    );
    expect(runs.rows).toEqual([
      {
        horizon: 'day-ahead',
        origin: tick,
        // The next local day in Paris.
        window_start: new Date('2026-01-12T23:00:00Z'),
        window_end: new Date('2026-01-13T23:00:00Z'),
        scheduled_at: tick,
        deadline: new Date(tick.getTime() + FORECAST_SCHEDULES['day-ahead'].deadlineSec * 1000),
      },
    ]);
    const status = await db.query<{ status: string }>(`SELECT status FROM job_runs WHERE job = 'forecast-day-ahead'`);
    expect(status.rows).toEqual([{ status: 'succeeded' }]);
  });
});

describe('a horizon without any run', () => {
  const now = new Date('2026-01-12T10:20:00Z'); // 11:20 in Paris

  it('names the next scheduled run of its job, and how to make one now', () => {
    const e = noRunYet(loadConfig({}, {}), 'intraday', now);
    expect(e.code).toBe('RUN_NOT_FOUND');
    expect(e.message).toBe(
      "There is no intraday run yet. While gridcast start runs, job forecast-intraday makes one (on the first start of a new store, right after the backfill) " +
        "and then on schedule: the next is due at 2026-01-12T12:05:00+01:00 (cron '0 5 * * * *', Europe/Paris). To make one now: gridcast forecast --horizon intraday.",
    );
    expect(e.details).toEqual({ horizon: 'intraday', job: 'forecast-intraday', nextRun: '2026-01-12T11:05:00.000Z' });
    // Mondays at 03:00: the next is a week later.
    expect(noRunYet(loadConfig({}, {}), 'mid-term', now).details.nextRun).toBe('2026-01-19T02:00:00.000Z');
  });

  it('follows the configured schedule, and says when the job is disabled', () => {
    const config = loadConfig({}, { jobs: { 'forecast-day-ahead': { cron: '0 30 7 * * *' }, 'forecast-week-ahead': { enabled: false } } });
    expect(noRunYet(config, 'day-ahead', now).details.nextRun).toBe('2026-01-13T06:30:00.000Z');
    expect(noRunYet(config, 'week-ahead', now).message).toMatch(/^There is no week-ahead run yet, and gridcast start makes none: its job is disabled \(jobs.forecast-week-ahead.enabled: false\)\. To make one now: gridcast forecast --horizon week-ahead\.$/);
  });
});
