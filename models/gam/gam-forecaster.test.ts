import { describe, expect, it } from 'vitest';
import type { Covariates, Series } from '../../core/types.ts';
import { simulatedLoadWithWeather } from './__fixtures__/simulated.ts';
import { decodeState, encodeState } from '../artifact.ts';
import { createGamForecaster, gamFromArtifact, gamSeriesOf, gamSummary } from './gam-forecaster.ts';

const days = 150;
const { series, temperature } = simulatedLoadWithWeather(days + 7);
const n = days * 24;
const history: Series = { ...series, values: series.values.slice(0, n) };
const cov = (t: Float64Array): Map<string, Covariates> => new Map([[series.id, { future: { temperature: t } }]]);
const histTemp = temperature.slice(0, n);
const futTemp = temperature.slice(n, n + 48);
const actual = series.values.slice(n, n + 48);
const params = { calendar: { country: 'US' }, halfLivesHours: [24, 72], hourKnots: 9, tempKnots: 6, tempHourKnots: 5, inertiaKnots: 5 };
const fitted = await createGamForecaster(params).fit([history], cov(histTemp));

const mape = (a: Float64Array, f: Float64Array) => a.reduce((s, v, i) => s + Math.abs((v - f[i]) / v), 0) / a.length;

describe('GAM forecaster', () => {
  it('forecasts a weather-driven load day-ahead', async () => {
    const [fc] = await fitted.predict(48, cov(futTemp), [0.1, 0.5, 0.9]);
    expect(fc.model).toBe('gam');
    expect(fc.start.getTime()).toBe(history.start.getTime() + n * 3_600_000);
    expect(mape(actual, fc.mean)).toBeLessThan(0.03);
    for (let i = 0; i < 48; i++) expect(fc.quantiles['0.1'][i]).toBeLessThan(fc.quantiles['0.9'][i]);
    const labels = gamSummary(fitted)[0].smooths.map((s) => s.label);
    expect(labels).toContain('te(temp,hour)');
    expect(labels).toContain('te(temp_s72h,hour)');
  });

  it('reloads from a JSON artifact and predicts identically', async () => {
    const json = JSON.parse(JSON.stringify(fitted.toArtifact()));
    const again = gamFromArtifact(json);
    const [a] = await fitted.predict(48, cov(futTemp));
    const [b] = await again.predict(48, cov(futTemp));
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    expect(Array.from(b.quantiles['0.9'])).toEqual(Array.from(a.quantiles['0.9']));
    expect(Array.from(again.residuals().get(series.id)!)).toEqual(Array.from(fitted.residuals().get(series.id)!));
  });

  it('keeps the posterior covariance as its upper triangle, and still reads artifacts holding the whole matrix', async () => {
    const a = fitted.toArtifact();
    const model = gamSeriesOf(a, series.id)!.model;
    const p = model.beta.length;
    const stored = decodeState((a.state as { series: Array<{ model: { vp: unknown } }> }).series[0].model.vp) as Float64Array;
    expect(stored.length).toBe((p * (p + 1)) / 2);
    for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) expect(model.vp[r * p + c]).toBe(model.vp[c * p + r]);
    // The form written before: the whole p × p matrix.
    const whole = structuredClone(a);
    (whole.state as { series: Array<{ model: { vp: unknown } }> }).series[0].model.vp = encodeState(model.vp);
    expect(Array.from(gamSeriesOf(whole, series.id)!.model.vp)).toEqual(Array.from(model.vp));
    const [x] = await gamFromArtifact(whole).predict(48, cov(futTemp));
    const [y] = await gamFromArtifact(a).predict(48, cov(futTemp));
    expect(Array.from(x.quantiles['0.9'])).toEqual(Array.from(y.quantiles['0.9']));
  });

  it('condition() continues the temperature state: same numbers as predicting through the new days', async () => {
    const longer: Series = { ...series, values: series.values.slice(0, n + 24) };
    const moved = await fitted.condition!([longer], cov(temperature.slice(0, n + 24)));
    const [viaCondition] = await moved.predict(24, cov(temperature.slice(n + 24, n + 48)));
    const [through] = await fitted.predict(48, cov(futTemp));
    viaCondition.mean.forEach((v, i) => expect(v).toBeCloseTo(through.mean[24 + i], 9));
  });

  it('works without weather (calendar-only formula) and on a constant series', async () => {
    const calOnly = await createGamForecaster(params).fit([history]);
    const [fc] = await calOnly.predict(24);
    expect(fc.mean.every(Number.isFinite)).toBe(true);
    expect(gamSummary(calOnly)[0].smooths.some((s) => s.label.includes('temp'))).toBe(false);
    const flat: Series = { ...history, values: new Float64Array(n).fill(50) };
    const [c] = await (await createGamForecaster({ ...params, temperature: 'none' }).fit([flat])).predict(24);
    c.mean.forEach((v) => expect(v).toBeCloseTo(50, 6));
  });

  it('drops missing load hours from the fit', async () => {
    const gappy: Series = { ...history, values: Float64Array.from(history.values, (v, i) => (i % 50 === 0 ? Number.NaN : v)) };
    const f = await createGamForecaster(params).fit([gappy], cov(histTemp));
    expect(gamSummary(f)[0].n).toBe(n - Math.ceil(n / 50));
    const [fc] = await f.predict(24, cov(futTemp.subarray(0, 24)));
    expect(mape(actual.subarray(0, 24), fc.mean)).toBeLessThan(0.03);
  });

  it('refuses bad input with codes, never a NaN forecast', async () => {
    expect(() => createGamForecaster({ hourKnots: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
    expect(() => createGamForecaster({ calendar: { country: 'US', holiday: 'x' } } as never)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
    const gam = createGamForecaster(params);
    await expect(gam.fit([{ ...history, values: history.values.slice(0, 24 * 10) }])).rejects.toMatchObject({ code: 'HISTORY_TOO_SHORT' });
    await expect(gam.fit([{ ...history, values: new Float64Array(n).fill(Number.NaN) }])).rejects.toMatchObject({ code: 'HISTORY_MISSING' });
    await expect(gam.fit([history], cov(histTemp.subarray(1)))).rejects.toMatchObject({ code: 'COVARIATE_LENGTH' });
    await expect(fitted.predict(24)).rejects.toMatchObject({ code: 'MISSING_COVARIATE' });
    const partial = Float64Array.from(futTemp.subarray(0, 24), (v, i) => (i >= 20 ? Number.NaN : v));
    await expect(fitted.predict(24, cov(partial))).rejects.toMatchObject({ code: 'COVARIATE_MISSING_VALUES' });
    await expect(fitted.predict(0, cov(futTemp))).rejects.toMatchObject({ code: 'INVALID_HORIZON' });
    await expect(createGamForecaster({ logTarget: true }).fit([{ ...history, values: new Float64Array(n).fill(-1) }])).rejects.toMatchObject({ code: 'GAM_NONPOSITIVE_LOAD' });
  });
});

describe('GAM forecaster condition()', () => {
  it('gives the same residuals whether it extends the history or recomputes it', async () => {
    const longer: Series = { ...series, values: series.values.slice(0, n + 30) };
    const extended = await fitted.condition!([longer], cov(temperature.slice(0, n + 30)));
    const shifted: Series = { ...series, start: new Date(series.start.getTime() + 24 * 3_600_000), values: series.values.slice(24, n + 30) };
    const recomputed = await fitted.condition!([shifted], cov(temperature.slice(24, n + 30)));
    const a = extended.residuals().get(series.id)!;
    const b = recomputed.residuals().get(series.id)!;
    expect(a).toHaveLength(n + 30);
    // The recomputed temperature features start cold, so compare once the 3-day smoothing has forgotten its start.
    for (let i = 24 * 60; i < b.length; i++) expect(b[i]).toBeCloseTo(a[i + 24], 3);
  });
});

describe('GAM forecaster trained on forecast-like temperatures', () => {
  it('fits on the perturbed temperatures, reproducibly, but keeps its in-sample residuals on the observations', async () => {
    const gam = createGamForecaster({ ...params, trainingTemperatureErrorSd: 2 });
    const noisy = await gam.fit([history], cov(histTemp));
    const again = await gam.fit([history], cov(histTemp));
    const [a] = await noisy.predict(24, cov(futTemp.subarray(0, 24)));
    const [b] = await again.predict(24, cov(futTemp.subarray(0, 24)));
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    const [clean] = await fitted.predict(24, cov(futTemp.subarray(0, 24)));
    expect(Array.from(a.mean)).not.toEqual(Array.from(clean.mean));
    expect(mape(actual.subarray(0, 24), a.mean)).toBeLessThan(0.03);
    // condition() on a history with another start recomputes every fitted value from the observed temperatures.
    const shifted: Series = { ...series, start: new Date(series.start.getTime() + 24 * 3_600_000), values: series.values.slice(24, n) };
    const recomputed = (await noisy.condition!([shifted], cov(temperature.slice(24, n)))).residuals().get(series.id)!;
    const own = noisy.residuals().get(series.id)!;
    for (let i = 24 * 60; i < recomputed.length; i++) expect(recomputed[i]).toBeCloseTo(own[i + 24], 3);
  });
});

describe('GAM forecaster across DST', () => {
  it('keeps the daily shape on local time in Europe/Paris through the 23 h day', async () => {
    const paris = simulatedLoadWithWeather(100, 9, 'Europe/Paris');
    const cut = 95 * 24; // after the 2024-03-31 change
    const errorWith = async (timeZone: string) => {
      const h: Series = { ...paris.series, timeZone, values: paris.series.values.slice(0, cut) };
      const f = await createGamForecaster(params).fit([h], new Map([[h.id, { future: { temperature: paris.temperature.slice(0, cut) } }]]));
      const [fc] = await f.predict(48, new Map([[h.id, { future: { temperature: paris.temperature.slice(cut, cut + 48) } }]]));
      return mape(paris.series.values.slice(cut, cut + 48), fc.mean);
    };
    const local = await errorWith('Europe/Paris');
    expect(local).toBeLessThan(0.03);
    // The same data read on UTC clock hours puts the summer peaks an hour off.
    expect(local).toBeLessThan(await errorWith('UTC'));
  });
});

const upTo = (m: number): Series => ({ ...series, values: series.values.slice(0, m) });
const gam = createGamForecaster(params);
const first = await gam.fit([history], cov(histTemp), { refittable: true });

describe('GAM forecaster refit()', () => {
  it('is offered only by a fit asked to be refittable, and kept through condition()', async () => {
    expect(fitted.refit).toBeUndefined();
    expect(first.refit).toBeDefined();
    expect((await first.condition!([upTo(n + 24)], cov(temperature.slice(0, n + 24)))).refit).toBeDefined();
  });

  it('on two more days, forecasts as a fresh fit does (same design, the new rows added)', async () => {
    const m = n + 48;
    const again = await first.refit!([upTo(m)], cov(temperature.slice(0, m)));
    const fresh = await gam.fit([upTo(m)], cov(temperature.slice(0, m)));
    expect(gamSummary(again)[0].n).toBe(gamSummary(fresh)[0].n);
    const horizon = cov(temperature.slice(m, m + 24));
    const [a] = await again.predict(24, horizon);
    const [b] = await fresh.predict(24, horizon);
    expect(a.start.getTime()).toBe(b.start.getTime());
    // Only the knots, constraints and penalty scaling of the first 150 days differ from a fresh fit's.
    a.mean.forEach((v, i) => expect(Math.abs(v / b.mean[i] - 1)).toBeLessThan(2e-3));
    const ra = again.residuals().get(series.id)!;
    expect(ra).toHaveLength(m);
    expect(ra.every(Number.isFinite)).toBe(true);
  });

  it('fits from scratch, exactly as fit() does, when a value before the old end changed', async () => {
    const m = n + 24;
    const edited: Series = { ...upTo(m), values: Float64Array.from(series.values.slice(0, m), (v, i) => (i === 100 ? v * 1.1 : v)) };
    const again = await first.refit!([edited], cov(temperature.slice(0, m)));
    const fresh = await gam.fit([edited], cov(temperature.slice(0, m)));
    const horizon = cov(temperature.slice(m, m + 24));
    expect(Array.from((await again.predict(24, horizon))[0].mean)).toEqual(Array.from((await fresh.predict(24, horizon))[0].mean));
  });
});
