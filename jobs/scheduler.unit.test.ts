import { describe, expect, it } from 'vitest';
import { GridcastError } from '../core/errors.ts';
import { silentLog } from '../core/log.ts';
import { fakeJobRuns } from '../test/fakes/job-runs.ts';
import { createScheduler, type Job } from './scheduler.ts';

// The scheduler's rules against an in-memory job_runs: no database, no waiting on real ticks.

const hourly = (run: Job['run'], extra: Partial<Job> = {}): Job => ({ name: 'hourly', cron: '0 5 * * * *', deadlineMs: 15 * 60_000, run, ...extra });
// Never fires during a test: only catch-up, first-start runs and runTick run it.
const yearly = (name: string, run: Job['run'], extra: Partial<Job> = {}): Job => ({ name, cron: '0 0 0 1 1 *', deadlineMs: 60_000, run, ...extra });

async function until(done: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !done(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > end) throw new Error('timed out waiting');
  }
}

const statuses = (runs: ReturnType<typeof fakeJobRuns>, job: string) =>
  [...runs.rows.values()].filter((r) => r.job === job).sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime()).map((r) => [r.scheduledAt.toISOString(), r.status]);

describe('scheduler rules (in-memory job runs)', () => {
  it('catches up the latest tick within its deadline; older unrun ticks are recorded missed once', async () => {
    const runs = fakeJobRuns();
    let clock = new Date('2026-01-12T10:12:00Z');
    const ran: string[] = [];
    const s = createScheduler({ runs, jobs: [hourly(async ({ scheduledAt }) => void ran.push(scheduledAt.toISOString()))], log: silentLog, instance: 'a', now: () => clock });

    // New job: nothing before its first tick counts as missed.
    expect(await s.catchUp('hourly')).toEqual({ missed: [], ran: { tick: new Date('2026-01-12T10:05:00Z'), outcome: 'succeeded' } });
    clock = new Date('2026-01-12T13:10:00Z');
    const after = await s.catchUp('hourly');
    expect(after.missed).toEqual([new Date('2026-01-12T12:05:00Z'), new Date('2026-01-12T11:05:00Z')]);
    expect(after.ran).toEqual({ tick: new Date('2026-01-12T13:05:00Z'), outcome: 'succeeded' });
    // Looking again records nothing twice and runs nothing twice.
    expect(await s.catchUp('hourly')).toEqual({ missed: [], ran: null });
    expect(ran).toEqual(['2026-01-12T10:05:00.000Z', '2026-01-12T13:05:00.000Z']);
    expect(statuses(runs, 'hourly')).toEqual([
      ['2026-01-12T10:05:00.000Z', 'succeeded'],
      ['2026-01-12T11:05:00.000Z', 'missed'],
      ['2026-01-12T12:05:00.000Z', 'missed'],
      ['2026-01-12T13:05:00.000Z', 'succeeded'],
    ]);
  });

  it('a tick past its deadline is recorded missed, not run', async () => {
    const runs = fakeJobRuns();
    await runs.recordMissed('hourly', [new Date('2026-01-12T09:05:00Z')], 'gone', 'x');
    let ran = 0;
    const s = createScheduler({ runs, jobs: [hourly(async () => void ran++)], log: silentLog, instance: 'a', now: () => new Date('2026-01-12T10:30:00Z') });
    expect(await s.catchUp('hourly')).toEqual({ missed: [new Date('2026-01-12T10:05:00Z')], ran: null });
    expect(ran).toBe(0);
  });

  it('two instances on one ledger record each missed tick once and run a tick once', async () => {
    const runs = fakeJobRuns();
    await runs.recordMissed('hourly', [new Date('2026-01-12T09:05:00Z')], 'gone', 'x');
    const clock = () => new Date('2026-01-12T13:10:00Z');
    let ran = 0;
    const job = hourly(async () => void (ran++, await new Promise((r) => setTimeout(r, 10))));
    const a = createScheduler({ runs, jobs: [job], log: silentLog, instance: 'a', now: clock });
    const b = createScheduler({ runs, jobs: [job], log: silentLog, instance: 'b', now: clock });
    const [fa, fb] = await Promise.all([a.catchUp('hourly'), b.catchUp('hourly')]);
    expect([...fa.missed, ...fb.missed].map((d) => d.toISOString()).sort()).toEqual([
      '2026-01-12T10:05:00.000Z', '2026-01-12T11:05:00.000Z', '2026-01-12T12:05:00.000Z',
    ]);
    expect([fa.ran?.outcome, fb.ran?.outcome].sort()).toEqual(['skipped', 'succeeded']);
    expect(ran).toBe(1);
  });

  it('retries a failing run within its deadline and records the attempts', async () => {
    const runs = fakeJobRuns();
    let calls = 0;
    const flaky = yearly('flaky', async () => {
      if (++calls < 3) throw new Error(`boom ${calls}`);
    }, { retryDelayMs: 1 });
    const broken = yearly('broken', async () => {
      throw new Error('always');
    }, { retryDelayMs: 1, retries: 1 });
    const s = createScheduler({ runs, jobs: [flaky, broken], log: silentLog, instance: 'a' });
    const tick = new Date(Math.floor(Date.now() / 1000) * 1000);
    expect(await s.runTick('flaky', tick)).toBe('succeeded');
    expect(await s.runTick('broken', tick)).toBe('failed');
    expect(await runs.lastRuns()).toMatchObject([
      { job: 'broken', status: 'failed', attempts: 2, error: 'always' },
      { job: 'flaky', status: 'succeeded', attempts: 3, error: null },
    ]);
    // A claimed tick is not run again.
    expect(await s.runTick('flaky', tick)).toBe('skipped');
    expect(calls).toBe(3);
  });

  it('a run still going at its deadline is late, and its signal is aborted', async () => {
    const runs = fakeJobRuns();
    let aborted = false;
    const slow = yearly('slow', ({ signal }) => new Promise<void>((r) => signal.addEventListener('abort', () => ((aborted = true), setTimeout(r, 5)))), { deadlineMs: 30 });
    const s = createScheduler({ runs, jobs: [slow], log: silentLog, instance: 'a' });
    expect(await s.runTick('slow', new Date())).toBe('late');
    expect(aborted).toBe(true);
    expect((await runs.lastRuns())[0]).toMatchObject({ status: 'late', error: expect.stringMatching(/not finished 30 ms after/) });
  });

  it('a run interrupted by stop withdraws its claim, so the tick can be caught up', async () => {
    const runs = fakeJobRuns();
    const stuck = yearly('stuck', () => new Promise<void>(() => {}));
    const s = createScheduler({ runs, jobs: [stuck], log: silentLog, instance: 'a' });
    const tick = new Date(Math.floor(Date.now() / 1000) * 1000);
    const outcome = s.runTick('stuck', tick);
    await until(() => runs.rows.size === 1);
    await s.stop();
    expect(await outcome).toBe('interrupted');
    expect(runs.rows.size).toBe(0);
  }, 10_000);

  it('on a first start runs the jobs that never ran, one after the other, and not those that did', async () => {
    const runs = fakeJobRuns();
    await runs.recordMissed('ran-before', [new Date('2020-01-01T00:00:00Z')], 'gone', 'x');
    const order: string[] = [];
    let active = 0;
    const track = (name: string) => async () => {
      expect(active).toBe(0);
      active++;
      order.push(name);
      await new Promise((r) => setTimeout(r, 5));
      active--;
    };
    const jobs = [
      yearly('first', track('first'), { runOnFirstStart: true }),
      yearly('second', track('second'), { runOnFirstStart: true }),
      yearly('ran-before', track('ran-before'), { runOnFirstStart: true }),
      yearly('not-asked', track('not-asked')),
    ];
    const s = createScheduler({ runs, jobs, log: silentLog, instance: 'a' });
    await s.start();
    await until(() => order.length === 2);
    await s.stop();
    expect(order).toEqual(['first', 'second']);
    expect((await runs.lastRuns()).map((r) => [r.job, r.status])).toEqual([
      ['first', 'succeeded'], ['ran-before', 'missed'], ['second', 'succeeded'],
    ]);
  });

  it('drops stale claims at start', async () => {
    const runs = fakeJobRuns();
    runs.rows.set('x', { job: 'dead', scheduledAt: new Date('2026-01-01T00:00:00Z'), instance: 'gone', status: 'running', attempts: 0, startedAt: new Date(), finishedAt: null, error: null });
    const s = createScheduler({ runs, jobs: [yearly('other', async () => {})], log: silentLog, instance: 'a' });
    await s.start();
    await s.stop();
    expect(runs.rows.size).toBe(0);
  });

  it('a run cut by a lost store connection is tried again after the backoff, beyond its retries, until its deadline', async () => {
    const runs = fakeJobRuns();
    const lost = () => new GridcastError('DB_CONNECTION_LOST', 'The connection to PostgreSQL was lost');
    let calls = 0;
    const storeBackoff = { attempts: Infinity, firstDelayMs: 1, maxDelayMs: 2 };
    // No retries for an ordinary failure: yet three lost connections in a row do not end the run.
    const job = yearly('stored', async () => {
      if (++calls <= 3) throw lost();
    }, { retries: 0, retryDelayMs: 60_000 });
    const s = createScheduler({ runs, jobs: [job], log: silentLog, instance: 'a', storeBackoff });
    const tick = new Date();
    expect(await s.runTick('stored', tick)).toBe('succeeded');
    expect([...runs.rows.values()].map((r) => [r.status, r.attempts])).toEqual([['succeeded', 4]]);

    // An ordinary failure after a lost connection still ends it (retries 0), and a wait that would pass the deadline is not made.
    let other = 0;
    const failing = yearly('failing', async () => {
      throw ++other === 1 ? lost() : new Error('bad input');
    }, { retries: 0 });
    const late = yearly('late', () => Promise.reject(lost()), { deadlineMs: 50 });
    const t = createScheduler({ runs, jobs: [failing, late], log: silentLog, instance: 'a', storeBackoff: { attempts: Infinity, firstDelayMs: 100, maxDelayMs: 100 } });
    expect(await t.runTick('failing', tick)).toBe('failed');
    expect(other).toBe(2);
    expect(await t.runTick('late', tick)).toBe('failed');
  });

  it('a claim refused by a lost store connection is tried again while the deadline allows', async () => {
    const runs = fakeJobRuns();
    let refusals = 2;
    const claim = runs.withClaim.bind(runs);
    runs.withClaim = (job, tick, instance, fn) => (refusals-- > 0 ? Promise.reject(new GridcastError('DB_CONNECTION_LOST', 'refused')) : claim(job, tick, instance, fn));
    let ran = 0;
    const s = createScheduler({ runs, jobs: [yearly('claimed', async () => void ran++)], log: silentLog, instance: 'a', storeBackoff: { attempts: Infinity, firstDelayMs: 1, maxDelayMs: 1 } });
    expect(await s.runTick('claimed', new Date())).toBe('succeeded');
    expect(ran).toBe(1);
    // Any other failure to claim is not retried.
    runs.withClaim = () => Promise.reject(new Error('syntax error'));
    await expect(s.runTick('claimed', new Date(Date.now() + 1000))).rejects.toThrow('syntax error');
  });

  it('a cron tick that finds the store away is still run once it is back', async () => {
    const runs = fakeJobRuns();
    const lost = () => Promise.reject(new GridcastError('DB_CONNECTION_LOST', 'refused'));
    const lastTick = runs.lastTick.bind(runs);
    const claim = runs.withClaim.bind(runs);
    let away = false;
    let refusedAt: Date | null = null;
    // Away from the first tick that asks, for 300 ms.
    runs.lastTick = (job) => {
      if (!away) return lastTick(job);
      if (!refusedAt) {
        refusedAt = new Date();
        setTimeout(() => (away = false), 300);
      }
      return lost();
    };
    runs.withClaim = (job, tick, instance, fn) => (away ? lost() : claim(job, tick, instance, fn));
    const ran: Date[] = [];
    const s = createScheduler({
      runs, jobs: [{ name: 'each-second', cron: '* * * * * *', deadlineMs: 5000, run: async ({ scheduledAt }) => void ran.push(scheduledAt) }], log: silentLog, instance: 'a',
      storeBackoff: { attempts: Infinity, firstDelayMs: 20, maxDelayMs: 20 },
    });
    await s.start();
    // The start catches the current second up; then the store goes away.
    await until(() => ran.length > 0);
    away = true;
    // The tick that found the store away is run (not only the next one).
    const refusedTick = () => (refusedAt ? new Date(Math.floor(refusedAt.getTime() / 1000) * 1000) : null);
    await until(() => ran.some((t) => t.getTime() === refusedTick()?.getTime()));
    await s.stop();
    expect(statuses(runs, 'each-second').find(([t]) => t === refusedTick()!.toISOString())).toEqual([refusedTick()!.toISOString(), 'succeeded']);
  });
});
