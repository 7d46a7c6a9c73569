import { describe, expect, it } from 'vitest';
import type { Covariates, Forecast, Forecaster, Series } from '../../core/types.ts';
import { simulatedLoad, slice } from './__fixtures__/simulated-load.ts';
import { averageProfile, createProfileForecaster } from './profile.ts';
import { createSeasonalNaiveForecaster } from './seasonal-naive.ts';
import { createShallowHistoryForecaster } from './shallow-history.ts';
import { createSharingKeyForecaster, PARENT_COVARIATE } from './sharing-key.ts';

const H = 48;

function allFinite(f: Forecast): boolean {
  return [f.mean, ...Object.values(f.quantiles)].every((a) => a.length === f.mean.length && a.every(Number.isFinite));
}

function parentCovariates(s: Series, parent: Float64Array): Map<string, Covariates> {
  return new Map([[s.id, { past: { [PARENT_COVARIATE]: parent } }]]);
}

describe('seasonal naive', () => {
  it('repeats the value one period ago, filling gaps from earlier periods', async () => {
    const s = simulatedLoad(21);
    const n = s.values.length;
    s.values[n - 24 + 5] = Number.NaN;
    const fitted = await createSeasonalNaiveForecaster({ period: 'day' }).fit([s]);
    const [f] = await fitted.predict(H);
    expect(f.model).toBe('seasonal-naive');
    expect(f.start.getTime()).toBe(s.start.getTime() + n * 3600_000);
    expect(f.mean[0]).toBe(s.values[n - 24]);
    expect(f.mean[5]).toBe(s.values[n - 48 + 5]);
    expect(f.mean[24 + 7]).toBe(s.values[n - 24 + 7]);
    expect(allFinite(f)).toBe(true);
  });

  it('takes the same local clock time a day earlier across a DST change (Europe/Paris, 2024-03-31)', async () => {
    // History ends at local midnight starting Sunday 31 March, the 23-hour day.
    const s = { ...simulatedLoad(7), start: new Date('2024-03-23T23:00:00Z'), timeZone: 'Europe/Paris' };
    const n = s.values.length;
    const [f] = await (await createSeasonalNaiveForecaster({ period: 'day' }).fit([s])).predict(H);
    // Step 0 is 23:00 UTC on 30 March. Local 09:00 on 31 March is 07:00 UTC (step 8); local 09:00
    // on 30 March was 08:00 UTC, 15 steps before the end of the history.
    expect(f.mean[8]).toBe(s.values[n - 15]);
    expect(f.mean[8]).not.toBe(s.values[n - 16]);
    // Local midnight (before the change) is 23:00 UTC both days.
    expect(f.mean[0]).toBe(s.values[n - 24]);
    // 1 April local 09:00 (step 32) comes from 31 March local 09:00, itself a forecast step.
    expect(f.mean[32]).toBe(f.mean[8]);
    expect(allFinite(f)).toBe(true);
  });

  it('weekly period: bands widen for forecasts more than one period ahead', async () => {
    const s = simulatedLoad(70);
    const [f] = await (await createSeasonalNaiveForecaster({ period: 'week', reason: 'model-failed' }).fit([s])).predict(2 * 168);
    expect(f.fallbackReason).toBe('model-failed');
    const width = (k: number) => f.quantiles['0.9'][k] - f.quantiles['0.1'][k];
    expect(width(200)).toBeGreaterThan(width(10));
  });
});

