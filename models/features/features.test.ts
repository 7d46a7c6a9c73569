import { describe, expect, it } from 'vitest';
import { dayKey } from '../../core/calendar.ts';
import { calendarFeatures, DAY_TYPE, parseCalendarSpec } from './calendar.ts';
import { forecastLikeErrors, smoothedName, temperatureFeatures } from './temperature.ts';

const byDay = (f: ReturnType<typeof calendarFeatures>) => {
  const out = new Map<string, { type: number; vacation: number; hours: number }>();
  f.day.forEach((d, i) => {
    const k = dayKey(d);
    const e = out.get(k) ?? { type: f.dayType[i], vacation: f.vacation[i], hours: 0 };
    e.hours++;
    out.set(k, e);
  });
  return out;
};

describe('calendar features', () => {
  it('marks a public holiday inside a school vacation, a bridge day and the DST days in Paris', () => {
    const spec = parseCalendarSpec({ country: 'FR', schoolVacations: [{ from: '2024-04-13', to: '2024-04-29' }], extraHolidays: ['2024-04-03'] });
    // 2024-03-30 … 2024-05-12, Paris local midnight to midnight.
    const first = Date.parse('2024-03-29T23:00:00Z');
    const last = Date.parse('2024-05-12T22:00:00Z');
    const f = calendarFeatures(first, 3600, (last - first) / 3_600_000, 'Europe/Paris', spec);
    const days = byDay(f);
    expect(days.get('2024-03-31')).toMatchObject({ type: 6, hours: 23 }); // Sunday, DST day
    expect(days.get('2024-04-01')).toMatchObject({ type: DAY_TYPE.HOLIDAY, vacation: 0 }); // Easter Monday
    expect(days.get('2024-04-03')?.type).toBe(DAY_TYPE.HOLIDAY); // extra holiday
    expect(days.get('2024-04-15')).toMatchObject({ type: 0, vacation: 1 });
    expect(days.get('2024-04-29')?.vacation).toBe(1);
    expect(days.get('2024-04-30')?.vacation).toBe(0);
    expect(days.get('2024-05-01')?.type).toBe(DAY_TYPE.HOLIDAY);
    expect(days.get('2024-05-10')?.type).toBe(DAY_TYPE.BRIDGE);
    expect(days.get('2024-05-11')?.type).toBe(5);
    expect([...days.values()].filter((d) => d.hours !== 24)).toHaveLength(1);
  });

  it('handles the 25 h day: hour 2 twice, one day type', () => {
    const f = calendarFeatures(Date.parse('2024-10-26T22:00:00Z'), 3600, 25, 'Europe/Paris', {});
    expect(f.hour.filter((h) => h === 2)).toHaveLength(2);
    expect(new Set(f.dayType)).toEqual(new Set([6]));
    expect(f.doy[0]).toBeCloseTo(300 / 366, 9);
  });

  it('validates the spec', () => {
    expect(() => parseCalendarSpec({ country: 'FR', holidays: [] })).toThrow(expect.objectContaining({ code: 'INVALID_CALENDAR' }));
    expect(() => calendarFeatures(0, 3600, 24, 'UTC', { schoolVacations: [{ from: '2024-05-02', to: '2024-05-01' }] })).toThrow(expect.objectContaining({ code: 'INVALID_CALENDAR' }));
  });
});

describe('temperature features', () => {
  it('smooths with the given half-life', () => {
    const step = Float64Array.from({ length: 200 }, (_, i) => (i < 100 ? 0 : 10));
    const f = temperatureFeatures(step, 3600, [24], undefined);
    expect(f.columns[smoothedName(24)][99 + 24]).toBeCloseTo(5, 9);
    expect(f.columns.temp_max24[110]).toBe(10);
    expect(f.columns.temp_min24[110]).toBe(0);
    expect(f.columns.temp_min24[123]).toBe(10);
    expect(f.columns.temp_lag24[124]).toBe(10);
    expect(f.columns.temp_lag24[123]).toBe(0);
  });

  it('continues from its state exactly as one pass over the whole series', () => {
    const t = Float64Array.from({ length: 300 }, (_, i) => 10 + 5 * Math.sin(i / 7) + (i % 13 === 0 ? Number.NaN : 0));
    const whole = temperatureFeatures(t, 3600, [24, 168], undefined);
    const a = temperatureFeatures(t.subarray(0, 170), 3600, [24, 168], undefined);
    const b = temperatureFeatures(t.subarray(170), 3600, [24, 168], a.state);
    for (const name of Object.keys(whole.columns)) {
      expect(Array.from(b.columns[name])).toEqual(Array.from(whole.columns[name].subarray(170)));
    }
  });

  it('bridges missing values in the smoothed temperature', () => {
    const t = Float64Array.from([10, Number.NaN, Number.NaN, 12]);
    const f = temperatureFeatures(t, 3600, [1], undefined);
    expect(f.columns[smoothedName(1)][2]).toBe(10);
    expect(Number.isNaN(f.columns.temp[1])).toBe(true);
  });

  it('draws forecast-like errors: the given sd, persistent over hours, reproducible, NaN where the temperature is', () => {
    const t = Float64Array.from({ length: 20_000 }, (_, i) => (i === 5 ? Number.NaN : 15));
    const e = forecastLikeErrors(t, 3600, 2, 12, 7);
    const finite = Array.from(e).filter(Number.isFinite);
    const sd = Math.sqrt(finite.reduce((a, v) => a + v * v, 0) / finite.length);
    expect(sd).toBeGreaterThan(1.8);
    expect(sd).toBeLessThan(2.2);
    let lag1 = 0;
    let lag12 = 0;
    for (let i = 12; i < e.length; i++) {
      if (i - 12 === 5 || i - 1 === 5 || i === 5) continue;
      lag1 += e[i] * e[i - 1];
      lag12 += e[i] * e[i - 12];
    }
    // AR(1) with correlation exp(-1/12) per hour: about 0.92 at one hour, 1/e at twelve.
    expect(lag1 / finite.length / (sd * sd)).toBeCloseTo(Math.exp(-1 / 12), 1);
    expect(lag12 / finite.length / (sd * sd)).toBeCloseTo(Math.exp(-1), 1);
    expect(Number.isNaN(e[5])).toBe(true);
    expect(Array.from(forecastLikeErrors(t, 3600, 2, 12, 7))).toEqual(Array.from(e));
    expect(Array.from(forecastLikeErrors(t, 3600, 0, 12, 7)).every((v) => v === 0)).toBe(true);
  });
});
