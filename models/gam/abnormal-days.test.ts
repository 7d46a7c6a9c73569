import { describe, expect, it } from 'vitest';
import type { Covariates, Series } from '../../core/types.ts';
import { simulatedLoadWithWeather } from './__fixtures__/simulated.ts';
import { abnormalDays, dailyMeans, dayScale, DAYS_PER_EVENT, eventCount, MAX_EVENT_DAYS, withoutAbnormal } from './abnormal-days.ts';
import { createGamForecaster, gamSummary } from './gam-forecaster.ts';

/** 60 normal days whose means alternate ±0.01, with `events` (day → mean) put in. */
function means(events: Record<number, number>): Float64Array {
  return Float64Array.from({ length: 60 }, (_, d) => events[d] ?? (d % 2 ? 0.01 : -0.01));
}
const rule = { threshold: 7, maxEventDays: MAX_EVENT_DAYS, daysPerEvent: 10 };

describe('abnormal days (pure)', () => {
  it('averages each day, NaN where fewer than half its steps are observed', () => {
    const r = Float64Array.from([1, 3, Number.NaN, 5, Number.NaN, Number.NaN, Number.NaN, 7, 2]);
    expect(Array.from(dailyMeans(r, 4))).toEqual([3, Number.NaN]);
  });

  it('judges days against the median and the MAD (scaled as a normal sd), floored', () => {
    const m = means({});
    expect(dayScale(m, 0)).toEqual({ median: 0, mad: 1.4826 * 0.01 });
    expect(dayScale(m, 0.05)!.mad).toBe(0.05);
    expect(dayScale(m.subarray(0, 27), 0)).toBeUndefined();
  });

  it('leaves out a day beyond the threshold and the days next to it beyond two thirds of it on the same side', () => {
    const m = means({ 20: -0.5, 21: -0.075, 22: -0.3, 23: 0.3, 40: 0.2, 41: 0.06, 50: -0.075, 51: -0.2 });
    const scale = { median: 0, mad: 0.015 };
    // Day 21 is 5 MADs low: the event is 20–22; day 23 (20 MADs high) is one of its own, as 40 (13; 41, 4 MADs, stays) and 50–51.
    expect(abnormalDays(m, scale, rule)).toEqual([20, 21, 22, 23, 40, 50, 51]);
    expect(abnormalDays(means({ 20: -0.5, 21: 0.3 }), scale, rule)).toEqual([20, 21]);
    expect(abnormalDays(means({ 20: -0.5, 21: 0.075 }), scale, rule)).toEqual([20]);
    expect(abnormalDays(m, scale, { ...rule, threshold: 0 })).toEqual([]);
    expect(abnormalDays(means({ 20: -0.1 }), scale, rule)).toEqual([]);
  });

  it('leaves out none when there would be more than one event per daysPerEvent days (the load behaves so)', () => {
    const scale = { median: 0, mad: 0.015 };
    // Three events in 60 days (one of two days).
    const monthly = means({ 5: -0.5, 25: -0.5, 26: -0.5, 45: -0.5 });
    expect(abnormalDays(monthly, scale, { ...rule, daysPerEvent: 20 })).toEqual([5, 25, 26, 45]);
    expect(abnormalDays(monthly, scale, { ...rule, daysPerEvent: 21 })).toEqual([]);
    // One event is always allowed.
    expect(abnormalDays(means({ 5: -0.5 }), scale, { ...rule, daysPerEvent: 1000 })).toEqual([5]);
    // A refit's new days count with the events the history already left out.
    expect(abnormalDays(monthly, scale, { ...rule, daysPerEvent: 20 }, { days: 100, events: 2 })).toEqual([5, 25, 26, 45]);
    expect(abnormalDays(monthly, scale, { ...rule, daysPerEvent: 20 }, { days: 100, events: 3 })).toEqual([]);
    expect(eventCount([3, 4, 5, 9, 12, 13])).toBe(3);
    expect(DAYS_PER_EVENT).toBe(60);
  });

  it('keeps an event longer than a week (a new level) and one still running at the end', () => {
    const scale = dayScale(means({}), 0)!;
    const long = Object.fromEntries(Array.from({ length: MAX_EVENT_DAYS + 1 }, (_, k) => [10 + k, -0.3]));
    expect(abnormalDays(means(long), scale, rule)).toEqual([]);
    const week = Object.fromEntries(Array.from({ length: MAX_EVENT_DAYS }, (_, k) => [10 + k, -0.3]));
    expect(abnormalDays(means(week), scale, rule)).toHaveLength(MAX_EVENT_DAYS);
    expect(abnormalDays(means({ 58: -0.3, 59: -0.3 }), scale, rule)).toEqual([]);
    expect(abnormalDays(means({ 57: -0.3, 58: -0.3 }), scale, rule)).toEqual([57, 58]);
  });
});