describe('average profile', () => {
  it('learns weekday and weekend shapes by local time of day', async () => {
    const s = simulatedLoad(35, { noise: 0.01 });
    const [f] = await (await createProfileForecaster({ weeks: 4 }).fit([s])).predict(168);
    // The forecast starts on a Monday: day 5 is Saturday, 20 % lower.
    expect(f.mean[9]).toBeCloseTo(s.values[9], 0);
    expect(f.mean[5 * 24 + 9]).toBeCloseTo(s.values[5 * 24 + 9], 0);
    expect(f.mean[5 * 24 + 9] / f.mean[9]).toBeCloseTo(0.8, 1);
    expect(f.quantiles['0.1'].every((v, i) => v <= f.mean[i] + 1e-9 && f.quantiles['0.9'][i] >= v)).toBe(true);
  });

  it('follows local time across a DST change (Europe/Paris, 2024-03-31)', async () => {
    const s = { ...simulatedLoad(14, { noise: 0.01 }), start: new Date('2024-03-18T00:00:00Z'), timeZone: 'Europe/Paris' };
    const fitted = await createProfileForecaster().fit([s]);
    const [f] = await fitted.predict(14 * 24);
    expect(allFinite(f)).toBe(true);
    const profile = averageProfile(s.values, s.start.getTime(), 3600, 'Europe/Paris');
    expect(profile.mean.every(Number.isFinite)).toBe(true);
    // 14 days from a Monday: 10 weekdays per weekday slot, 2 Saturdays.
    expect(profile.count[9]).toBe(10);
    expect(profile.count[24 + 9]).toBe(2);
  });
});

describe('profile history errors', () => {
  it('cover the whole history, each the error of the profile of the weeks before that hour; residuals stay the fit\'s own weeks', async () => {
    const s = simulatedLoad(70);
    s.values[40 * 24 + 3] = Number.NaN;
    const fitted = await createProfileForecaster({ weeks: 4 }).fit([s]);
    const e = fitted.historyErrors!().get(s.id)!;
    expect(e).toHaveLength(s.values.length);
    // Defined from the first day every cell of the profile has a value (a week), except at the missing hour.
    const undefinedAt = [...e.keys()].filter((t) => Number.isNaN(e[t]));
    expect(undefinedAt.filter((t) => t >= 7 * 24)).toEqual([40 * 24 + 3]);
    // At 9:00 on day 50 (a Tuesday): the value minus the mean of the weekdays' 9:00 over the 28 days before.
    const t = 50 * 24 + 9;
    const before = [];
    for (let d = 1; d <= 28; d++) if (new Date(s.start.getTime() + (t - d * 24) * 3_600_000).getUTCDay() % 6 !== 0) before.push(s.values[t - d * 24]);
    expect(e[t]).toBeCloseTo(s.values[t] - before.reduce((a, v) => a + v, 0) / before.length, 9);
    // What ARIMA on the profile is fitted on is unchanged: the last 4 weeks only.
    const r = fitted.residuals().get(s.id)!;
    expect(r.slice(0, 42 * 24).every(Number.isNaN)).toBe(true);
    expect(r.slice(42 * 24).every(Number.isFinite)).toBe(true);
  });
});

describe('sharing key', () => {
  it('takes a share of the parent forecast, per time of day', async () => {
    const parent = simulatedLoad(20, { id: 'region' });
    const child = { ...parent, id: 'sub-new', values: parent.values.map((v, t) => (t % 24 < 12 ? 0.3 : 0.2) * v) };
    const fitted = await createSharingKeyForecaster().fit([slice(child, 17 * 24, 20 * 24)], parentCovariates(child, parent.values.slice(17 * 24, 20 * 24)));
    const parentForecast = new Float64Array(H).fill(1000);
    const [f] = await fitted.predict(H, new Map([[child.id, { future: { [PARENT_COVARIATE]: parentForecast } }]]));
    expect(f.model).toBe('sharing-key');
    expect(f.mean[3]).toBeCloseTo(300, 6);
    expect(f.mean[15]).toBeCloseTo(200, 6);
    expect(allFinite(f)).toBe(true);
  });

  it('refuses a missing parent, in fit or for part of the horizon', async () => {
    const s = simulatedLoad(3);
    await expect(createSharingKeyForecaster().fit([s])).rejects.toMatchObject({ code: 'MISSING_COVARIATE' });
    const fitted = await createSharingKeyForecaster().fit([s], parentCovariates(s, s.values.map((v) => v * 4)));
    const partial = new Float64Array(H).fill(500);
    partial[30] = Number.NaN;
    await expect(fitted.predict(H, new Map([[s.id, { future: { parent: partial } }]]))).rejects.toMatchObject({ code: 'MISSING_COVARIATE' });
    await expect(fitted.predict(H, new Map([[s.id, { future: { parent: new Float64Array(10) } }]]))).rejects.toMatchObject({ code: 'COVARIATE_LENGTH' });
  });
});

