import cron, { type ScheduledTask } from 'node-cron';
import { GridcastError } from '../core/errors.ts';
import type { Db, Queryable } from '../store/db.ts';
import type { Log } from '../ingest/scada/log.ts';

export interface JobContext {
  /** The cron tick this run belongs to (whole second, same on every instance). */
  scheduledAt: Date;
  /** Aborted at the deadline: long-running service functions should stop there. */
  signal: AbortSignal;
}

export interface Job {
  name: string;
  cron: string;
  /** The one service function the job calls. */
  run(ctx: JobContext): Promise<unknown>;
  /** The run must be finished this long after its scheduled time (ms); retries stop there too. */
  deadlineMs: number;
  /** Further attempts after a failure, within the deadline (default 2). */
  retries?: number;
  retryDelayMs?: number;
}

export type TickOutcome = 'succeeded' | 'failed' | 'late' | 'skipped';

export interface Scheduler {
  start(): void;
  stop(): Promise<void>;
  /** Claims and runs one tick of a job (what the cron task calls). */
  runTick(jobName: string, scheduledAt: Date): Promise<TickOutcome>;
}

// Advisory locks of jobs use this first key; the second is a hash of the job name.
const JOB_LOCK_NAMESPACE = 7_351_002;

function lockKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

/**
 * Runs jobs on cron schedules with one runner per job across instances.
 *
 * On PostgreSQL a tick is claimed inside a transaction that first takes
 * pg_try_advisory_xact_lock(namespace, hash(job)) — so two instances never run the same job at
 * the same time — and then inserts the (job, tick) row of job_runs — so a tick an instance
 * already ran is not run again by one whose timer fired a little later. The transaction stays
 * open for the run and commits the outcome: if the runner dies, both the lock and the claim
 * vanish and the next instance may run the tick. PGlite is one process holding one
 * transaction at a time, so there the claim row plus an in-process guard give the same rule.
 */
export function createScheduler(opts: { db: Db; jobs: Job[]; log: Log; instance: string }): Scheduler {
  const { db, log } = opts;
  const jobs = new Map(opts.jobs.map((j) => [j.name, j]));
  if (jobs.size !== opts.jobs.length) throw new GridcastError('JOB_DUPLICATE', 'Two jobs have the same name; job names must be unique.');
  for (const j of opts.jobs) {
    if (!cron.validate(j.cron)) throw new GridcastError('CONFIG_INVALID', `Job ${j.name}: '${j.cron}' is not a valid cron expression.`, { job: j.name });
  }
  const running = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();
  let tasks: ScheduledTask[] = [];

  async function claim(q: Queryable, job: Job, scheduledAt: Date): Promise<boolean> {
    const r = await q.query(
      `INSERT INTO job_runs (job, scheduled_at, instance, status) VALUES ($1, $2, $3, 'running') ON CONFLICT DO NOTHING RETURNING job`,
      [job.name, scheduledAt, opts.instance],
    );
    return r.rows.length === 1;
  }

  async function execute(job: Job, scheduledAt: Date): Promise<{ status: Exclude<TickOutcome, 'skipped'>; attempts: number; error: string | null }> {
    const deadline = scheduledAt.getTime() + job.deadlineMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('deadline reached')), Math.max(0, deadline - Date.now()));
    const deadlineReached = new Promise<'late'>((resolve) => controller.signal.addEventListener('abort', () => resolve('late')));
    let attempts = 0;
    let error: string | null = null;
    try {
      for (;;) {
        attempts++;
        try {
          const outcome = await Promise.race([job.run({ scheduledAt, signal: controller.signal }).then(() => 'done' as const), deadlineReached]);
          if (outcome === 'late') return { status: 'late', attempts, error: `not finished ${job.deadlineMs} ms after ${scheduledAt.toISOString()}` };
          return { status: 'succeeded', attempts, error: null };
        } catch (e) {
          error = (e as Error).message;
          const retryAt = Date.now() + (job.retryDelayMs ?? 1000);
          log.error({ job: job.name, scheduledAt, attempt: attempts, err: error }, 'job run failed');
          if (attempts > (job.retries ?? 2) || retryAt >= deadline) return { status: 'failed', attempts, error };
          await new Promise((r) => setTimeout(r, job.retryDelayMs ?? 1000));
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  const record = (q: Queryable, job: Job, scheduledAt: Date, r: Awaited<ReturnType<typeof execute>>) =>
    q.query(`UPDATE job_runs SET status = $3, attempts = $4, error = $5, finished_at = now() WHERE job = $1 AND scheduled_at = $2`, [
      job.name, scheduledAt, r.status, r.attempts, r.error,
    ]);

  async function runTick(jobName: string, scheduledAt: Date): Promise<TickOutcome> {
    const job = jobs.get(jobName);
    if (!job) throw new GridcastError('JOB_UNKNOWN', `No job named ${jobName}.`);
    if (running.has(job.name)) return 'skipped';
    running.add(job.name);
    try {
      let outcome: TickOutcome;
      if (db.kind === 'pg') {
        outcome = await db.transaction(async (tx) => {
          const lock = await tx.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS got', [JOB_LOCK_NAMESPACE, lockKey(job.name)]);
          if (!lock.rows[0].got || !(await claim(tx, job, scheduledAt))) return 'skipped';
          const r = await execute(job, scheduledAt);
          await record(tx, job, scheduledAt, r);
          return r.status;
        });
      } else {
        if (!(await claim(db, job, scheduledAt))) return 'skipped';
        const r = await execute(job, scheduledAt);
        await record(db, job, scheduledAt, r);
        outcome = r.status;
      }
      if (outcome === 'late') log.error({ job: job.name, scheduledAt }, 'job missed its deadline');
      else if (outcome !== 'skipped') log.info({ job: job.name, scheduledAt, outcome, instance: opts.instance }, 'job run');
      return outcome;
    } finally {
      running.delete(job.name);
    }
  }

  return {
    runTick,
    start() {
      tasks = opts.jobs.map((job) =>
        cron.schedule(
          job.cron,
          (ctx) => {
            const tick = new Date(Math.floor(ctx.date.getTime() / 1000) * 1000);
            const p = runTick(job.name, tick).catch((e: Error) => log.error({ job: job.name, err: e.message }, 'job tick could not be claimed'));
            inFlight.add(p);
            void p.finally(() => inFlight.delete(p));
          },
          { name: job.name },
        ),
      );
    },
    async stop() {
      await Promise.all(tasks.map((t) => t.destroy()));
      tasks = [];
      await Promise.all(inFlight);
    },
  };
}
