import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPg, type Db } from '../store/db.ts';
import { silentLog, type Log } from '../core/log.ts';
import { backends, freshDb } from '../test/db.ts';
import { createScheduler, type Job } from './scheduler.ts';
import { jobRunsRepository } from '../store/job-runs.repository.ts';

const rowsOf = async (db: Db, job: string) =>
  (
    await db.query<{ t: Date; status: string; instance: string }>('SELECT scheduled_at AS t, status, instance FROM job_runs WHERE job = $1 ORDER BY 1', [job])
  ).rows.map((r) => [r.t.toISOString(), r.status, r.instance]);

/** A second gridcast instance's handle on the same store: another pool on PostgreSQL, the same PGlite. */
async function sameStore(db: Db): Promise<{ db: Db; close(): Promise<void> }> {
  if (db.kind === 'pglite') return { db, close: async () => {} };
  const schema = (await db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0].s;
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const other = await openPg(url.toString(), 2);
  return { db: other, close: () => other.close() };
}

async function until(done: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !done(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > end) throw new Error('timed out waiting');
  }
}

function recordingLog(): Log & { lines: Array<{ level: string; msg?: string; obj: object }> } {
  const lines: Array<{ level: string; msg?: string; obj: object }> = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
    error: (obj, msg) => lines.push({ level: 'error', msg, obj }),
  };
}