describe('shallow history', () => {
  it('forecasts a new series from 3 days, labelled, with wider bands than the profile errors', async () => {
    const s = simulatedLoad(3, { noise: 2 });
    const [f] = await (await createShallowHistoryForecaster().fit([s])).predict(H);
    expect(f.model).toBe('shallow-history');
    expect(f.fallbackReason).toBe('short-history');
    expect(f.mean[19]).toBeGreaterThan(f.mean[3] + 20);
    const narrow = (await (await createShallowHistoryForecaster({ widen: 1 }).fit([s])).predict(H))[0];
    expect(f.quantiles['0.9'][0] - f.quantiles['0.1'][0]).toBeGreaterThan(narrow.quantiles['0.9'][0] - narrow.quantiles['0.1'][0]);
    expect(allFinite(f)).toBe(true);
  });

  it('works from a single day', async () => {
    const [f] = await (await createShallowHistoryForecaster().fit([simulatedLoad(1)])).predict(H);
    expect(allFinite(f)).toBe(true);
  });
});

describe.each<[string, () => Forecaster, number, (s: Series) => Map<string, Covariates> | undefined]>([
  ['seasonal-naive', () => createSeasonalNaiveForecaster({ period: 'day' }), 2 * 24, () => undefined],
  ['profile', () => createProfileForecaster(), 7 * 24, () => undefined],
  ['sharing-key', () => createSharingKeyForecaster(), 24, (s) => parentCovariates(s, new Float64Array(s.values.length).fill(400))],
  ['shallow-history', () => createShallowHistoryForecaster(), 24, () => undefined],
])('%s on bad input', (kind, make, minHistory, cov) => {
  it('states its minimum history', () => {
    expect(make().capabilities.minHistory).toBe(minHistory);
  });

  it('rejects a history shorter than its minimum', async () => {
    const s = slice(simulatedLoad(14), 0, minHistory - 1);
    await expect(make().fit([s], cov(s))).rejects.toMatchObject({ code: 'HISTORY_TOO_SHORT' });
  });

  it('rejects an all-missing window', async () => {
    const s = { ...simulatedLoad(14), values: new Float64Array(14 * 24).fill(Number.NaN) };
    await expect(make().fit([s], cov(s))).rejects.toMatchObject({ code: 'HISTORY_MISSING' });
  });

  it.each([
    ['constant', (v: Float64Array) => v.fill(42)],
    ['zeros', (v: Float64Array) => v.fill(0)],
    ['NaN inside', (v: Float64Array) => v.forEach((_, i) => (i % 7 === 3 ? (v[i] = Number.NaN) : 0))],
  ])('gives a finite forecast for %s values', async (_name, mutate) => {
    const s = simulatedLoad(14);
    mutate(s.values);
    const fitted = await make().fit([s], cov(s));
    const [f] = await fitted.predict(H, new Map([[s.id, { future: { parent: new Float64Array(H).fill(400) } }]]), [0.05, 0.5, 0.95]);
    expect(f.model).toBe(kind);
    expect(allFinite(f)).toBe(true);
    expect(Object.keys(f.quantiles)).toEqual(['0.05', '0.5', '0.95']);
  });

  it('rejects a bad horizon or quantile level', async () => {
    const s = simulatedLoad(14);
    const fitted = await make().fit([s], cov(s));
    await expect(fitted.predict(0)).rejects.toMatchObject({ code: 'INVALID_HORIZON' });
    await expect(fitted.predict(3, new Map([[s.id, { future: { parent: new Float64Array(3).fill(1) } }]]), [1.2])).rejects.toMatchObject({ code: 'INVALID_QUANTILE' });
  });
});
