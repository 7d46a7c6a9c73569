import type { Log } from '../core/log.ts';
import { detectRuptures, type RuptureDeps } from '../monitoring/rupture.service.ts';
import type { Job } from './scheduler.ts';

export const RUPTURES_JOB = 'ruptures';

/**
 * Rupture detection (D3) every hour at :20, after the hour's actuals are in and scored: a
 * confirmed rupture is on the fallback for the next forecast run.
 */
export function rupturesJob(deps: Omit<RuptureDeps, 'now'>, log?: Log): Job {
  return {
    name: RUPTURES_JOB,
    cron: '0 20 * * * *',
    deadlineMs: 30 * 60_000,
    async run({ scheduledAt }) {
      const r = await detectRuptures({ ...deps, now: () => scheduledAt });
      if (r.ruptures.length + r.returned.length > 0) log?.info({ job: RUPTURES_JOB, ruptures: r.ruptures, returned: r.returned }, 'rupture monitor switched series');
    },
  };
}
