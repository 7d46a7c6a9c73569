import { describe, expect, it } from 'vitest';
import type { FittedForecaster, Series } from '../core/types.ts';
import { createProfileForecaster } from './fallback/profile.ts';
import { simulatedLoad, slice } from './fallback/__fixtures__/simulated-load.ts';
import { createGamArimaForecaster } from './gam-arima.ts';
import { coverage } from './quantiles/empirical.ts';

const DAY = 24;

describe('gam-arima (profile as the base until the GAM lands)', () => {
  const s = simulatedLoad(10 * 7, { phi: 0.85, noise: 6, seed: 21 });
  const trainEnd = 8 * 7 * DAY;

  // One fit shared by the checks below: the ARIMA order search takes a few seconds.
  const base = createProfileForecaster({ weeks: 4 });
  const train = slice(s, 0, trainEnd);
  let fittedOnce: Promise<FittedForecaster> | undefined;
  // Conditioning only moves the ARIMA state here (fast); the refitting path has its own test below.
  const fit = () => (fittedOnce ??= createGamArimaForecaster(base, { windowDays: 42, refitArimaOnCondition: false }).fit([train]));

  it('uses the last known values: beats its base on the next hour, with calibrated bands', async () => {
    let fitted = await fit();
    let errComposite = 0;
    let errBase = 0;
    let inside = 0;
    let total = 0;
    for (let origin = trainEnd; origin + DAY <= s.values.length; origin += 6) {
      if (origin > trainEnd) fitted = await fitted.condition!([slice(s, 0, origin)]);
      const [f] = await fitted.predict(DAY);
      const [b] = await (await base.fit([slice(s, 0, origin)])).predict(DAY);
      expect(f.model).toBe('profile+arima');
      expect(f.fallbackReason).toBeUndefined();
      expect(f.start.getTime()).toBe(b.start.getTime());
      const actual = s.values.subarray(origin, origin + DAY);
      errComposite += Math.abs(actual[0] - f.mean[0]);
      errBase += Math.abs(actual[0] - b.mean[0]);
      inside += coverage(actual, f.quantiles['0.1'], f.quantiles['0.9']) * DAY;
      total += DAY;
    }
    expect(errComposite).toBeLessThan(0.8 * errBase);
    const cover = inside / total;
    expect(cover).toBeGreaterThanOrEqual(0.72);
    expect(cover).toBeLessThanOrEqual(0.88);
  });

  it('decays to the base forecast over a week', async () => {
    const [f] = await (await fit()).predict(7 * DAY);
    const [b] = await (await base.fit([train])).predict(7 * DAY);
    expect(Math.abs(f.mean[7 * DAY - 1] - b.mean[7 * DAY - 1])).toBeLessThan(1);
    expect(Math.abs(f.mean[0] - b.mean[0])).toBeGreaterThan(1);
  });

  it('with refitArimaOnCondition, condition() refits the ARIMA: same forecast as a fresh fit on that history', async () => {
    // The profile base has no parameters beyond its data, so a fresh fit is the reference.
    const model = createGamArimaForecaster(base, { windowDays: 42, refitArimaOnCondition: true });
    const later = slice(s, 0, trainEnd + 3 * DAY);
    const conditioned = await (await model.fit([train])).condition!([later]);
    const [c] = await conditioned.predict(DAY);
    const [f] = await (await model.fit([later])).predict(DAY);
    expect(Array.from(c.mean)).toEqual(Array.from(f.mean));
    expect(Array.from(c.quantiles['0.9'])).toEqual(Array.from(f.quantiles['0.9']));
  });

  it('labels the AR least-squares fallback when the ARIMA worker times out', async () => {
    const [f] = await (await createGamArimaForecaster(createProfileForecaster(), { timeoutMs: 1 }).fit([slice(s, 0, trainEnd)])).predict(DAY);
    expect(f.model).toBe('profile+arima');
    expect(f.fallbackReason).toMatch(/did not answer.*AR least squares used/);
    expect(f.mean.every(Number.isFinite)).toBe(true);
  });

  it('rejects an unknown arimaEstimation', () => {
    expect(() => createGamArimaForecaster(base, { arimaEstimation: 'ml' as 'css' })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', message: expect.stringMatching(/auto, css, css-ml/) }));
  });

  it('passes the base errors through and never outputs NaN on degenerate series', async () => {
    const model = createGamArimaForecaster(createProfileForecaster(), { dailySeasonalAr: false });
    await expect(model.fit([slice(s, 0, 3 * DAY)])).rejects.toMatchObject({ code: 'HISTORY_TOO_SHORT' });
    const flat: Series = { ...slice(s, 0, 14 * DAY), values: new Float64Array(14 * DAY).fill(50) };
    const [f] = await (await model.fit([flat])).predict(DAY);
    expect(f.mean.every((v) => v === 50)).toBe(true);
    expect(Object.values(f.quantiles).every((q) => q.every(Number.isFinite))).toBe(true);
    expect(f.fallbackReason).toMatch(/constant residuals/);
  });
});
