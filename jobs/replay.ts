import type { Clock } from '../core/clock.ts';
import type { Job } from './scheduler.ts';
import { nextTick } from './ticks.ts';

/**
 * The clock of a replay: the services read it as their `now`, the replay moves it from tick to
 * tick, and a service's wait (the deadline policy's early warning) moves it forward at once.
 */
export interface ReplayClock extends Clock {
  set(at: Date): void;
}

export function replayClock(start: Date): ReplayClock {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    set: (at) => void (t = at.getTime()),
    async sleepUntil(at, signal) {
      if (signal?.aborted) throw signal.reason;
      t = Math.max(t, at.getTime());
    },
  };
}

export interface ReplayedTick {
  job: string;
  at: Date;
  status: 'succeeded' | 'failed';
  /** The coded error of a failed tick (the live scheduler records the same in job_runs). */
  error?: { code: string; message: string };
}

/** The ticks of `jobs` in [from, to), in time order; ticks at the same instant in the order of `jobs`. */
export function replayTicks(jobs: readonly Job[], from: Date, to: Date, timeZone: string): Array<{ job: Job; at: Date }> {
  const ticks: Array<{ job: Job; at: Date; order: number }> = [];
  jobs.forEach((job, order) => {
    // nextTick is strictly after its start: begin a millisecond before `from` to include a tick at `from`.
    for (let at = nextTick(job.cron, timeZone, new Date(from.getTime() - 1)); at && at < to; at = nextTick(job.cron, timeZone, at)) ticks.push({ job, at, order });
  });
  return ticks.sort((a, b) => a.at.getTime() - b.at.getTime() || a.order - b.order).map(({ job, at }) => ({ job, at }));
}

/**
 * Steps `clock` through [from, to) and runs each job at each of its ticks, as the live scheduler
 * would (the same Job definitions, asked with the tick as scheduledAt and the tick plus the job's
 * deadline), one at a time in time order. A failing tick is recorded and the replay goes on, as
 * the live system would go on to its next tick. The services read `clock`, so what they store
 * and the events they raise carry the replayed time.
 */
export async function replayJobs(
  jobs: readonly Job[],
  opts: { from: Date; to: Date; timeZone: string; clock: ReplayClock; signal?: AbortSignal; onTick?: (t: ReplayedTick) => void },
): Promise<ReplayedTick[]> {
  const done: ReplayedTick[] = [];
  const signal = opts.signal ?? new AbortController().signal;
  for (const { job, at } of replayTicks(jobs, opts.from, opts.to, opts.timeZone)) {
    if (signal.aborted) break;
    opts.clock.set(at);
    let tick: ReplayedTick;
    try {
      await job.run({ scheduledAt: at, deadline: new Date(at.getTime() + job.deadlineMs), signal });
      tick = { job: job.name, at, status: 'succeeded' };
    } catch (e) {
      const err = e as { code?: string; message?: string };
      tick = { job: job.name, at, status: 'failed', error: { code: err.code ?? 'INTERNAL', message: err.message ?? String(e) } };
    }
    done.push(tick);
    opts.onTick?.(tick);
  }
  return done;
}
