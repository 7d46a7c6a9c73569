import { describe, expect, it } from 'vitest';
import { createProfileForecaster } from '../fallback/profile.ts';
import { normals, simulatedLoad, slice } from '../fallback/__fixtures__/simulated-load.ts';
import { applyCalibration, calibrateFromOutcomes, errorsByStep, type ForecastOutcome } from './calibrate.ts';
import { addQuantiles, coverage, errorAt, errorQuantiles } from './empirical.ts';

describe('empirical error quantiles', () => {
  it('reads any level, never crosses, stays finite', () => {
    const g = normals(3);
    const byStep = Array.from({ length: 12 }, (_, h) => Array.from({ length: 200 }, () => (1 + h / 4) * g()));
    const eq = errorQuantiles(byStep);
    const mean = new Float64Array(20).fill(100);
    const q = addQuantiles(mean, eq, [0.9, 0.025, 0.1, 0.5, 0.975]);
    expect(Object.keys(q)).toEqual(['0.025', '0.1', '0.5', '0.9', '0.975']);
    for (let i = 0; i < 20; i++) {
      const row = ['0.025', '0.1', '0.5', '0.9', '0.975'].map((k) => q[k][i]);
      expect(row.every(Number.isFinite)).toBe(true);
      expect([...row].sort((a, b) => a - b)).toEqual(row);
    }
    // Spread grows with the step as simulated: sd 1 at step 1, 3.75 at step 12 (reused beyond).
    expect(errorAt(eq, 0, 0.9) - errorAt(eq, 0, 0.1)).toBeCloseTo(2 * 1.2816, 0);
    expect((errorAt(eq, 11, 0.9) - errorAt(eq, 11, 0.1)) / (2 * 1.2816 * 3.75)).toBeCloseTo(1, 0);
    expect(errorAt(eq, 19, 0.9)).toBe(errorAt(eq, 11, 0.9));
  });

  it('pools neighbouring steps when a step has few errors', () => {
    const eq = errorQuantiles([[1], [2], [3], [4], [5]], 3);
    expect(errorAt(eq, 0, 0.5)).toBe(2);
    expect(errorAt(eq, 2, 0.5)).toBe(3);
    expect(() => errorQuantiles([[Number.NaN], []])).toThrow(/no finite forecast errors/);
  });
});

describe('coverage on a held-out simulated series', () => {
  it('profile model: the 10–90 band covers 72–88 % of 4 held-out weeks', async () => {
    const s = simulatedLoad(8 * 7, { seed: 5 });
    const train = slice(s, 0, 4 * 7 * 24);
    const [f] = await (await createProfileForecaster({ weeks: 4 }).fit([train])).predict(4 * 7 * 24);
    const actual = s.values.subarray(4 * 7 * 24);
    const c = coverage(actual, f.quantiles['0.1'], f.quantiles['0.9']);
    expect(c).toBeGreaterThanOrEqual(0.72);
    expect(c).toBeLessThanOrEqual(0.88);
  });

  it('calibration from past (forecast, actual) pairs fixes a too-narrow model', async () => {
    // A model that forecasts the true shape but claims no uncertainty; AR(1) noise makes errors grow with the step.
    const s = simulatedLoad(120, { seed: 9, phi: 0.7, noise: 6 });
    const clean = simulatedLoad(120, { seed: 9, phi: 0.9, noise: 0 });
    const origins = (from: number, to: number): ForecastOutcome[] => {
      const out: ForecastOutcome[] = [];
      for (let t = from; t + 24 <= to; t += 6) out.push({ mean: clean.values.slice(t, t + 24), actual: s.values.slice(t, t + 24) });
      return out;
    };
    const past = origins(0, 80 * 24);
    const eq = calibrateFromOutcomes(past);
    expect(errorsByStep(past)[0].length).toBe(317);
    let inside = 0;
    let total = 0;
    for (const o of origins(80 * 24, 120 * 24)) {
      const f = applyCalibration({ seriesId: 'x', start: new Date(0), stepSec: 3600, mean: o.mean, quantiles: {}, model: 'test' }, eq);
      total += o.actual.length;
      inside += coverage(o.actual, f.quantiles['0.1'], f.quantiles['0.9']) * o.actual.length;
    }
    expect(inside / total).toBeGreaterThanOrEqual(0.72);
    expect(inside / total).toBeLessThanOrEqual(0.88);
  });

  it('refuses misaligned pairs', () => {
    expect(() => errorsByStep([{ mean: new Float64Array(3), actual: new Float64Array(2) }])).toThrow(/align/);
  });
});
