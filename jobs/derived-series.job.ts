import type { Db } from '../store/db.ts';
import type { Log } from '../core/log.ts';
import { deriveSeries } from '../ingest/prepare/derive.ts';
import type { Job } from './scheduler.ts';

/**
 * Derived series (A6, A7): every minute, the PV estimate and consumption behind each withdrawal
 * with embedded PV, and each region's balance, up to the tick (ingest/prepare/derive.ts). A
 * family that cannot be derived (e.g. BALANCE_INCOMPLETE) fails the run with its reason after the
 * others are done; the next tick resumes from the stored progress, so retries would only repeat it.
 */
export function derivedSeriesJob(db: Db, log: Log, cron = '40 * * * * *'): Job {
  return {
    name: 'derived-series',
    cron,
    deadlineMs: 50_000,
    housekeeping: true,
    retries: 0,
    async run({ scheduledAt, signal }) {
      const { results, problems } = await deriveSeries(db, { now: scheduledAt, signal });
      const points = results.reduce((n, r) => n + r.points, 0);
      const behind = results.filter((r) => r.behind).flatMap((r) => r.seriesIds);
      if (points > 0) {
        log.info(
          { job: 'derived-series', points, series: results.filter((r) => r.points > 0).flatMap((r) => r.seriesIds), ...(behind.length && { behind }) },
          behind.length ? 'derived series updated; catching up with the history, a week per run' : 'derived series updated',
        );
      }
      if (problems.length > 0) {
        throw new Error(`could not derive ${problems.map((p) => `${p.seriesIds.join('+')}: ${p.code} ${p.message}`).join('; ')}`);
      }
    },
  };
}
