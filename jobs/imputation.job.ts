import type { Db } from '../store/db.ts';
import { imputeRecent, type ImputationSettings } from '../ingest/impute/impute.ts';
import type { Log } from '../core/log.ts';
import type { Job } from './scheduler.ts';

/**
 * Real-time SCADA imputation (A8): every minute, fill the gaps of the last `windowSec` up to
 * `lagSec` before the tick, so a silent sensor never holds up a forecast. Points already imputed stay; a late
 * real value replaces them through the store's write rule.
 */
export function imputationJob(
  db: Db,
  log: Log,
  opts: {
    cron?: string;
    windowSec?: number;
    lagSec?: number;
    /** Nothing before this is imputed (e.g. a coarse simulated history whose cadence differs from live data); read at each run. */
    since?: () => Date | undefined;
    settings?: Partial<ImputationSettings>;
  } = {},
): Job {
  const windowMs = (opts.windowSec ?? 3600) * 1000;
  // Points of the last seconds may still be in flight (device clock, broker, flush): not gaps yet.
  const lagMs = (opts.lagSec ?? 30) * 1000;
  return {
    name: 'scada-imputation',
    cron: opts.cron ?? '0 * * * * *',
    deadlineMs: 50_000,
    housekeeping: true,
    async run({ scheduledAt }) {
      const since = opts.since?.();
      if (since && scheduledAt.getTime() - lagMs <= since.getTime()) return;
      const { results, errors } = await imputeRecent(db, {
        from: new Date(Math.max(scheduledAt.getTime() - lagMs - windowMs, since?.getTime() ?? -Infinity)),
        to: new Date(scheduledAt.getTime() - lagMs),
        actor: 'gridcast:scada-imputation-job',
        settings: opts.settings,
      });
      const points = results.reduce((n, r) => n + r.points, 0);
      if (points > 0) log.info({ job: 'scada-imputation', points, series: results.filter((r) => r.points > 0).length }, 'imputed gaps');
      if (errors.length > 0) throw new Error(`imputation failed for ${errors.length} series: ${errors.slice(0, 3).map((e) => `${e.seriesId}: ${e.error}`).join('; ')}`);
    },
  };
}