describe('rounds of judging (withoutAbnormal)', () => {
  /** A "fit" that remembers the days it was fitted without; `judgements` says what each fit is judged to hold. */
  function run(judgements: Record<string, number[]>) {
    const fitted: string[] = [];
    const y = new Float64Array(10 * 2).fill(1);
    const fitOn = (yy: Float64Array) => {
      const out = Array.from({ length: 10 }, (_, d) => d).filter((d) => Number.isNaN(yy[2 * d])).join(',');
      fitted.push(out);
      return { without: out };
    };
    let last = '';
    const judge = () => judgements[last] ?? [];
    const r = withoutAbnormal(y, 2, (yy) => { const f = fitOn(yy); last = f.without; return f; }, judge)!;
    return { fitted, abnormal: r.abnormal, without: r.result.without };
  }

  it('stops where the days judged are those left out', () => {
    expect(run({})).toEqual({ fitted: [''], abnormal: [], without: '' });
    expect(run({ '': [3], '3': [3] })).toEqual({ fitted: ['', '3'], abnormal: [3], without: '3' });
    // A normal day the event pulled comes back in.
    expect(run({ '': [3, 4], '3,4': [3], '3': [3] })).toEqual({ fitted: ['', '3,4', '3'], abnormal: [3], without: '3' });
  });

  it('ends a cycle on the fit already made, and after three rounds at most', () => {
    expect(run({ '': [3], '3': [] })).toEqual({ fitted: ['', '3'], abnormal: [], without: '' });
    expect(run({ '': [1], '1': [2], '2': [3], '3': [4], '4': [5] })).toEqual({ fitted: ['', '1', '2', '3'], abnormal: [3], without: '3' });
  });
});

describe('GAM fitted without abnormal days', () => {
  const days = 150;
  const { series, temperature } = simulatedLoadWithWeather(days + 7);
  const n = days * 24;
  const cov = (t: Float64Array): Map<string, Covariates> => new Map([[series.id, { future: { temperature: t } }]]);
  const params = { calendar: { country: 'US' }, halfLivesHours: [24, 72], hourKnots: 9, tempKnots: 6, tempHourKnots: 5, inertiaKnots: 5 };
  const OUTAGE = [100, 101, 102];
  const withDays = (f: (v: number) => number, m = n, outageDays = OUTAGE): Series => ({
    ...series,
    values: Float64Array.from(series.values.slice(0, m), (v, i) => (outageDays.includes(Math.floor(i / 24)) ? f(v) : v)),
  });
  const outage = withDays((v) => 0.4 * v);
  const missing = withDays(() => Number.NaN);
  const horizon = cov(temperature.slice(n, n + 48));
  const dayIso = (d: number) => new Date(series.start.getTime() + d * 86_400_000).toISOString();

  it('names an outage of three days and forecasts as if those days were missing', async () => {
    const f = await createGamForecaster(params).fit([outage], cov(temperature.slice(0, n)));
    expect(gamSummary(f)[0].abnormalDays).toEqual(OUTAGE.map(dayIso));
    const [a] = await f.predict(48, horizon);
    const [b] = await (await createGamForecaster(params).fit([missing], cov(temperature.slice(0, n)))).predict(48, horizon);
    a.mean.forEach((v, i) => expect(v).toBeCloseTo(b.mean[i], 6));
    // The outage is still in the residuals (what an ARIMA on them sees).
    expect(f.residuals().get(series.id)![OUTAGE[1] * 24 + 12]).toBeLessThan(0);
  });

  it('learns from every day with the threshold at 0, and then forecasts otherwise', async () => {
    const f = await createGamForecaster({ ...params, abnormalDayThreshold: 0 }).fit([outage], cov(temperature.slice(0, n)));
    expect(gamSummary(f)[0].abnormalDays).toEqual([]);
    const [a] = await f.predict(48, horizon);
    const [b] = await (await createGamForecaster(params).fit([missing], cov(temperature.slice(0, n)))).predict(48, horizon);
    expect(a.mean.some((v, i) => Math.abs(v / b.mean[i] - 1) > 1e-3)).toBe(true);
  });

  it('leaves in an outage still running at the end of the history', async () => {
    const f = await createGamForecaster(params).fit([withDays((v) => 0.4 * v, 103 * 24)], cov(temperature.slice(0, 103 * 24)));
    expect(gamSummary(f)[0].abnormalDays).toEqual([]);
  });

  it('a refit judges its new days against the first fit and leaves out an outage among them', async () => {
    // 130 days, then 140: a refit within the growth that keeps the first design.
    const first = await createGamForecaster(params).fit([withDays((v) => v, 130 * 24)], cov(temperature.slice(0, 130 * 24)), { refittable: true });
    const m = 140 * 24;
    const later = [133, 134, 135];
    const again = await first.refit!([withDays((v) => 0.4 * v, m, later)], cov(temperature.slice(0, m)));
    const clean = await first.refit!([withDays(() => Number.NaN, m, later)], cov(temperature.slice(0, m)));
    expect(gamSummary(again)[0].abnormalDays).toEqual([...gamSummary(first)[0].abnormalDays, ...later.map(dayIso)]);
    expect(gamSummary(clean)[0].abnormalDays).toEqual(gamSummary(first)[0].abnormalDays);
    expect(gamSummary(again)[0].n).toBe(gamSummary(clean)[0].n);
    const h = cov(temperature.slice(m, m + 24));
    const [a] = await again.predict(24, h);
    const [b] = await clean.predict(24, h);
    a.mean.forEach((v, i) => expect(v).toBeCloseTo(b.mean[i], 6));
  });
});