describe.each(backends)('missed and caught-up ticks (%s)', (kind) => {
  // One store for the file: each test has its own job names.
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
  });
  afterAll(() => db.close());

  it('runs the latest unrun tick while its deadline is ahead, and records older unrun ticks once as missed', async () => {
    let clock = new Date('2026-01-12T10:12:00Z');
    const ran: string[] = [];
    const job: Job = {
      name: 'hourly', cron: '0 5 * * * *', deadlineMs: 15 * 60_000,
      run: async ({ scheduledAt, deadline }) => {
        ran.push(`${scheduledAt.toISOString()} by ${deadline.toISOString()}`);
      },
    };
    const log = recordingLog();
    const a = createScheduler({ runs: jobRunsRepository(db), jobs: [job], log, instance: 'a', timeZone: 'Europe/Paris', now: () => clock });

    // A new job: its latest tick is caught up, nothing before it counts as missed.
    expect(await a.catchUp('hourly')).toEqual({ missed: [], ran: { tick: new Date('2026-01-12T10:05:00Z'), outcome: 'succeeded' } });
    expect(ran).toEqual(['2026-01-12T10:05:00.000Z by 2026-01-12T10:20:00.000Z']);
    expect(log.lines.some((l) => l.level === 'info' && /caught up/.test(l.msg ?? ''))).toBe(true);

    // The tick ran: nothing to do until the next one.
    clock = new Date('2026-01-12T10:40:00Z');
    expect(await a.catchUp('hourly')).toEqual({ missed: [], ran: null });

    // Down for three hours: 11:05 and 12:05 are past their deadline, 13:05 is still on time.
    clock = new Date('2026-01-12T13:10:00Z');
    const after = await a.catchUp('hourly');
    expect(after.missed).toEqual([new Date('2026-01-12T12:05:00Z'), new Date('2026-01-12T11:05:00Z')]);
    expect(after.ran).toEqual({ tick: new Date('2026-01-12T13:05:00Z'), outcome: 'succeeded' });
    // Down while nothing ran: a warning, not an error.
    expect(log.lines.filter((l) => /missed/.test(l.msg ?? '')).map((l) => l.level)).toEqual(['warn']);
    expect(await rowsOf(db, 'hourly')).toEqual([
      ['2026-01-12T10:05:00.000Z', 'succeeded', 'a'],
      ['2026-01-12T11:05:00.000Z', 'missed', 'a'],
      ['2026-01-12T12:05:00.000Z', 'missed', 'a'],
      ['2026-01-12T13:05:00.000Z', 'succeeded', 'a'],
    ]);
    expect(ran).toHaveLength(2);

    // Two instances looking at the same outage record each missed tick once between them.
    const other = await sameStore(db);
    try {
      const b = createScheduler({ runs: jobRunsRepository(other.db), jobs: [job], log: silentLog, instance: 'b', timeZone: 'Europe/Paris', now: () => clock });
      clock = new Date('2026-01-12T16:30:00Z');
      const [fromA, fromB] = await Promise.all([a.catchUp('hourly'), b.catchUp('hourly')]);
      const all = [...fromA.missed, ...fromB.missed].map((d) => d.toISOString()).sort();
      expect(all).toEqual(['2026-01-12T14:05:00.000Z', '2026-01-12T15:05:00.000Z', '2026-01-12T16:05:00.000Z']);
      expect(await a.catchUp('hourly')).toEqual({ missed: [], ran: null });
      expect(ran).toHaveLength(2);
    } finally {
      await other.close();
    }
  });

  it('reads cron expressions in the configured zone', async () => {
    const ticks: string[] = [];
    // 09:30 in Paris in winter (UTC+1), then in summer (UTC+2).
    for (const [name, now] of [['morning-winter', '2026-01-12T08:30:00Z'], ['morning-summer', '2026-07-13T07:30:00Z']]) {
      const job: Job = { name, cron: '0 0 9 * * *', deadlineMs: 3_600_000, run: async ({ scheduledAt }) => void ticks.push(scheduledAt.toISOString()) };
      const s = createScheduler({ runs: jobRunsRepository(db), jobs: [job], log: silentLog, instance: 'a', timeZone: 'Europe/Paris', now: () => new Date(now) });
      await s.catchUp(name);
    }
    expect(ticks).toEqual(['2026-01-12T08:00:00.000Z', '2026-07-13T07:00:00.000Z']);
  });

  it('on start catches up and records the gap, then runs every tick once', async () => {
    const job: Job = { name: 'every-second', cron: '* * * * * *', deadlineMs: 800, run: async () => {} };
    // The job last ran ten seconds ago: the ticks since were missed while no instance was up.
    const start = Math.floor(Date.now() / 1000) * 1000;
    await db.query(`INSERT INTO job_runs (job, scheduled_at, instance, status, finished_at) VALUES ('every-second', $1, 'gone', 'succeeded', now())`, [new Date(start - 10_000)]);
    const s = createScheduler({ runs: jobRunsRepository(db), jobs: [job], log: silentLog, instance: 'a' });
    await s.start();
    await new Promise((r) => setTimeout(r, 2500));
    await s.stop();
    const rows = (await db.query<{ t: Date; status: string }>(`SELECT scheduled_at AS t, status FROM job_runs WHERE job = 'every-second' ORDER BY 1`)).rows;
    const times = rows.map((r) => r.t.getTime());
    // One row per second, no gap, from the last run before the start to the last tick fired.
    expect(times).toEqual(Array.from({ length: times.length }, (_, i) => start - 10_000 + i * 1000));
    expect(times.length).toBeGreaterThanOrEqual(12);
    const status = new Map(rows.map((r) => [r.t.getTime(), r.status]));
    for (let t = start - 9000; t <= start - 1000; t += 1000) expect(status.get(t), new Date(t).toISOString()).toBe('missed');
    // The ticks fired after the start ran (a tick fired past its deadline by a loaded machine is recorded missed).
    const ranSince = rows.filter((r) => r.t.getTime() >= start && r.status === 'succeeded');
    expect(ranSince.length, JSON.stringify(rows.map((r) => [r.t.getTime() - start, r.status]))).toBeGreaterThanOrEqual(2);
  });

  it('on an ordinary restart reports the ticks missed meanwhile as one warning with their count', async () => {
    const log = recordingLog();
    const jobs: Job[] = [
      { name: 'restart-minutely', cron: '0 * * * * *', deadlineMs: 50_000, run: async () => {} },
      { name: 'restart-hourly', cron: '0 5 * * * *', deadlineMs: 15 * 60_000, run: async () => {} },
    ];
    const clock = new Date('2026-01-12T13:10:30Z');
    // Both last ran at 10:05; the instance was stopped from then until 13:10:30.
    for (const j of jobs) {
      await db.query(`INSERT INTO job_runs (job, scheduled_at, instance, status, finished_at) VALUES ($1, '2026-01-12T10:05:00Z', 'gone', 'succeeded', now())`, [j.name]);
    }
    const s = createScheduler({ runs: jobRunsRepository(db), jobs, log, instance: 'a', now: () => clock });
    await s.start();
    await s.stop();
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
    const warnings = log.lines.filter((l) => l.level === 'warn');
    // 10:06 … 13:09 for the minutely job (184 ticks), 11:05 and 12:05 for the hourly one (13:10 and 13:05 are caught up).
    expect(warnings).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/missed/), obj: { missed: 186, since: new Date('2026-01-12T10:06:00Z'), jobs: { 'restart-minutely': 184, 'restart-hourly': 2 } } }),
    ]);
  });

  it('reports ticks a stalled instance missed as errors, and as warnings for a housekeeping job', async () => {
    const log = recordingLog();
    // The first run of each blocks the event loop, as the embedded store does on a long query:
    // the ticks of the next seconds cannot fire and pass their deadline unrun.
    const stallOnce = () => {
      let stalled = false;
      return async () => {
        if (stalled) return;
        stalled = true;
        for (const end = Date.now() + 2200; Date.now() < end; );
      };
    };
    const jobs: Job[] = [
      { name: 'stall-product', cron: '* * * * * *', deadlineMs: 500, run: stallOnce() },
      { name: 'stall-chore', cron: '* * * * * *', deadlineMs: 500, housekeeping: true, run: stallOnce() },
    ];
    const s = createScheduler({ runs: jobRunsRepository(db), jobs, log, instance: 'a' });
    await s.start();
    const missedOf = (job: string) => log.lines.filter((l) => (l.obj as { job?: string }).job === job && /missed/.test(l.msg ?? ''));
    await until(() => missedOf('stall-product').length > 0 && missedOf('stall-chore').length > 0, 40_000);
    await s.stop();
    expect(missedOf('stall-product').map((l) => l.level)).toContain('error');
    expect(missedOf('stall-chore').length).toBeGreaterThan(0);
    expect(missedOf('stall-chore').every((l) => l.level === 'warn')).toBe(true);
  });

  it('runs a first-start job at once on a store where it never ran, one after the other, and not again on a restart', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const jobs: Job[] = [
      // Yearly: its latest tick is long past, so a first start runs it now.
      { name: 'first-a', cron: '0 0 0 1 1 *', deadlineMs: 60_000, runOnFirstStart: true, run: async ({ scheduledAt }) => {
        order.push(`a ${scheduledAt.toISOString()}`, 'a waits');
        await gate;
      } },
      { name: 'first-b', cron: '0 0 0 1 1 *', deadlineMs: 60_000, runOnFirstStart: true, run: async () => void order.push('b') },
      { name: 'not-first', cron: '0 0 0 1 1 *', deadlineMs: 60_000, run: async () => void order.push('never') },
    ];
    const before = Math.floor(Date.now() / 1000) * 1000;
    const s = createScheduler({ runs: jobRunsRepository(db), jobs, log: silentLog, instance: 'a' });
    await s.start();
    await until(() => order.length >= 2);
    // b waits for a.
    expect(order.slice(1)).toEqual(['a waits']);
    release();
    await until(() => order.length >= 3);
    await s.stop();
    const at = Date.parse(order[0].slice(2));
    expect(at).toBeGreaterThanOrEqual(before);
    expect(order.slice(1)).toEqual(['a waits', 'b']);
    expect((await rowsOf(db, 'first-a')).map((r) => r[1])).toEqual(['succeeded']);

    // Restarted: both ran on this store, nothing runs before its tick.
    const again = createScheduler({ runs: jobRunsRepository(db), jobs, log: silentLog, instance: 'a' });
    await again.start();
    await again.stop();
    expect(order).toHaveLength(3);
    expect(s.nextTicks()).toEqual(jobs.map((j) => ({ job: j.name, at: null })));
  });

  it('withdraws the claim of a run the shutdown interrupts, so the tick can be caught up', async () => {
    const tick = new Date(Math.floor(Date.now() / 1000) * 1000);
    let calls = 0;
    const job: Job = {
      name: 'long', cron: '0 0 0 1 1 *', deadlineMs: 3_600_000,
      run: ({ signal }) => {
        calls++;
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      },
    };
    const a = createScheduler({ runs: jobRunsRepository(db), jobs: [job], log: silentLog, instance: 'a' });
    const outcome = a.runTick('long', tick);
    await new Promise((r) => setTimeout(r, 200));
    await a.stop();
    expect(await outcome).toBe('interrupted');
    expect(await rowsOf(db, 'long')).toEqual([]);

    const finishing: Job = { ...job, run: async () => void calls++ };
    const b = createScheduler({ runs: jobRunsRepository(db), jobs: [finishing], log: silentLog, instance: 'b', now: () => new Date(tick.getTime() + 60_000) });
    expect(await b.runTick('long', tick)).toBe('succeeded');
    expect(calls).toBe(2);
    expect(await rowsOf(db, 'long')).toEqual([[tick.toISOString(), 'succeeded', 'b']]);
  });
});
