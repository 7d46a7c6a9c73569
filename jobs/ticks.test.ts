import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { cronProblem, ticksBack } from './ticks.ts';

const MINUTE = 60_000;

/** Every instant node-cron fires at in [from, to), found by asking its matcher at every step (a divisor of the schedule's period). */
function bruteForce(match: (d: Date) => boolean, from: number, to: number, stepMs: number): Date[] {
  const out: Date[] = [];
  for (let t = from; t < to; t += stepMs) if (match(new Date(t))) out.push(new Date(t));
  return out.reverse();
}

describe('cron ticks walked back', () => {
  // Spring and autumn clock changes in Paris, local-time schedules, and a day-of-month plus a
  // day-of-week, which cron-parser reads as "either" and node-cron as "both".
  const cases: Array<{ expression: string; from: string; days: number; stepMin: number }> = [
    { expression: '0 30 2 * * *', from: '2026-03-27T00:00:00Z', days: 4, stepMin: 1 },
    { expression: '0 30 2 * * *', from: '2026-10-23T00:00:00Z', days: 4, stepMin: 1 },
    { expression: '0 5 * * * *', from: '2026-10-24T12:00:00Z', days: 2, stepMin: 1 },
    { expression: '0 0 9 * * *', from: '2026-03-26T00:00:00Z', days: 6, stepMin: 15 },
    { expression: '0 0 3 * * 1', from: '2026-03-01T00:00:00Z', days: 40, stepMin: 60 },
    { expression: '0 0 12 1-7 * 1', from: '2026-01-01T00:00:00Z', days: 120, stepMin: 60 },
  ];
  it.each(cases)('lists the instants node-cron fires at: $expression from $from', ({ expression, from, days, stepMin }) => {
    const task = cron.createTask(expression, () => {}, { timezone: 'Europe/Paris' });
    try {
      const match = (d: Date) => task.match(d);
      const start = Date.parse(from);
      const end = start + days * 86_400_000;
      const expected = bruteForce(match, start, end, stepMin * MINUTE);
      expect(expected.length).toBeGreaterThan(0);
      const got = ticksBack(expression, 'Europe/Paris', match, new Date(end - 1), { after: new Date(start - 1), max: 10_000 });
      expect(got.map((d) => d.toISOString())).toEqual(expected.map((d) => d.toISOString()));
    } finally {
      void task.destroy();
    }
  });

  it('includes a tick at the given instant, stops after `max` and at `after`', () => {
    const task = cron.createTask('*/10 * * * * *', () => {}, { timezone: 'UTC' });
    try {
      const match = (d: Date) => task.match(d);
      const at = new Date('2026-05-01T10:00:00Z');
      expect(ticksBack('*/10 * * * * *', 'UTC', match, at, { max: 3 }).map((d) => d.toISOString())).toEqual([
        '2026-05-01T10:00:00.000Z', '2026-05-01T09:59:50.000Z', '2026-05-01T09:59:40.000Z',
      ]);
      expect(ticksBack('*/10 * * * * *', 'UTC', match, at, { after: new Date('2026-05-01T09:59:50Z'), max: 100 })).toHaveLength(1);
    } finally {
      void task.destroy();
    }
  });

  it('accepts what both node-cron and cron-parser read, and says why otherwise', () => {
    expect(cronProblem('*/5 * * * * *', 'Europe/Paris')).toBeNull();
    expect(cronProblem('0 0 9 * * MON-FRI', 'Europe/Paris')).toBeNull();
    expect(cronProblem('61 * * * *', 'UTC')).toMatch(/minute/);
    expect(cronProblem('every hour', 'UTC')).toMatch(/illegal|fields/);
    // node-cron has no hash (H) syntax: cron-parser alone would accept it.
    expect(cronProblem('H * * * *', 'UTC')).not.toBeNull();
  });
});
