import type { Db } from '../store/db.ts';
import type { Log } from '../core/log.ts';
import { flagRecentSpikes } from '../ingest/validate/suspect.ts';
import type { Job } from './scheduler.ts';

const SPIKES_JOB = 'scada-spikes';

/**
 * Live point check (A9): every minute, the isolated spikes and drops of the last `windowSec` of
 * telemetry are marked suspect (ingest/validate/spikes.ts). A point needs its successor to be
 * judged, so a live spike is marked within a minute of the next point's arrival; the points of
 * the last `lagSec` may still be in flight and wait for the next run.
 */
export function spikesJob(db: Db, log: Log, opts: { windowSec?: number; lagSec?: number } = {}): Job {
  const windowMs = (opts.windowSec ?? 3600) * 1000;
  const lagMs = (opts.lagSec ?? 30) * 1000;
  return {
    name: SPIKES_JOB,
    cron: '45 * * * * *',
    deadlineMs: 50_000,
    housekeeping: true,
    async run({ scheduledAt }) {
      const to = new Date(scheduledAt.getTime() - lagMs);
      const r = await flagRecentSpikes(db, { from: new Date(to.getTime() - windowMs), to, actor: 'gridcast:scada-spikes-job' });
      if (r.flagged > 0) log.info({ job: SPIKES_JOB, flagged: r.flagged, first: r.first }, 'marked isolated spikes and drops suspect');
    },
  };
}
