import type { JobRunsRepository, LastJobRun } from '../core/job-runs.ts';
import { nextTick } from './ticks.ts';

/** What the status needs of a configured job (jobs/registry.ts). */
export interface JobDefinition {
  name: string;
  cron: string;
  deadlineMs: number;
}

export interface JobStatus {
  name: string;
  cron: string;
  timeZone: string;
  deadlineSec: number;
  /** The scheduler's next tick; computed from the cron when this process runs no scheduler. */
  nextRun: Date | null;
  /** The latest recorded tick (any instance), null when the job never ran on this store. */
  lastRun: LastJobRun | null;
}

/**
 * Each configured job's schedule, next tick and latest recorded run. `nextTicks` is the running
 * scheduler's answer (jobs/scheduler.ts); without one (an API instance that runs no jobs, or
 * before the scheduler started) the next tick is computed from the cron.
 */
export function createJobsStatus(deps: {
  jobs: () => JobDefinition[];
  timeZone: string;
  runs: Pick<JobRunsRepository, 'lastRuns'>;
  nextTicks?: () => Array<{ job: string; at: Date | null }> | null;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    async list(): Promise<JobStatus[]> {
      const last = new Map((await deps.runs.lastRuns()).map((r) => [r.job, r]));
      const scheduled = deps.nextTicks?.() ?? null;
      const next = scheduled ? new Map(scheduled.map((t) => [t.job, t.at])) : null;
      const at = now();
      return deps.jobs().map((j) => ({
        name: j.name,
        cron: j.cron,
        timeZone: deps.timeZone,
        deadlineSec: j.deadlineMs / 1000,
        nextRun: next?.has(j.name) ? next.get(j.name)! : nextTick(j.cron, deps.timeZone, at),
        lastRun: last.get(j.name) ?? null,
      }));
    },
  };
}
export type JobsStatus = ReturnType<typeof createJobsStatus>;
