import { describe, expect, it } from 'vitest';
import { publicHolidayNames } from '../../core/calendar.ts';
import type { Series } from '../../core/types.ts';
import { createGamForecaster, gamSeriesOf } from './gam-forecaster.ts';

/**
 * Three years of daily load on the US calendar: a weekly cycle, Christmas 25 % below a working
 * day (whatever its weekday), Columbus Day 1 % below (most keep working), the other public holidays 10 % below, and a
 * little noise. One holiday day type pooled over all of them misses both ends.
 */
const DAY = 86_400_000;
const START = Date.UTC(2015, 0, 5); // a Monday
const DAYS = 3 * 365 + 30;
const names = publicHolidayNames('US', undefined, [2015, 2016, 2017, 2018]);
const factorOf = (name: string | undefined) => (name === undefined ? 1 : name === 'Christmas Day' ? 0.75 : name === 'Columbus Day' ? 0.99 : 0.9);
let seed = 7;
const noise = () => ((seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647 - 0.5) * 0.01;
// A holiday is a holiday whatever its weekday (the model's day type says the same).
const values = Float64Array.from({ length: DAYS }, (_, i) => {
  const name = names.get(START / DAY + i);
  const weekday = i % 7;
  const week = name !== undefined ? 1 : weekday === 5 ? 0.85 : weekday === 6 ? 0.8 : 1;
  return 1000 * week * factorOf(name) * (1 + noise());
});
const series: Series = { id: 'h', start: new Date(START), stepSec: 86_400, values, timeZone: 'UTC' };
const dayIndex = (iso: string) => (Date.parse(iso) - START) / DAY;

async function forecastOf(day: string, holidayEffects: boolean): Promise<{ ratio: number; holidays?: string[] }> {
  const at = dayIndex(day);
  const history = { ...series, values: values.slice(0, at - 3) };
  const f = await createGamForecaster({ calendar: { country: 'US' }, temperature: 'none', holidayEffects }).fit([history]);
  const [fc] = await f.predict(4);
  return { ratio: fc.mean[3] / values[at], holidays: gamSeriesOf(f.toArtifact(), 'h')!.layout.holidays };
}

describe('a GAM with each public holiday its own deviation (s(holiday, bs = "re"))', () => {
  it('forecasts a Christmas and a Columbus Day from their own past occurrences, where one holiday type misses both', async () => {
    const christmas = await forecastOf('2017-12-25', true);
    const columbus = await forecastOf('2017-10-09', true);
    expect(christmas.holidays).toContain('Christmas Day');
    expect(Math.abs(christmas.ratio - 1)).toBeLessThan(0.03);
    expect(Math.abs(columbus.ratio - 1)).toBeLessThan(0.03);
    const pooledChristmas = await forecastOf('2017-12-25', false);
    const pooledColumbus = await forecastOf('2017-10-09', false);
    expect(pooledChristmas.holidays).toBeUndefined();
    // Pooled: Christmas over-forecast, Columbus Day under-forecast by several percent.
    expect(pooledChristmas.ratio).toBeGreaterThan(1.06);
    expect(pooledColumbus.ratio).toBeLessThan(0.95);
  });

  it('leaves the holiday day type alone below two named holidays in the history', async () => {
    // 40 days from 5 January: Martin Luther King Jr. Day only.
    const f = await createGamForecaster({ calendar: { country: 'US' }, temperature: 'none', minHistoryDays: 28 }).fit([{ ...series, values: values.slice(0, 40) }]);
    expect(gamSeriesOf(f.toArtifact(), 'h')!.layout.holidays).toBeUndefined();
  });
});
