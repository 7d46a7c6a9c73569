import cron, { type ScheduledTask } from 'node-cron';
import { setTimeout as sleep } from 'node:timers/promises';
import { GridcastError, isConnectionLost } from '../core/errors.ts';
import { backoffDelay, type Backoff } from '../core/retry.ts';
import type { JobRunsRepository, RunOutcome, RunOutcomeStatus } from '../core/job-runs.ts';
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
  /**
   * Further attempts after a failure, within the deadline (default 2). A failure because the
   * store's connection was lost (PostgreSQL restarting) does not count: it is tried again after
   * STORE_BACKOFF's waits for as long as the deadline allows.
   */
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
  /** Told once, across instances, of the job's ticks recorded missed (no run before their deadline). */
  onMissed?(ticks: Array<{ scheduledAt: Date; deadline: Date }>): Promise<void>;
}

/** 'skipped': another run holds the job or the tick was claimed already. */
export type TickOutcome = RunOutcomeStatus | 'skipped';

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

class Stopping extends Error {}

/**
 * Waits before a run, or a claim of a tick, is tried again after the store's connection was lost:
 * 1 s doubling to 30 s, until the deadline (the attempt count is no limit: the deadline is).
 */
export const STORE_BACKOFF: Backoff = { attempts: Infinity, firstDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * Runs jobs on cron schedules with one runner per job across instances.
 *
 * A tick runs inside `runs.withClaim`: the claim (on PostgreSQL an advisory lock plus the
 * (job, tick) row, in a transaction kept open for the run — see store/job-runs.repository.ts)
 * holds for the whole run, so a dead runner frees the tick for another instance. Within one
 * instance a job never runs twice at once (an in-process guard).
 *
 * Ticks nobody ran (every instance down, or the job still busy with an earlier tick) are found
 * from the job's last recorded tick at start and at every tick: the latest is run late if its
 * deadline is still ahead ("catch-up"), the older ones are recorded once as 'missed'. A job with
 * no record at all is new: nothing before its first tick counts as missed.
 */
export function createScheduler(opts: {
  runs: JobRunsRepository;
  jobs: Job[];
  log: Log;
  instance: string;
  /** Zone of the cron expressions (config.timeZone): "09:00" is local time. */
  timeZone?: string;
  now?: () => Date;
  /** Waits after a lost store connection (default STORE_BACKOFF). */
  storeBackoff?: Backoff;
}): Scheduler {
  const { runs, log } = opts;
  const timeZone = opts.timeZone ?? 'UTC';
  const now = opts.now ?? (() => new Date());
  const storeBackoff = opts.storeBackoff ?? STORE_BACKOFF;
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
  const stopped = new AbortController();
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

  async function execute(job: Job, scheduledAt: Date): Promise<RunOutcome> {
    const deadline = new Date(scheduledAt.getTime() + job.deadlineMs);
    const controller = new AbortController();
    executing.add(controller);
    const timer = setTimeout(() => controller.abort(new Error('deadline reached')), Math.max(0, deadline.getTime() - now().getTime()));
    const aborted = new Promise<'late' | 'stopped'>((resolve) =>
      controller.signal.addEventListener('abort', () => resolve(controller.signal.reason instanceof Stopping ? 'stopped' : 'late'), { once: true }),
    );
    let attempts = 0;
    let failures = 0;
    let storeLosses = 0;
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
          const lost = isConnectionLost(e);
          const delay = lost ? backoffDelay(storeBackoff, ++storeLosses) : job.retryDelayMs ?? 1000;
          if (lost) log.warn({ job: job.name, scheduledAt, attempt: attempts, retryInSec: delay / 1000, err: error }, 'job run cut by a lost store connection; tried again once it is back');
          else log.error({ job: job.name, scheduledAt, attempt: attempts, err: error }, 'job run failed');
          if ((!lost && ++failures > (job.retries ?? 2)) || now().getTime() + delay >= deadline.getTime()) return { status: 'failed', attempts, error };
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

  /**
   * Claims the tick and executes it. A claim that fails because the store's connection was lost
   * (before the run started) is tried again after STORE_BACKOFF's waits while the deadline allows,
   * so a PostgreSQL restart at the tick delays the run rather than skipping it.
   */
  async function claimAndExecute(job: Job, scheduledAt: Date): Promise<RunOutcome | null> {
    const deadline = scheduledAt.getTime() + job.deadlineMs;
    for (let losses = 1; ; losses++) {
      let started = false;
      try {
        return await runs.withClaim(job.name, scheduledAt, opts.instance, () => {
          started = true;
          return execute(job, scheduledAt);
        });
      } catch (e) {
        const delay = backoffDelay(storeBackoff, losses);
        if (started || !isConnectionLost(e) || stopping || now().getTime() + delay >= deadline) throw e;
        log.warn({ job: job.name, scheduledAt, retryInSec: delay / 1000, err: (e as Error).message }, 'job tick not claimed: the store connection was lost; claiming again once it is back');
        await sleep(delay, undefined, { signal: stopped.signal }).catch(() => {});
        if (stopping) return { status: 'interrupted', attempts: 0, error: 'the instance stopped before the tick could be claimed' };
      }
    }
  }

  async function runTick(jobName: string, scheduledAt: Date): Promise<TickOutcome> {
    const job = jobNamed(jobName);
    if (stopping || running.has(job.name)) return 'skipped';
    running.add(job.name);
    try {
      const r = await claimAndExecute(job, scheduledAt);
      const outcome: TickOutcome = r ? r.status : 'skipped';
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
   * Returns them (newest first), the ticks looked at, and the job's last recorded tick (null: it never ran here).
   */
  async function recordMissed(job: Job, at: Date): Promise<{ missed: Date[]; ticks: Date[]; last: Date | null }> {
    const last = await runs.lastTick(job.name);
    const task = tasks.get(job.name)!;
    // Without history only the latest tick matters (it may be caught up).
    const ticks = ticksBack(job.cron, timeZone, (d) => task.match(d), at, { after: last, max: last === null ? 1 : MAX_MISSED });
    if (last === null) return { missed: [], ticks, last };
    const overdue = ticks.filter((t) => t.getTime() + job.deadlineMs <= at.getTime());
    if (overdue.length === 0) return { missed: [], ticks, last };
    const recorded = await runs.recordMissed(job.name, overdue, opts.instance, `no run within ${job.deadlineMs} ms of the tick`);
    const missed = recorded.sort((a, b) => b.getTime() - a.getTime());
    if (missed.length > 0 && job.onMissed) {
      await job.onMissed(missed.map((t) => ({ scheduledAt: t, deadline: new Date(t.getTime() + job.deadlineMs) }))).catch((e: Error) =>
        log.error({ job: job.name, err: e.message }, 'job missed ticks: the hook failed'),
      );
    }
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
  async function firstRuns(pending: Array<{ job: Job; tick: Date | null }>): Promise<void> {
    for (const { job, tick } of pending) {
      if (stopping) return;
      // Another instance may have run it meanwhile.
      if ((await runs.lastTick(job.name)) !== null) continue;
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
    } catch (e) {
      // With the store away the tick is still claimed once it is back (runTick); missed ticks are looked for at the next one.
      if (!isConnectionLost(e)) {
        log.error({ job: job.name, scheduledAt: tick, err: (e as Error).message }, 'job tick could not be claimed');
        return;
      }
    }
    try {
      await runTick(job.name, tick);
    } catch (e) {
      log.error({ job: job.name, scheduledAt: tick, err: (e as Error).message }, 'job tick could not be claimed');
    }
  }

  return {
    runTick,
    catchUp,
    async start() {
      // A claim left by a runner that died lets the tick be caught up or recorded as missed.
      await runs.releaseStaleClaims();
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
      stopped.abort();
      await Promise.all([...tasks.values()].map((t) => t.destroy()));
      for (const c of executing) c.abort(new Stopping());
      await Promise.all(inFlight);
    },
  };
}
