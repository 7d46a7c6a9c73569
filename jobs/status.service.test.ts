import { describe, expect, it } from 'vitest';
import type { LastJobRun } from '../core/job-runs.ts';
import { createJobsStatus } from './status.service.ts';

const JOBS = [
  { name: 'forecast-day-ahead', cron: '0 0 9 * * *', deadlineMs: 3_600_000 },
  { name: 'aggregates-flush', cron: '*/5 * * * *', deadlineMs: 240_000 },
];
const LAST: LastJobRun = {
  job: 'forecast-day-ahead',
  scheduledAt: new Date('2026-12-02T08:00:00Z'),
  instance: 'a',
  startedAt: new Date('2026-12-02T08:00:01Z'),
  finishedAt: null,
  status: 'failed',
  attempts: 2,
  error: 'boom',
};

describe('jobs status', () => {
  const status = (nextTicks?: () => Array<{ job: string; at: Date | null }> | null) =>
    createJobsStatus({ jobs: () => JOBS, timeZone: 'Europe/Paris', runs: { lastRuns: async () => [LAST] }, now: () => new Date('2026-12-02T08:30:00Z'), ...(nextTicks && { nextTicks }) });

  it('computes the next tick from the cron in the zone when no scheduler runs', async () => {
    expect(await status().list()).toEqual([
      // 09:00 in Paris is 08:00Z in winter: today's has passed.
      { name: 'forecast-day-ahead', cron: '0 0 9 * * *', timeZone: 'Europe/Paris', deadlineSec: 3600, nextRun: new Date('2026-12-03T08:00:00Z'), lastRun: LAST },
      { name: 'aggregates-flush', cron: '*/5 * * * *', timeZone: 'Europe/Paris', deadlineSec: 240, nextRun: new Date('2026-12-02T08:35:00Z'), lastRun: null },
    ]);
  });

  it("takes the running scheduler's next ticks", async () => {
    const at = new Date('2026-12-02T08:31:00Z');
    const list = await status(() => [{ job: 'aggregates-flush', at }]).list();
    expect(list.map((j) => j.nextRun)).toEqual([new Date('2026-12-03T08:00:00Z'), at]);
  });
});
