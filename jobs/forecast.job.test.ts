import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.ts';
import { silentLog } from '../core/log.ts';
import { backfillSimulated } from '../ingest/scada/sim-feed.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { loadStoredTopology, saveTopology } from '../store/topology.repository.ts';
import type { Db } from '../store/db.ts';
import { freshDb } from '../test/db.ts';
import { FORECAST_SCHEDULES, forecastJobs } from './forecast.job.ts';
import { createScheduler } from './scheduler.ts';

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
    const jobs = forecastJobs({ db, config, log: silentLog }).filter((j) => j.name === 'forecast-day-ahead');
    const s = createScheduler({ db, jobs, log: silentLog, instance: 'a', timeZone: config.timeZone, now: () => clock });
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
