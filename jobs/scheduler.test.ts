import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPg, type Db } from '../store/db.ts';
import { silentLog } from '../core/log.ts';
import { backends, freshDb } from '../test/db.ts';
import { createScheduler, type Job } from './scheduler.ts';
import { jobRunsRepository } from '../store/job-runs.repository.ts';

const runsOf = async (db: Db) =>
  (await db.query<{ job: string; status: string; attempts: number; error: string | null }>('SELECT job, status, attempts, error FROM job_runs ORDER BY job, scheduled_at')).rows;

describe.each(backends)('job scheduler (%s)', (kind) => {
  let db: Db;
  beforeEach(async () => {
    db = await freshDb(kind);
  });
  afterEach(() => db.close());

  it('runs a tick once, retries a failed run, and records failures and missed deadlines', async () => {
    let flakyCalls = 0;
    const jobs: Job[] = [
      { name: 'ok', cron: '* * * * *', deadlineMs: 5000, run: async () => {} },
      {
        name: 'flaky', cron: '* * * * *', deadlineMs: 5000, retryDelayMs: 10,
        run: async () => {
          if (++flakyCalls === 1) throw new Error('transient');
        },
      },
      { name: 'broken', cron: '* * * * *', deadlineMs: 5000, retries: 1, retryDelayMs: 10, run: () => Promise.reject(new Error('always')) },
      { name: 'slow', cron: '* * * * *', deadlineMs: 50, run: (ctx) => new Promise((r) => ctx.signal.addEventListener('abort', () => setTimeout(r, 10))) },
    ];
    const s = createScheduler({ runs: jobRunsRepository(db), jobs, log: silentLog, instance: 'a' });
    const tick = new Date();
    tick.setMilliseconds(0);
    expect(await s.runTick('ok', tick)).toBe('succeeded');
    expect(await s.runTick('ok', tick)).toBe('skipped');
    expect(await s.runTick('flaky', tick)).toBe('succeeded');
    expect(await s.runTick('broken', tick)).toBe('failed');
    expect(await s.runTick('slow', tick)).toBe('late');
    expect(await runsOf(db)).toEqual([
      { job: 'broken', status: 'failed', attempts: 2, error: 'always' },
      { job: 'flaky', status: 'succeeded', attempts: 2, error: null },
      { job: 'ok', status: 'succeeded', attempts: 1, error: null },
      { job: 'slow', status: 'late', attempts: 1, error: expect.stringMatching(/^not finished 50 ms after/) },
    ]);
  });
});

describe.runIf(backends.includes('pg'))('two instances on one PostgreSQL', () => {
  let a: Db;
  let b: Db;
  beforeEach(async () => {
    a = await freshDb('pg');
    // A second pool on the same schema plays the second gridcast instance.
    const schema = (await a.query<{ s: string }>('SELECT current_schema() AS s')).rows[0].s;
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    b = await openPg(url.toString(), 4);
  });
  afterEach(async () => {
    await b.close();
    await a.close();
  });

  it('runs each tick of a job on exactly one instance', async () => {
    const runs: Array<{ instance: string; tick: number }> = [];
    const job = (instance: string): Job => ({
      name: 'every-second', cron: '* * * * * *', deadlineMs: 900,
      run: async ({ scheduledAt }) => {
        runs.push({ instance, tick: scheduledAt.getTime() });
        await new Promise((r) => setTimeout(r, 100));
      },
    });
    const sa = createScheduler({ runs: jobRunsRepository(a), jobs: [job('a')], log: silentLog, instance: 'a' });
    const sb = createScheduler({ runs: jobRunsRepository(b), jobs: [job('b')], log: silentLog, instance: 'b' });
    await sa.start();
    await sb.start();
    await new Promise((r) => setTimeout(r, 4200));
    await sa.stop();
    await sb.stop();

    const ticks = runs.map((r) => r.tick);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ticks).size).toBe(ticks.length);
    const recorded = (await a.query<{ t: Date; instance: string }>(`SELECT scheduled_at AS t, instance FROM job_runs WHERE status <> 'missed' ORDER BY 1`)).rows;
    expect(recorded.map((r) => [r.t.getTime(), r.instance])).toEqual([...runs].sort((x, y) => x.tick - y.tick).map((r) => [r.tick, r.instance]));

    // Both instances really competed for the same ticks: a tick the other ran is refused.
    const tick = new Date(ticks[0]);
    expect(await sa.runTick('every-second', tick)).toBe('skipped');
    expect(await sb.runTick('every-second', tick)).toBe('skipped');
  });
});
