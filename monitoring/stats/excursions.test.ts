import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalDraws, seededRandom } from '../../core/random.ts';
import { excursions, gaussianExcursionThreshold, gaussianExcursionsPerYear, inSampleThreshold, owenT, spreadAndPersistence } from './excursions.ts';

/** R's values on the same numbers: bench/r/drift-calibration-fixtures.R writes them. */
const fx = JSON.parse(readFileSync(new URL('./__fixtures__/drift-calibration.json', import.meta.url), 'utf8')) as {
  upcrossing: Array<{ h: number; rho: number; p: number }>;
};

/** A stationary Gaussian AR(1) series with unit variance. */
function ar1(n: number, rho: number, seed: number): Float64Array {
  const z = normalDraws(seededRandom(seed));
  const x = new Float64Array(n);
  x[0] = z();
  for (let t = 1; t < n; t++) x[t] = rho * x[t - 1] + Math.sqrt(1 - rho * rho) * z();
  return x;
}

describe("Owen's T and the chance of stepping over a level", () => {
  it("2 T(h, √((1 − ρ)/(1 + ρ))) is Φ(h) − Φ₂(h, h; ρ) as R's bivariate normal (mvtnorm, TVPACK)", () => {
    for (const c of fx.upcrossing) {
      const got = 2 * owenT(c.h, Math.sqrt((1 - c.rho) / (1 + c.rho)));
      expect(Math.abs(got - c.p)).toBeLessThanOrEqual(1e-10 * Math.max(c.p, 1e-6));
    }
  });

  it('at level 0 the episodes are the sign changes, arccos(ρ)/π a step', () => {
    for (const rho of [0, 0.5, 0.95]) expect(gaussianExcursionsPerYear(0, 2, rho, 365) / ((365 * Math.acos(rho)) / Math.PI)).toBeCloseTo(1, 10);
  });
});

describe('expected excursions of a Gaussian series', () => {
  it('match the count on long simulated series, AR(1) and a 14-day moving mean of white noise (only the lag-one correlation enters)', () => {
    const years = 400;
    const n = 365 * years;
    const ar = ar1(n, 0.95, 11);
    const z = normalDraws(seededRandom(12));
    const white = Float64Array.from({ length: n + 13 }, () => z());
    const ma = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let k = 0; k < 14; k++) s += white[t + k];
      ma[t] = s / Math.sqrt(14);
    }
    for (const [x, rho] of [
      [ar, 0.95],
      [ma, 13 / 14],
    ] as const) {
      for (const c of [1, 2, 2.5]) {
        const counted = excursions(x, c) / years;
        const expected = gaussianExcursionsPerYear(c, 1, rho, 365);
        // Poisson-like noise of ~ (expected · years) counts: within 4 of its standard deviations, and 10 %.
        expect(Math.abs(counted - expected)).toBeLessThanOrEqual(Math.max(0.1 * expected, 4 * Math.sqrt(expected / years)));
      }
    }
  });

  it('the threshold for a rate gives that rate, scales with the spread, and rises as the rate falls', () => {
    const c1 = gaussianExcursionThreshold(1, 1, 0.97, 365);
    expect(gaussianExcursionsPerYear(c1, 1, 0.97, 365)).toBeCloseTo(1, 5);
    expect(gaussianExcursionThreshold(1, 0.5, 0.97, 365)).toBeCloseTo(c1 / 2, 5);
    expect(gaussianExcursionThreshold(0.2, 1, 0.97, 365)).toBeGreaterThan(c1);
    // a smoother series crosses less often: a lower threshold holds the same rate
    expect(gaussianExcursionThreshold(1, 1, 0.995, 365)).toBeLessThan(c1);
    expect(gaussianExcursionThreshold(1000, 1, 0.97, 365)).toBe(0);
  });
});

describe('excursions on a sample', () => {
  it('counts runs of |x| ≥ c on either side; a missing value ends a run', () => {
    const x = [0, 2, 2.5, 0, -3, -2, 1, 2, Number.NaN, 2, 0];
    expect(excursions(x, 2)).toBe(4);
    expect(excursions(x, 2.5)).toBe(2);
    expect(excursions(x, 3.1)).toBe(0);
  });

  it('the in-sample threshold: just above the largest |x| when none is allowed; no level from it up raises more than allowed', () => {
    const x = [0, 1, 3, 1, 0, -2.5, 0, 2, 2.2, 2, 0];
    expect(inSampleThreshold(x, 0)).toBeGreaterThan(3);
    expect(inSampleThreshold(x, 0)).toBeLessThan(3 + 1e-9);
    expect(excursions(x, inSampleThreshold(x, 0))).toBe(0);
    // at 2.5 two runs (3 and −2.5), above it one
    expect(inSampleThreshold(x, 1)).toBeGreaterThan(2.5);
    expect(inSampleThreshold(x, 1)).toBeLessThan(2.5 + 1e-9);
    expect(inSampleThreshold(x, 2)).toBeGreaterThan(2.2);
    // not monotone: at 2 and at 1 three runs, at 0 one (every value is ≥ 0): nothing raises four
    expect(excursions(x, 1)).toBe(3);
    expect(excursions(x, 0)).toBe(1);
    expect(inSampleThreshold(x, 3)).toBe(0);
    expect(inSampleThreshold([], 0)).toBe(0);
  });

  it('spread about zero and lag-one correlation of consecutive finite pairs', () => {
    const r = spreadAndPersistence([1, 2, Number.NaN, 3, 4]);
    expect(r.n).toBe(4);
    expect(r.rms).toBeCloseTo(Math.sqrt(30 / 4), 12);
    expect(r.rho).toBeCloseTo((1 * 2 + 3 * 4) / Math.sqrt((1 + 9) * (4 + 16)), 12);
    expect(spreadAndPersistence(ar1(365 * 200, 0.9, 3)).rho).toBeCloseTo(0.9, 2);
  });
});
