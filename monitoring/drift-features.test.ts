import { describe, expect, it } from 'vitest';
import { parseDay } from '../core/calendar.ts';
import { dailyInputs, loadGivenTemperature, loadModel, seasonMatched } from './drift-features.ts';

const days = (from: string, count: number) => Array.from({ length: count }, (_, k) => parseDay(from) + k);
const keys = (all: number[], indices: number[]) => [indices.length, new Date(all[indices[0]] * 86_400_000).toISOString().slice(0, 10), new Date(all[indices.at(-1)!] * 86_400_000).toISOString().slice(0, 10)];

describe('the season-matched reference', () => {
  const training = days('2025-01-01', 365);

  it('is the training days within the margin of the recent dates, centred on them', () => {
    const m = seasonMatched(training, days('2026-10-17', 14), 14, 28);
    expect(keys(training, m.indices)).toEqual([42, '2025-10-03', '2025-11-13']);
    expect(m.months).toEqual([10, 11]);
  });

  it('wraps around the end of the year', () => {
    const m = seasonMatched(training, days('2026-12-25', 14), 14, 28);
    expect(m.indices.map((i) => training[i])).toEqual([...days('2025-01-01', 21), ...days('2025-12-11', 21)]);
    expect(m.months).toEqual([1, 12]);
  });

  it('widens by 30 days each side when the training only grazes the season, and gives up beyond', () => {
    const summer = days('2025-06-01', 60); // to 30 July
    const m = seasonMatched(summer, days('2026-08-10', 14), 14, 28);
    expect(keys(summer, m.indices)).toEqual([34, '2025-06-27', '2025-07-30']);
    const none = seasonMatched(summer, days('2026-11-01', 14), 14, 28);
    expect(none.indices).toEqual([]);
    expect(none.months).toEqual([9, 10, 11, 12]);
  });
});

describe('the load given the temperature', () => {
  // Daily means with a known relation: heating below 15 °C, cooling above 22 °C, 10 % less on weekends.
  const start = Date.UTC(2025, 0, 1);
  const n = 365 * 24;
  const temperature = Float64Array.from({ length: n }, (_, h) => 12 - 10 * Math.cos((2 * Math.PI * (h / 24 - 20)) / 365) + 3 * Math.sin((2 * Math.PI * h) / 24) + 4 * Math.sin(h / 97));
  const level = (h: number, factor: number) => {
    const weekday = (Math.floor(h / 24) + 2) % 7; // 1 January 2025 was a Wednesday
    const t = temperature[h];
    return factor * (1000 + 30 * Math.max(0, 15 - t) + 40 * Math.max(0, t - 22)) * (weekday >= 5 ? 0.9 : 1);
  };
  const daily = (factor: (h: number) => number) => dailyInputs(start, Float64Array.from({ length: n }, (_, h) => level(h, factor(h))), temperature, 'UTC');

  it('explains the daily load by the temperature and the day type, leaving little', () => {
    const d = daily(() => 1);
    const m = loadModel(d)!;
    expect(m.days).toBe(364); // the first day has no previous day's temperature
    expect(m.knots).toHaveLength(4);
    const r = loadGivenTemperature(m, d).filter(Number.isFinite);
    const rms = Math.sqrt(r.reduce((a, v) => a + v * v, 0) / r.length);
    expect(rms / 1000).toBeLessThan(0.02); // under 2 % of the level, where the raw daily load varies by 30 %
  });

  it('moves by the change of level when consumers connect, whatever the weather', () => {
    const trained = loadModel(daily(() => 1))!;
    const after = daily((h) => (h >= 200 * 24 ? 1.1 : 1));
    const r = loadGivenTemperature(trained, after);
    const mean = (a: number[]) => {
      const v = a.filter(Number.isFinite);
      return v.reduce((s, x) => s + x, 0) / v.length;
    };
    const shift = mean(r.slice(200)) - mean(r.slice(0, 200));
    const levelAfter = mean(after.numeric.load.slice(200)) / 1.1;
    expect(shift / levelAfter).toBeCloseTo(0.1, 2);
  });

  it('needs the temperature and enough days', () => {
    expect(loadModel(dailyInputs(start, Float64Array.from({ length: n }, (_, h) => level(h, 1)), undefined, 'UTC'))).toBeNull();
    expect(loadModel(dailyInputs(start, Float64Array.from({ length: 30 * 24 }, (_, h) => level(h, 1)), temperature.slice(0, 30 * 24), 'UTC'))).toBeNull();
  });
});
