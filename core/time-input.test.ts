import { describe, expect, it } from 'vitest';
import { checkInstant, localDate, nextLocalMidnight, parseTimeInput, resolveTimeInput, timeInZone } from './time-input.ts';
import { csvNumber } from './number-format.ts';

describe('the time rule (core/time-input.ts)', () => {
  it('reads a date alone as the local midnight of the zone, DST-aware', () => {
    expect(timeInZone('2026-12-03', 'Europe/Paris', '--from').toISOString()).toBe('2026-12-02T23:00:00.000Z');
    expect(timeInZone('2026-07-03', 'Europe/Paris', '--from').toISOString()).toBe('2026-07-02T22:00:00.000Z');
    // The spring-forward day starts at +01:00 and lasts 23 h; the autumn one starts at +02:00 and lasts 25 h.
    const spring = timeInZone('2026-03-29', 'Europe/Paris', '--from');
    expect(spring.toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(nextLocalMidnight(spring, 'Europe/Paris').getTime() - spring.getTime()).toBe(23 * 3_600_000);
    const autumn = timeInZone('2026-10-25', 'Europe/Paris', '--from');
    expect(autumn.toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(nextLocalMidnight(autumn, 'Europe/Paris').getTime() - autumn.getTime()).toBe(25 * 3_600_000);
    expect(localDate(autumn, 'Europe/Paris')).toBe('2026-10-25');
    expect(timeInZone('2026-12-03', 'UTC', '--from').toISOString()).toBe('2026-12-03T00:00:00.000Z');
  });

  it('keeps an instant with its offset as is, whatever the zone', () => {
    expect(parseTimeInput('2026-12-03T00:00:00Z', '--from')).toEqual({ instant: new Date('2026-12-03T00:00:00Z') });
    expect(timeInZone('2026-12-03T01:00+01:00', 'America/New_York', '--from').toISOString()).toBe('2026-12-03T00:00:00.000Z');
    expect(resolveTimeInput({ date: '2026-12-03' }, 'Asia/Kolkata').toISOString()).toBe('2026-12-02T18:30:00.000Z');
  });

  it('refuses a time without an offset with TS_NO_OFFSET, and anything else unreadable with TS_INVALID', () => {
    for (const text of ['2026-12-03T00:00', '2026-12-03 00:00:00', '2026-12-03T00:00:00.000']) {
      expect(() => parseTimeInput(text, '--from')).toThrow(
        expect.objectContaining({ code: 'TS_NO_OFFSET', message: expect.stringContaining("--from '" + text + "' has no UTC offset") }),
      );
    }
    for (const text of ['2026-02-30', '2026-13-01T00:00Z', 'yesterday', '03/12/2026', '2026-12-03T00:00+16:00']) {
      expect(() => parseTimeInput(text, '--to')).toThrow(expect.objectContaining({ code: 'TS_INVALID' }));
    }
  });

  it('is the rule CSV cells follow too: an offset is required, a date alone is no point in time', () => {
    expect(checkInstant('2026-12-03T00:00:00.123456+01:00')).toEqual({ ok: true, ms: Date.parse('2026-12-02T23:00:00.123Z'), us: 456 });
    expect(checkInstant('2026-12-03T00:00:00.12345Z')).toEqual({ ok: true, ms: Date.parse('2026-12-03T00:00:00.123Z'), us: 450 });
    expect(checkInstant('2026-12-03T00:00:00.1Z')).toEqual({ ok: true, ms: Date.parse('2026-12-03T00:00:00.100Z'), us: 0 });
    expect(checkInstant('2026-12-03T00:00')).toMatchObject({ ok: false, code: 'TS_NO_OFFSET' });
    expect(checkInstant('2026-12-03')).toMatchObject({ ok: false, code: 'TS_INVALID' });
  });
});

describe('CSV numbers', () => {
  it('drop the noise of float sums and keep a measured value’s digits', () => {
    expect(csvNumber(1193.6380000000001)).toBe('1193.638');
    expect(csvNumber((0.1 + 0.2) / 2)).toBe('0.15');
    expect(csvNumber(123456.789012)).toBe('123456.789012');
    expect(csvNumber(-0.000123)).toBe('-0.000123');
    expect(csvNumber(16000)).toBe('16000');
    expect(csvNumber(1e-7)).toBe('1e-7');
  });
});
