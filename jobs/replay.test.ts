import { describe, expect, it } from 'vitest';
import { GridcastError } from '../core/errors.ts';
import { replayClock, replayJobs, replayTicks } from './replay.ts';
import type { Job } from './scheduler.ts';

const job = (name: string, cron: string, run: Job['run'] = async () => {}): Job => ({ name, cron, run, deadlineMs: 3_600_000 });

describe('replay of scheduled jobs', () => {
  it('lists the ticks of every job in [from, to) in time order, in local time across a DST change', () => {
    const jobs = [job('forecast-day-ahead', '0 0 9 * * *'), job('score', '0 0 * * * *')];
    // Paris: 2025-03-30 has 23 hours; 09:00 local is 08:00Z before and 07:00Z after the change.
    const ticks = replayTicks(jobs, new Date('2025-03-29T08:00:00Z'), new Date('2025-03-31T08:00:00Z'), 'Europe/Paris');
    const daily = ticks.filter((t) => t.job.name === 'forecast-day-ahead').map((t) => t.at.toISOString());
    expect(daily).toEqual(['2025-03-29T08:00:00.000Z', '2025-03-30T07:00:00.000Z', '2025-03-31T07:00:00.000Z']);
    expect(ticks.filter((t) => t.job.name === 'score')).toHaveLength(48);
    // Ties in the order of the jobs: the run before the scoring of the same instant.
    const at0800 = ticks.filter((t) => t.at.toISOString() === '2025-03-29T08:00:00.000Z').map((t) => t.job.name);
    expect(at0800).toEqual(['forecast-day-ahead', 'score']);
    expect(ticks.every((t, i) => i === 0 || t.at >= ticks[i - 1].at)).toBe(true);
  });

  it('runs each tick with the clock on it and the deadline after it, and goes on after a failing tick', async () => {
    const clock = replayClock(new Date(0));
    const seen: string[] = [];
    const jobs = [
      job('a', '0 0 */6 * * *', async (ctx) => {
        expect(clock.now()).toEqual(ctx.scheduledAt);
        expect(ctx.deadline.getTime() - ctx.scheduledAt.getTime()).toBe(3_600_000);
        seen.push(`a@${ctx.scheduledAt.toISOString().slice(11, 16)}`);
        if (ctx.scheduledAt.getUTCHours() === 6) throw new GridcastError('RUN_NO_DATA', 'nothing stored');
      }),
    ];
    const ticks = await replayJobs(jobs, { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-02T00:00:00Z'), timeZone: 'UTC', clock });
    expect(seen).toEqual(['a@00:00', 'a@06:00', 'a@12:00', 'a@18:00']);
    expect(ticks.map((t) => t.status)).toEqual(['succeeded', 'failed', 'succeeded', 'succeeded']);
    expect(ticks[1].error).toEqual({ code: 'RUN_NO_DATA', message: 'nothing stored' });
  });

  it('stops at an aborted signal', async () => {
    const ctl = new AbortController();
    let n = 0;
    const jobs = [job('a', '0 0 * * * *', async () => void (++n === 2 && ctl.abort()))];
    await replayJobs(jobs, { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-02T00:00:00Z'), timeZone: 'UTC', clock: replayClock(new Date(0)), signal: ctl.signal });
    expect(n).toBe(2);
  });
});
