import type { Queryable } from './db.ts';

export type JobRunStatus = 'running' | 'succeeded' | 'failed' | 'late' | 'missed';

/** A job's latest recorded tick (job_runs, written by jobs/scheduler.ts). */
export interface JobRun {
  job: string;
  scheduledAt: Date;
  instance: string;
  startedAt: Date;
  finishedAt: Date | null;
  status: JobRunStatus;
  attempts: number;
  error: string | null;
}

/** The latest tick of every job that has one, by scheduled time. */
export async function lastJobRuns(q: Queryable): Promise<JobRun[]> {
  const { rows } = await q.query<{
    job: string;
    scheduled_at: Date;
    instance: string;
    started_at: Date;
    finished_at: Date | null;
    status: JobRunStatus;
    attempts: number;
    error: string | null;
  }>(`SELECT DISTINCT ON (job) job, scheduled_at, instance, started_at, finished_at, status, attempts, error FROM job_runs ORDER BY job, scheduled_at DESC`);
  return rows.map((r) => ({
    job: r.job,
    scheduledAt: r.scheduled_at,
    instance: r.instance,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status,
    attempts: r.attempts,
    error: r.error,
  }));
}
