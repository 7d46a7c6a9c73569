import type { CommitRows } from '../ingest/scada/buffer.ts';
import type { ScreenRows } from '../ingest/scada/screen.ts';
import { pollOnce, type HttpPollTarget, type PollResult } from '../ingest/scada/http-poll.ts';
import type { Log } from '../core/log.ts';
import type { Job } from './scheduler.ts';

/** Below the default 10-s poll period, so a slow endpoint is reported before the next tick. */
export const HTTP_POLL_DEADLINE_SEC = 9;

export const httpPollJobName = (url: string) => `http-poll:${url}`;

/**
 * One scheduled job per polled endpoint: through the scheduler only one gridcast instance polls
 * each tick, so N instances do not multiply the load on a field gateway. A failed poll fails
 * the run, which is retried within the deadline and recorded.
 */
export function httpPollJobs(targets: HttpPollTarget[], commit: CommitRows, log: Log, screen?: ScreenRows): { jobs: Job[]; lastResults(): PollResult[] } {
  const last = new Map<string, PollResult>();
  const jobs = targets.map(
    (t): Job => ({
      name: httpPollJobName(t.url),
      cron: t.cron,
      deadlineMs: HTTP_POLL_DEADLINE_SEC * 1000,
      retryDelayMs: 500,
      async run() {
        const r = await pollOnce(t, commit, log, undefined, screen);
        last.set(t.url, r);
        if (!r.ok) throw new Error(r.error);
      },
    }),
  );
  return { jobs, lastResults: () => [...last.values()] };
}
