import { z } from 'zod';

/**
 * Scheduled job runs: one record per (job, tick) across every instance. The scheduler (jobs/)
 * reads and writes them through JobRunsRepository; store/job-runs.repository.ts implements it.
 */

export const jobRunStatus = z.enum(['running', 'succeeded', 'failed', 'late', 'missed']);
export type JobRunStatus = z.infer<typeof jobRunStatus>;

/** How a claimed tick ended. 'interrupted': the instance stopped during the run; the claim is withdrawn so the tick can be caught up. */
export type RunOutcomeStatus = Exclude<JobRunStatus, 'running' | 'missed'> | 'interrupted';

export interface RunOutcome {
  status: RunOutcomeStatus;
  attempts: number;
  error: string | null;
}

/** The latest recorded tick of a job (for job status pages). */
export const lastJobRun = z.object({
  job: z.string(),
  scheduledAt: z.date(),
  instance: z.string(),
  status: jobRunStatus,
  attempts: z.number().int(),
  startedAt: z.date(),
  finishedAt: z.date().nullable(),
  error: z.string().nullable(),
});
export type LastJobRun = z.infer<typeof lastJobRun>;

export interface JobRunsRepository {
  /**
   * Claims the tick and runs `fn` while the claim holds, then records its outcome. Resolves to
   * null, without calling `fn`, when another run of the job holds it or the tick was claimed
   * already. An 'interrupted' outcome withdraws the claim instead of recording it.
   */
  withClaim(job: string, tick: Date, instance: string, fn: () => Promise<RunOutcome>): Promise<RunOutcome | null>;
  /** The job's latest recorded tick, whatever its status (null: it never ran on this store). */
  lastTick(job: string): Promise<Date | null>;
  /** Records the ticks as missed, except those recorded already by any instance; returns the newly recorded ones. */
  recordMissed(job: string, ticks: Date[], instance: string, error: string): Promise<Date[]>;
  /** Drops claims of runs that can no longer be running, so their ticks can be caught up or counted missed. */
  releaseStaleClaims(): Promise<void>;
  /** Each job's latest recorded tick. */
  lastRuns(): Promise<LastJobRun[]>;
}
