import { describe, expect, it } from 'vitest';
import type { Covariates, FittedForecaster, Forecaster, Series } from '../../core/types.ts';
import { decodeState } from '../artifact.ts';
import { createProfileForecaster } from '../fallback/profile.ts';
import { createGamArimaForecaster, gamArimaBaseArtifact, gamArimaFromArtifact } from '../gam-arima.ts';
import { simulatedLoadWithWeather } from '../gam/__fixtures__/simulated.ts';
import { createGamForecaster, gamFromArtifact, gamSeriesOf } from '../gam/gam-forecaster.ts';
import { kalmanFilter, scaledIdentity } from './kalman.ts';
import { Q_GRID } from './term-adaptation.ts';

/** 70 days of training; from day 70 on the load is 25 % higher (a new large consumer), which the GAM cannot know. */
const trainDays = 70;
const testDays = 8;
const { series, temperature } = simulatedLoadWithWeather(trainDays + testDays);
const jump = Float64Array.from(series.values, (v, i) => (i >= trainDays * 24 ? 1.25 * v : v));
const upTo = (days: number): Series => ({ ...series, values: jump.slice(0, days * 24) });
const cov = (from: number, to: number): Map<string, Covariates> => new Map([[series.id, { future: { temperature: temperature.slice(from * 24, to * 24) } }]]);
const params = { calendar: { country: 'US' }, halfLivesHours: [24], hourKnots: 8, tempKnots: 5, tempHourKnots: 4, inertiaKnots: 4 };
const gamFit = await createGamForecaster(params).fit([upTo(trainDays)], cov(0, trainDays));
/** The one GAM fit under both variants. */
const fitted: Forecaster = { ...createGamForecaster(params), fit: async () => gamFit };
const make = (online: 'kalman' | 'off') => createGamArimaForecaster(fitted, { online, refitArimaOnCondition: false, maxP: 1, maxQ: 1, dailySeasonalAr: false });
const [kalman, off] = await Promise.all([make('kalman').fit([upTo(trainDays)], cov(0, trainDays)), make('off').fit([upTo(trainDays)], cov(0, trainDays))]);
const onlineOf = (f: FittedForecaster) => (decodeState(f.toArtifact().state) as { series: { online?: { q: number; theta: unknown; sigma2: number; labels: string[] } }[] }).series[0].online;

