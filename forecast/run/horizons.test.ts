import { describe, expect, it } from 'vitest';
import { GridcastError } from '../../core/errors.ts';
import { runWindow } from './horizons.ts';
import { overScenarios, scenarioYears } from './scenarios.ts';

const iso = (d: Date) => d.toISOString();
const window = (...a: Parameters<typeof runWindow>) => {
  const w = runWindow(...a);
  return { origin: iso(w.origin), start: iso(w.start), end: iso(w.end), horizonSteps: w.horizonSteps, offset: w.offset };
};

describe('run windows', () => {
  it('intraday: the hour in progress and the 6 after it; the origin is the start of the hour in progress', () => {
    expect(window('intraday', new Date('2025-06-10T10:20:00Z'), 'Europe/Paris')).toEqual({
      origin: '2025-06-10T10:00:00.000Z',
      start: '2025-06-10T10:00:00.000Z',
      end: '2025-06-10T17:00:00.000Z',
      horizonSteps: 7,
      offset: 0,
    });
    expect(window('intraday', new Date('2025-06-10T10:00:00Z'), 'UTC')).toMatchObject({ start: '2025-06-10T10:00:00.000Z', end: '2025-06-10T17:00:00.000Z', offset: 0 });
  });

  it.each([
    ['2025-03-29T10:00:00Z', '2025-03-29T23:00:00.000Z', '2025-03-30T22:00:00.000Z', 23],
    ['2025-10-25T10:00:00Z', '2025-10-25T22:00:00.000Z', '2025-10-26T23:00:00.000Z', 25],
    ['2025-06-10T21:59:00Z', '2025-06-10T22:00:00.000Z', '2025-06-11T22:00:00.000Z', 24],
    // At local midnight, the next day is the one after (the current day has begun).
    ['2025-06-10T22:00:00Z', '2025-06-11T22:00:00.000Z', '2025-06-12T22:00:00.000Z', 24],
  ])('day-ahead from %s is the next local day of Paris', (asOf, start, end, hours) => {
    const w = runWindow('day-ahead', new Date(asOf), 'Europe/Paris');
    expect([iso(w.start), iso(w.end)]).toEqual([start, end]);
    expect(w.horizonSteps - w.offset).toBe(hours);
  });

  it('week-ahead: 7 local days; mid-term: 52 weeks that stay within a year of the origin', () => {
    const week = runWindow('week-ahead', new Date('2025-03-27T08:00:00Z'), 'Europe/Paris');
    expect([iso(week.start), iso(week.end), week.horizonSteps - week.offset]).toEqual(['2025-03-27T23:00:00.000Z', '2025-04-03T22:00:00.000Z', 7 * 24 - 1]);
    const mid = runWindow('mid-term', new Date('2025-03-29T10:00:00Z'), 'Europe/Paris');
    expect([iso(mid.start), iso(mid.end), mid.horizonSteps - mid.offset]).toEqual(['2025-03-29T23:00:00.000Z', '2026-03-28T23:00:00.000Z', 364 * 24]);
    expect(mid.end.getTime() - mid.origin.getTime()).toBeLessThan(365 * 86_400_000);
  });

  it('refuses a zone whose days do not start on a UTC hour, an unknown zone or horizon, and an invalid time', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as GridcastError).code;
      }
      return 'no error';
    };
    expect(code(() => runWindow('day-ahead', new Date('2025-06-10T10:00:00Z'), 'Asia/Kolkata'))).toBe('RUN_TIME_ZONE');
    expect(code(() => runWindow('day-ahead', new Date('2025-06-10T10:00:00Z'), 'Mars/Base'))).toBe('INVALID_TIME_ZONE');
    expect(code(() => runWindow('monthly' as never, new Date('2025-06-10T10:00:00Z'), 'UTC'))).toBe('RUN_HORIZON_INVALID');
    expect(code(() => runWindow('day-ahead', new Date('nope'), 'UTC'))).toBe('RUN_AS_OF_INVALID');
    // Intraday needs no local day.
    expect(code(() => runWindow('intraday', new Date('2025-06-10T10:00:00Z'), 'Asia/Kolkata'))).toBe('no error');
  });
});

describe('climatic scenarios', () => {
  it('asks for the years before the origin, newest first', () => {
    expect(scenarioYears(new Date('2025-03-29T10:00:00Z'), 3)).toEqual([2024, 2023, 2022]);
  });

  it('gives the mean and type-7 quantiles over the paths at each step', () => {
    const paths = [Float64Array.from([1, 10]), Float64Array.from([3, 30]), Float64Array.from([2, 50]), Float64Array.from([4, 20])];
    const { mean, quantiles } = overScenarios(paths, [0.1, 0.5, 0.9]);
    expect([...mean]).toEqual([2.5, 27.5]);
    // Step 0 sorted 1,2,3,4: positions 0.3, 1.5, 2.7; step 1 sorted 10,20,30,50.
    expect([...quantiles['0.1']].map((v) => +v.toFixed(12))).toEqual([1.3, 13]);
    expect([...quantiles['0.5']]).toEqual([2.5, 25]);
    expect([...quantiles['0.9']].map((v) => +v.toFixed(12))).toEqual([3.7, 44]);
  });
});
