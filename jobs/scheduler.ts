import cron, { type ScheduledTask } from 'node-cron';
import { GridcastError } from '../core/errors.ts';
import type { Db, Queryable } from '../store/db.ts';
import { ADVISORY_LOCK } from '../store/locks.ts';
import type { Log } from '../core/log.ts';
import { cronProblem, localTick, ticksBack } from './ticks.ts';

export interface JobContext {
  /** The cron tick this run belongs to (whole second, same on every instance). */
  scheduledAt: Date;
  /** scheduledAt + the job's deadline. */
  deadline: Date;
  /** Aborted at the deadline or when the instance stops: long-running service functions should stop there. */
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
  /**
   * Run once as soon as the scheduler starts on a store where this job never ran, instead of
   * waiting for its first tick (a new installation shows the job's output at once). Such first
   * runs go one after the other, in the order of the jobs.
   */
  runOnFirstStart?: boolean;
  /**
   * The job keeps the store tidy and its next tick redoes what a missed one would have done
   * (flushes, derived series, screens): a late or missed tick is a warning. Ticks of jobs whose
   * output someone waits for (forecasts, polls) are errors.
   */
  housekeeping?: boolean;
}

/** 'interrupted': the instance stopped during the run; the claim is withdrawn so the tick can be caught up. */
export type TickOutcome = 'succeeded' | 'failed' | 'late' | 'skipped' | 'interrupted';

export interface CatchUp {
  /** Ticks recorded as missed now (newest first). */
  missed: Date[];
  /** The latest tick, run now because no instance had run it and its deadline is still ahead. */
  ran: { tick: Date; outcome: TickOutcome } | null;
}

export interface Scheduler {
  /**
   * Records the ticks missed while no instance ran (one warning with the count), starts the
   * catch-up and first-start runs in the background, then fires the cron ticks.
   */
  start(): Promise<void>;
  /** The next tick of each job (null once stopped). */
  nextTicks(): Array<{ job: string; at: Date | null }>;
  /** Stops the ticks, aborts running jobs and waits for them to wind down. */
  stop(): Promise<void>;
  /** Claims and runs one tick of a job. */
  runTick(jobName: string, scheduledAt: Date): Promise<TickOutcome>;
  /** Records the job's ticks that passed their deadline unrun, and runs its latest tick if nobody has and there is still time. */
  catchUp(jobName: string): Promise<CatchUp>;
}

// At most this many unrun ticks of one job are recorded as missed at once (a long outage of a
// frequent job would otherwise write thousands of rows).
const MAX_MISSED = 1000;
// On stop, a running job gets this long after its signal is aborted to wind down (the whole
// shutdown of `gridcast start` must stay under 5 s).
const STOP_GRACE_MS = 2000;

/** Second key of a job's advisory lock (FNV-1a of its name). */
export function jobLockKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

class Stopping extends Error {}

/**
 * Runs jobs on cron schedules with one runner per job across instances.
 *
 * On PostgreSQL a tick is claimed inside a transaction that first takes
 * pg_try_advisory_xact_lock(namespace, hash(job)) — so two instances never run the same job at
 * the same time — and then inserts the (job, tick) row of job_runs — so a tick an instance
 * already ran is not run again by one whose timer fired a little later. The transaction stays
 * open for the run and commits the outcome: if the runner dies, both the lock and the claim
 * vanish and another instance may catch the tick up. PGlite is one process holding one
 * transaction at a time, so there the claim row plus an in-process guard give the same rule.
 *
 * Ticks nobody ran (every instance down, or the job still busy with an earlier tick) are found
 * from job_runs at start and at every tick: the latest is run late if its deadline is still
 * ahead ("catch-up"), the older ones are recorded once as 'missed'. A job with no row at all is
 * new: nothing before its first tick counts as missed.
 */