describe("gam-arima online: 'kalman'", () => {
  it('at fit, filters the GAM terms over the history: the state equals a hand run of the filter on them', () => {
    const o = onlineOf(kalman)!;
    expect(Q_GRID).toContain(o.q);
    expect(o.labels[0]).toBe('(Intercept)');
    const terms = gamFit.terms!.history([upTo(trainDays)], cov(0, trainDays), Number.NEGATIVE_INFINITY).get(series.id)!;
    // Term contributions sum to the GAM's own fit.
    const fit = Float64Array.from(gamFit.residuals().get(series.id)!, (r, i) => Math.log(jump[i] - r));
    for (let i = 0; i < fit.length; i += 97) expect(terms.values.reduce((s, v) => s + v[i], 0)).toBeCloseTo(fit[i], 9);
    const state = decodeState(gamArimaFromArtifact(kalman.toArtifact(), gamFromArtifact).toArtifact().state) as { series: { online: { scales: Float64Array; theta: Float64Array } }[] };
    const { scales, theta } = state.series[0].online;
    // The intercept is constant: divided by its own value, so its multiplier starts at it.
    expect(scales[terms.labels.indexOf('(Intercept)')]).toBeCloseTo(terms.values[terms.labels.indexOf('(Intercept)')][0], 12);
    const d = scales.length;
    expect(d).toBe(terms.labels.length);
    const n = trainDays * 24;
    const X = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X[i * d + j] = terms.values[j][i] / scales[j];
    const advance = Array.from({ length: n }, (_, i) => (i > 0 && i % 24 === 0 ? 1 : 0));
    const run = kalmanFilter({ theta: Float64Array.from(scales), P: scaledIdentity(d, 1) }, X, Array.from(upTo(trainDays).values, Math.log), scaledIdentity(d, o.q), advance);
    expect(theta).toHaveLength(d);
    Array.from(run.state.theta).forEach((v, j) => expect(theta[j]).toBeCloseTo(v, 10));
  });

  it('condition() moves the state without refitting the GAM, and follows a level jump the GAM cannot see', async () => {
    let k = kalman;
    let o = off;
    let errK = 0;
    let errO = 0;
    for (let day = trainDays; day < trainDays + testDays - 1; day++) {
      if (day > trainDays) {
        k = await k.condition!([upTo(day)], cov(0, day));
        o = await o.condition!([upTo(day)], cov(0, day));
      }
      const [fk] = await k.predict(24, cov(day, day + 1));
      const [fo] = await o.predict(24, cov(day, day + 1));
      for (let i = 0; i < 24; i++) {
        const a = jump[day * 24 + i];
        errK += Math.abs(fk.mean[i] - a) / a;
        errO += Math.abs(fo.mean[i] - a) / a;
      }
    }
    expect(errK).toBeLessThan(errO);
    // The level (the intercept's multiplier, on log-load) has moved up towards the jump (log 1.25 = 0.22).
    const level = (f: FittedForecaster) => (onlineOf(f)!.theta as Float64Array)[0];
    expect(level(k) - level(kalman)).toBeGreaterThan(0.01);
    const gamBefore = gamSeriesOf(gamArimaBaseArtifact(kalman.toArtifact()), series.id)!.model.beta;
    const gamAfter = gamSeriesOf(gamArimaBaseArtifact(k.toArtifact()), series.id)!.model.beta;
    expect(Array.from(gamAfter)).toEqual(Array.from(gamBefore));
    expect(onlineOf(k)!.theta).not.toEqual(onlineOf(kalman)!.theta);
    expect(onlineOf(k)!.sigma2).toBe(onlineOf(kalman)!.sigma2);
  });

  it('reloads bit-identically from a JSON artifact: same forecast, and the same state after conditioning', async () => {
    const again = gamArimaFromArtifact(JSON.parse(JSON.stringify(kalman.toArtifact())), gamFromArtifact);
    const [a] = await kalman.predict(24, cov(trainDays, trainDays + 1));
    const [b] = await again.predict(24, cov(trainDays, trainDays + 1));
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    expect(Array.from(b.quantiles['0.9'])).toEqual(Array.from(a.quantiles['0.9']));
    const ca = await kalman.condition!([upTo(trainDays + 2)], cov(0, trainDays + 2));
    const cb = await again.condition!([upTo(trainDays + 2)], cov(0, trainDays + 2));
    expect(JSON.stringify(cb.toArtifact())).toBe(JSON.stringify(ca.toArtifact()));
  });

  it('conditioning on a history that does not extend the filtered one refilters it from the start with the same q', async () => {
    const later = await kalman.condition!([upTo(trainDays + 2)], cov(0, trainDays + 2));
    const shorter = await later.condition!([upTo(trainDays + 1)], cov(0, trainDays + 1));
    const direct = await kalman.condition!([upTo(trainDays + 1)], cov(0, trainDays + 1));
    expect((onlineOf(shorter)!.theta as Float64Array).length).toBeGreaterThan(1);
    Array.from(onlineOf(direct)!.theta as Float64Array).forEach((v, j) => expect((onlineOf(shorter)!.theta as Float64Array)[j]).toBeCloseTo(v, 8));
  });

  it('refuses an unknown online mode', () => {
    expect(() => createGamArimaForecaster(fitted, { online: 'kalmann' as 'kalman' })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
  });

  it('refuses a base without term contributions', async () => {
    const model = createGamArimaForecaster(createProfileForecaster({ weeks: 2 }), { online: 'kalman' });
    await expect(model.fit([upTo(trainDays)])).rejects.toMatchObject({ code: 'ONLINE_UNSUPPORTED' });
  });
});

describe("gam-arima online: 'kalman' through a backtest's refit chain", () => {
  it('a refit adapts over the grown history as a fit does: same state as a fresh fit over the refitted GAM', async () => {
    const model = createGamArimaForecaster(createGamForecaster(params), { online: 'kalman', refitArimaOnCondition: false, maxP: 1, maxQ: 1, dailySeasonalAr: false });
    const first = await model.fit([upTo(trainDays - 3)], cov(0, trainDays - 3), { refittable: true });
    expect(first.refit).toBeDefined();
    const refitted = await first.refit!([upTo(trainDays)], cov(0, trainDays));
    const o = onlineOf(refitted)!;
    expect(o).toBeDefined();
    // The same ARIMA-and-filter step run by hand over the refitted GAM gives the same state.
    const baseOnly = gamArimaBaseArtifact(refitted.toArtifact());
    const again = await createGamArimaForecaster({ ...createGamForecaster(params), fit: async () => gamFromArtifact(baseOnly) }, { online: 'kalman', refitArimaOnCondition: false, maxP: 1, maxQ: 1, dailySeasonalAr: false }).fit([upTo(trainDays)], cov(0, trainDays));
    expect(onlineOf(again)).toEqual(o);
    const [a] = await refitted.predict(24, cov(trainDays, trainDays + 1));
    const [b] = await again.predict(24, cov(trainDays, trainDays + 1));
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
  });
});
