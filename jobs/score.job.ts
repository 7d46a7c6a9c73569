import type { Log } from '../core/log.ts';
import type { AccuracyService } from '../monitoring/accuracy.service.ts';
import type { Job } from './scheduler.ts';

export const SCORE_JOB = 'score';

/**
 * Accuracy tracking (D2): every 15 minutes, the forecast values whose actuals have arrived (or
 * changed: a validated metering value, a revised measurement) since the last run are scored.
 * A pass examines only what changed since the last completed one (score_progress), so a missed
 * tick is caught up by the next one and an idle tick costs little; scoring is idempotent and
 * bounded by `accuracy.lookbackDays`: housekeeping.
 */
export function scoreJob(accuracy: AccuracyService, log: Log, cron = '0 */15 * * * *'): Job {
  return {
    name: SCORE_JOB,
    cron,
    deadlineMs: 10 * 60_000,
    housekeeping: true,
    async run({ scheduledAt }) {
      const { scored } = await accuracy.scoreNew(scheduledAt);
      if (scored > 0) log.info({ job: SCORE_JOB, scored }, 'scored forecast values against their actuals');
      return { scored };
    },
  };
}
