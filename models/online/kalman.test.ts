import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { concentratedLogLik, kalmanFilter, scaledIdentity, selectQ, sigma2Of, type KalmanState } from './kalman.ts';

/** Written by bench/r/kalman-fixture.R: the textbook filter with σ² explicit, in R. */
const fx = JSON.parse(readFileSync(new URL('./__fixtures__/kalman.json', import.meta.url), 'utf8')) as {
  sigma2: number;
  X: number[];
  y: (string | number)[];
  advance: number[];
  theta0: number[];
  P0: number[];
  Q: number[];
  predicted: number[];
  fromAnchor: number[];
  sumSqAnchor: number;
  thetaAfter: number[][];
  theta: number[];
  P: number[];
  sigma2Hat: number;
  logLik: number;
};
const y = fx.y.map(Number);
const start = (): KalmanState => ({ theta: Float64Array.from(fx.theta0), P: Float64Array.from(fx.P0) });

describe('kalmanFilter against the filter written out in R (3 states, 6 steps)', () => {
  const run = kalmanFilter(start(), Float64Array.from(fx.X), y, Float64Array.from(fx.Q), fx.advance);

  it('gives the same one-step predictions, final θ and P/σ²', () => {
    fx.predicted.forEach((v, t) => expect(run.predicted[t]).toBeCloseTo(v, 12));
    fx.theta.forEach((v, j) => expect(run.state.theta[j]).toBeCloseTo(v, 12));
    fx.P.forEach((v, k) => expect(run.state.P[k]).toBeCloseTo(v, 12));
  });

  it('gives the same predictions from the state at the last transition, and their squared error', () => {
    fx.fromAnchor.forEach((v, t) => expect(run.fromAnchor[t]).toBeCloseTo(v, 12));
    expect(run.sumSqAnchor).toBeCloseTo(fx.sumSqAnchor, 12);
  });

  it('gives the same θ after every step when run one step at a time (the state carries over)', () => {
    let s = start();
    for (let t = 0; t < y.length; t++) {
      const r = kalmanFilter(s, Float64Array.from(fx.X.slice(3 * t, 3 * t + 3)), [y[t]], Float64Array.from(fx.Q), [fx.advance[t]]);
      fx.thetaAfter[t].forEach((v, j) => expect(r.state.theta[j]).toBeCloseTo(v, 12));
      expect(r.fromAnchor[0]).toBeCloseTo(fx.fromAnchor[t], 12);
      s = r.state;
    }
  });

  it('skips the missing observation and estimates σ² and the concentrated likelihood as R', () => {
    expect(run.n).toBe(5);
    expect(sigma2Of(run)).toBeCloseTo(fx.sigma2Hat, 12);
    expect(concentratedLogLik(run)).toBeCloseTo(fx.logLik, 10);
  });

  it('does not modify the starting state', () => {
    const s = start();
    kalmanFilter(s, Float64Array.from(fx.X), y, Float64Array.from(fx.Q), fx.advance);
    expect(Array.from(s.theta)).toEqual(fx.theta0);
  });
});

describe('selectQ', () => {
  it('by either criterion, picks a moving state for drifting coefficients and (next to) Q = 0 for fixed ones', () => {
    const n = 600;
    const X = new Float64Array(2 * n);
    const drift = new Float64Array(n);
    const fixed = new Float64Array(n);
    let u = 12345;
    const rnd = () => ((u = (u * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
    for (let t = 0; t < n; t++) {
      X[2 * t] = 1;
      X[2 * t + 1] = Math.sin(t / 5);
      const level = 10 + (t > n / 2 ? 3 : 0); // a level shift half-way
      drift[t] = level + 2 * X[2 * t + 1] + 0.2 * rnd();
      fixed[t] = 10 + 2 * X[2 * t + 1] + 0.2 * rnd();
    }
    const s = { theta: Float64Array.from([10, 2]), P: scaledIdentity(2, 1) };
    const advance = Array.from({ length: n }, (_, t) => (t % 24 === 0 && t > 0 ? 1 : 0));
    const grid = [0, 1e-4, 1e-2, 1];
    for (const criterion of ['ml', 'anchor-mse'] as const) {
      expect(selectQ(s, X, drift, advance, grid, criterion).q).toBeGreaterThanOrEqual(1e-2);
      // Noise alone: no ratio above the smallest (the squared error differs from Q = 0 only by noise there).
      expect(selectQ(s, X, fixed, advance, grid, criterion).q).toBeLessThanOrEqual(1e-4);
    }
    expect(selectQ(s, X, fixed, advance, grid, 'ml').q).toBe(0);
  });
});
