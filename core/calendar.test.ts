import { describe, expect, it } from 'vitest';
import { dayKey, isBridgeDay, localClock, parseDay, publicHolidays } from './calendar.ts';
import { GridcastError } from './errors.ts';

describe('localClock', () => {
  it('keeps the local hour across the Paris DST changes (23 h and 25 h days)', () => {
    // From 2024-03-30 00:00 Paris (UTC+1) to the end of 2024-03-31 (a 23 h day).
    const spring = localClock(Date.parse('2024-03-29T23:00:00Z'), 3600, 47, 'Europe/Paris');
    const hoursOf = (c: typeof spring, key: string) => Array.from(c.hour).filter((_, i) => dayKey(c.day[i]) === key);
    expect(hoursOf(spring, '2024-03-30')).toEqual(Array.from({ length: 24 }, (_, h) => h));
    expect(hoursOf(spring, '2024-03-31')).toEqual([0, 1, ...Array.from({ length: 21 }, (_, h) => h + 3)]);
    const autumn = localClock(Date.parse('2024-10-26T22:00:00Z'), 3600, 25, 'Europe/Paris');
    expect(hoursOf(autumn, '2024-10-27')).toEqual([0, 1, 2, 2, ...Array.from({ length: 21 }, (_, h) => h + 3)]);
    expect(Array.from(autumn.weekday).every((w) => w === 6)).toBe(true);
  });

  it('gives quarter hours and the position in the year', () => {
    const c = localClock(Date.parse('2023-12-31T23:30:00Z'), 900, 4, 'UTC');
    expect(Array.from(c.hour)).toEqual([23.5, 23.75, 0, 0.25]);
    expect(c.yearFraction[2]).toBe(0);
    expect(c.yearFraction[1]).toBeCloseTo((364 + 23.75 / 24) / 365, 12);
  });

  it('rejects an unknown time zone with a code', () => {
    expect(() => localClock(0, 3600, 2, 'Mars/Olympus')).toThrow(expect.objectContaining({ code: 'INVALID_TIME_ZONE' }));
  });
});

describe('holidays and bridge days', () => {
  it('lists US federal holidays with weekend substitutes', () => {
    const h = publicHolidays('US', undefined, [2006]);
    for (const d of ['2006-01-02', '2006-07-04', '2006-11-10', '2006-11-23', '2006-12-25']) expect(h.has(parseDay(d))).toBe(true);
    expect(h.has(parseDay('2006-02-14'))).toBe(false); // Valentine's Day is an observance
  });

  it('finds the Friday after a Thursday holiday and the Monday before a Tuesday holiday', () => {
    const fr = publicHolidays('FR', undefined, [2024]);
    expect(isBridgeDay(parseDay('2024-05-10'), fr)).toBe(true); // Ascension on Thursday 9 May
    expect(isBridgeDay(parseDay('2024-05-07'), fr)).toBe(false); // Wednesday 8 May is a holiday, Tuesday is no bridge
    const us = publicHolidays('US', undefined, [2006]);
    expect(isBridgeDay(parseDay('2006-11-24'), us)).toBe(true); // after Thanksgiving
    const tuesday = new Set([parseDay('2024-12-31')]);
    expect(isBridgeDay(parseDay('2024-12-30'), tuesday)).toBe(true);
  });

  it('gives a fresh set each time: days added by one caller do not leak into the next call', () => {
    const first = publicHolidays('US', undefined, [2006]);
    first.add(parseDay('2006-02-14'));
    const again = publicHolidays('US', undefined, [2006, 2007]);
    expect(again.has(parseDay('2006-02-14'))).toBe(false);
    expect(again.has(parseDay('2006-07-04'))).toBe(true);
    expect(again.has(parseDay('2007-07-04'))).toBe(true);
    expect(publicHolidays('US', undefined, [2006]).size).toBe(first.size - 1);
  });

  it('refuses an unknown country and a malformed date', () => {
    expect(() => publicHolidays('XX', undefined, [2024])).toThrow(GridcastError);
    expect(() => parseDay('2024-02-30')).toThrow(expect.objectContaining({ code: 'INVALID_DATE' }));
  });
});
