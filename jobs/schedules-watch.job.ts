import type { Log } from '../core/log.ts';
import { ingestWatchedSchedules } from '../ingest/schedules/watch.ts';
import type { ScheduleIngestPorts } from '../ingest/schedules/schedules.service.ts';
import type { Job } from './scheduler.ts';

export const SCHEDULES_WATCH_JOB = 'schedules-watch';

/** Schedule files dropped in `config.schedules.watchDir` are ingested as issued (A12); one instance scans per tick. */
export function schedulesWatchJob(ports: ScheduleIngestPorts, dir: string, cron: string, log: Log): Job {
  return {
    name: SCHEDULES_WATCH_JOB,
    cron,
    deadlineMs: 60_000,
    async run() {
      // File ages are wall-clock times, whatever clock the scheduler runs on.
      for (const r of await ingestWatchedSchedules(ports, dir, new Date())) {
        if (r.status === 'rejected') log.warn({ job: SCHEDULES_WATCH_JOB, ...r }, 'schedule file rejected, moved to rejected/ (nothing written)');
        else log.info({ job: SCHEDULES_WATCH_JOB, ...r }, 'schedule file ingested');
      }
    },
  };
}