export function createScheduler(opts: {
  db: Db;
  jobs: Job[];
  log: Log;
  instance: string;
  /** Zone of the cron expressions (config.timeZone): "09:00" is local time. */
  timeZone?: string;
  now?: () => Date;
}): Scheduler {
  const { db, log } = opts;
  const timeZone = opts.timeZone ?? 'UTC';
  const now = opts.now ?? (() => new Date());
  const jobs = new Map(opts.jobs.map((j) => [j.name, j]));
  if (jobs.size !== opts.jobs.length) throw new GridcastError('JOB_DUPLICATE', 'Two jobs have the same name; job names must be unique.');
  for (const j of opts.jobs) {
    const problem = cronProblem(j.cron, timeZone);
    if (problem) throw new GridcastError('CONFIG_INVALID', `Job ${j.name}: '${j.cron}' is not a valid cron expression: ${problem}.`, { job: j.name });
  }
  const running = new Set<string>();
  const executing = new Set<AbortController>();
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;
  // Created stopped: their matchers tell which instants node-cron fires at before start().
  const tasks = new Map<string, ScheduledTask>(
    opts.jobs.map((job) => [
      job.name,
      cron.createTask(job.cron, (ctx) => track(onTick(job, new Date(Math.floor(ctx.date.getTime() / 1000) * 1000))), {
        name: job.name, timezone: timeZone, suppressMissedWarning: true,
      }),
    ]),
  );

  /** The job's next tick; null before start() and after stop(). */
  const nextOf = (job: Job) => (stopping ? null : tasks.get(job.name)!.getNextRun());

  function track(p: Promise<unknown>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  function jobNamed(name: string): Job {
    const job = jobs.get(name);
    if (!job) throw new GridcastError('JOB_UNKNOWN', `No job named ${name}.`);
    return job;
  }

  async function claim(q: Queryable, job: Job, scheduledAt: Date): Promise<boolean> {
    const r = await q.query(
      `INSERT INTO job_runs (job, scheduled_at, instance, status) VALUES ($1, $2, $3, 'running') ON CONFLICT DO NOTHING RETURNING job`,
      [job.name, scheduledAt, opts.instance],
    );
    return r.rows.length === 1;
  }

  type Execution = { status: Exclude<TickOutcome, 'skipped'>; attempts: number; error: string | null };

  async function execute(job: Job, scheduledAt: Date): Promise<Execution> {
    const deadline = new Date(scheduledAt.getTime() + job.deadlineMs);
    const controller = new AbortController();
    executing.add(controller);
    const timer = setTimeout(() => controller.abort(new Error('deadline reached')), Math.max(0, deadline.getTime() - now().getTime()));
    const aborted = new Promise<'late' | 'stopped'>((resolve) =>
      controller.signal.addEventListener('abort', () => resolve(controller.signal.reason instanceof Stopping ? 'stopped' : 'late'), { once: true }),
    );
    let attempts = 0;
    let error: string | null = null;
    try {
      for (;;) {
        attempts++;
        const run = job.run({ scheduledAt, deadline, signal: controller.signal });
        try {
          const outcome = await Promise.race([run.then(() => 'done' as const), aborted]);
          if (outcome === 'stopped') {
            // A run that still completes is kept: withdrawing it would have the tick run twice.
            const settled = await Promise.race([run.then(() => 'done' as const, () => 'failed' as const), new Promise<'gone'>((r) => setTimeout(() => r('gone'), STOP_GRACE_MS))]);
            if (settled === 'done') return { status: now().getTime() > deadline.getTime() ? 'late' : 'succeeded', attempts, error: null };
            return { status: 'interrupted', attempts, error: 'the instance stopped during the run' };
          }
          if (outcome === 'late') return { status: 'late', attempts, error: `not finished ${job.deadlineMs} ms after ${scheduledAt.toISOString()}` };
          return { status: 'succeeded', attempts, error: null };
        } catch (e) {
          error = (e as Error).message;
          const delay = job.retryDelayMs ?? 1000;
          log.error({ job: job.name, scheduledAt, attempt: attempts, err: error }, 'job run failed');
          if (attempts > (job.retries ?? 2) || now().getTime() + delay >= deadline.getTime()) return { status: 'failed', attempts, error };
          const waited = await Promise.race([new Promise<'retry'>((r) => setTimeout(() => r('retry'), delay)), aborted]);
          if (waited === 'stopped') return { status: 'interrupted', attempts, error: 'the instance stopped before a retry' };
          if (waited === 'late') return { status: 'failed', attempts, error };
        }
      }
    } finally {
      clearTimeout(timer);
      executing.delete(controller);
    }
  }

  const record = (q: Queryable, job: Job, scheduledAt: Date, r: Execution) =>
    q.query(`UPDATE job_runs SET status = $3, attempts = $4, error = $5, finished_at = now() WHERE job = $1 AND scheduled_at = $2`, [
      job.name, scheduledAt, r.status, r.attempts, r.error,
    ]);

  async function runTick(jobName: string, scheduledAt: Date): Promise<TickOutcome> {
    const job = jobNamed(jobName);
    if (stopping || running.has(job.name)) return 'skipped';
    running.add(job.name);
    try {
      let outcome: TickOutcome;
      if (db.kind === 'pg') {
        outcome = await db
          .transaction(async (tx) => {
            const lock = await tx.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS got', [ADVISORY_LOCK.jobs, jobLockKey(job.name)]);
            if (!lock.rows[0].got || !(await claim(tx, job, scheduledAt))) return 'skipped';
            const r = await execute(job, scheduledAt);
            // Rolling back withdraws the claim: the tick is free for a catch-up.
            if (r.status === 'interrupted') throw new Stopping();
            await record(tx, job, scheduledAt, r);
            return r.status;
          })
          .catch((e: unknown) => {
            if (e instanceof Stopping) return 'interrupted' as const;
            throw e;
          });
      } else {
        if (!(await claim(db, job, scheduledAt))) return 'skipped';
        const r = await execute(job, scheduledAt);
        if (r.status === 'interrupted') await db.query('DELETE FROM job_runs WHERE job = $1 AND scheduled_at = $2', [job.name, scheduledAt]);
        else await record(db, job, scheduledAt, r);
        outcome = r.status;
      }
      if (outcome === 'late') overdueLog(job, { job: job.name, scheduledAt, deadlineMs: job.deadlineMs }, 'job run late: not finished by its deadline');
      else if (outcome === 'interrupted') log.warn({ job: job.name, scheduledAt }, 'job run interrupted by the shutdown; the tick can be caught up');
      else if (outcome !== 'skipped') {
        const next = nextOf(job);
        log.info({ job: job.name, scheduledAt, outcome, instance: opts.instance, ...(next ? { next: localTick(next, timeZone) } : {}) }, 'job run');
      }
      return outcome;
    } finally {
      running.delete(job.name);
    }
  }

  /**
   * Records, once across instances, the ticks in (last row, at] whose deadline passed unrun.
   * Returns them (newest first), the ticks looked at, and the job's last tick in job_runs (null: it never ran here).
   */
  async function recordMissed(job: Job, at: Date): Promise<{ missed: Date[]; ticks: Date[]; last: Date | null }> {
    const last = (await db.query<{ t: Date | null }>('SELECT max(scheduled_at) AS t FROM job_runs WHERE job = $1', [job.name])).rows[0].t;
    const task = tasks.get(job.name)!;
    // Without history only the latest tick matters (it may be caught up).
    const ticks = ticksBack(job.cron, timeZone, (d) => task.match(d), at, { after: last, max: last === null ? 1 : MAX_MISSED });
    if (last === null) return { missed: [], ticks, last };
    const overdue = ticks.filter((t) => t.getTime() + job.deadlineMs <= at.getTime());
    if (overdue.length === 0) return { missed: [], ticks, last };
    const r = await db.query<{ scheduled_at: Date }>(
      `INSERT INTO job_runs (job, scheduled_at, instance, status, finished_at, error)
       SELECT $1, t, $3, 'missed', now(), $4 FROM unnest($2::timestamptz[]) AS t
       ON CONFLICT DO NOTHING RETURNING scheduled_at`,
      [job.name, overdue, opts.instance, `no run within ${job.deadlineMs} ms of the tick`],
    );
    const missed = r.rows.map((x) => x.scheduled_at).sort((a, b) => b.getTime() - a.getTime());
    return { missed, ticks, last };
  }

  /** How loud a late or missed tick of a running instance is. */
  const overdueLog = (job: Job, obj: object, msg: string) => (job.housekeeping ? log.warn(obj, msg) : log.error(obj, msg));

  const missedFields = (job: Job, missed: Date[], ticks: Date[]) => ({
    job: job.name, missed: missed.length, latest: missed[0], oldest: missed[missed.length - 1], capped: ticks.length === MAX_MISSED,
  });

  /** The latest tick if it still has time before its deadline: no instance ran it, this one may. */
  const catchable = (job: Job, ticks: Date[], at: Date) => {
    const latest = ticks[0];
    return latest && latest.getTime() + job.deadlineMs > at.getTime() ? latest : null;
  };

  async function runCaughtUp(job: Job, tick: Date): Promise<TickOutcome> {
    const outcome = await runTick(job.name, tick);
    if (outcome !== 'skipped') log.info({ job: job.name, scheduledAt: tick, outcome }, 'job tick caught up: no instance had run it');
    return outcome;
  }

  async function catchUp(jobName: string): Promise<CatchUp> {
    const job = jobNamed(jobName);
    const at = now();
    const { missed, ticks } = await recordMissed(job, at);
    if (missed.length > 0) log.warn(missedFields(job, missed, ticks), 'job ticks missed while no instance ran: recorded as missed');
    const latest = catchable(job, ticks, at);
    if (!latest) return { missed, ran: null };
    return { missed, ran: { tick: latest, outcome: await runCaughtUp(job, latest) } };
  }

  /** First-start runs, one after the other: the latest tick if it can still be caught up, else a tick now. */
  async function firstRuns(runs: Array<{ job: Job; tick: Date | null }>): Promise<void> {
    for (const { job, tick } of runs) {
      if (stopping) return;
      // Another instance may have run it meanwhile.
      if ((await db.query('SELECT 1 FROM job_runs WHERE job = $1 LIMIT 1', [job.name])).rows.length > 0) continue;
      if (tick) {
        await runCaughtUp(job, tick);
        continue;
      }
      const at = new Date(Math.floor(now().getTime() / 1000) * 1000);
      log.info({ job: job.name, scheduledAt: at }, 'first start: running the job now rather than at its first tick');
      await runTick(job.name, at);
    }
  }

  async function onTick(job: Job, tick: Date): Promise<void> {
    try {
      // This instance was up: a tick gone past its deadline unrun means the job overran or the machine stalled.
      const { missed, ticks } = await recordMissed(job, now());
      if (missed.length > 0) overdueLog(job, missedFields(job, missed, ticks), 'job ticks missed: no run before their deadline');
      await runTick(job.name, tick);
    } catch (e) {
      log.error({ job: job.name, scheduledAt: tick, err: (e as Error).message }, 'job tick could not be claimed');
    }
  }

  return {
    runTick,
    catchUp,
    async start() {
      if (db.kind === 'pglite') {
        // One process owns a PGlite store: a 'running' row is a run this instance never finished
        // before it died. Dropping it lets the tick be caught up or recorded as missed.
        await db.query(`DELETE FROM job_runs WHERE status = 'running'`);
      }
      // Ticks that passed while no instance ran are recorded first, before any tick fires.
      const at = now();
      const looked = [];
      for (const job of opts.jobs) looked.push({ job, ...(await recordMissed(job, at)) });
      const missed = looked.filter((l) => l.missed.length > 0);
      if (missed.length > 0) {
        const oldest = new Date(Math.min(...missed.map((l) => l.missed[l.missed.length - 1].getTime())));
        log.warn(
          { missed: missed.reduce((n, l) => n + l.missed.length, 0), since: oldest, jobs: Object.fromEntries(missed.map((l) => [l.job.name, l.missed.length])) },
          'job ticks passed while no gridcast instance ran: recorded as missed',
        );
      }
      const first: Array<{ job: Job; tick: Date | null }> = [];
      for (const { job, ticks, last } of looked) {
        const tick = catchable(job, ticks, at);
        if (job.runOnFirstStart && last === null) first.push({ job, tick });
        else if (tick) track(runCaughtUp(job, tick).catch((e: Error) => log.error({ job: job.name, err: e.message }, 'job catch-up failed')));
      }
      if (first.length > 0) track(firstRuns(first).catch((e: Error) => log.error({ err: e.message }, 'first-start runs failed')));
      for (const job of opts.jobs) await tasks.get(job.name)!.start();
    },
    nextTicks() {
      return opts.jobs.map((job) => ({ job: job.name, at: nextOf(job) }));
    },
    async stop() {
      stopping = true;
      await Promise.all([...tasks.values()].map((t) => t.destroy()));
      for (const c of executing) c.abort(new Stopping());
      await Promise.all(inFlight);
    },
  };
}
