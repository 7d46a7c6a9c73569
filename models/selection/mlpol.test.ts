import { describe, expect, it } from 'vitest';
import { initialMlpol, lossOf, mlpol, mlpolRegretBound, mlpolUpdate, mlpolWeights, regretScale, type AggregationLoss } from './mlpol.ts';

/** Deterministic pseudo-random numbers in [0, 1). */
const rand = (i: number) => {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
};

describe('ML-Poly aggregation', () => {
  it('updates as computed by hand on two experts and two one-step rounds', () => {
    // y = 2, 2; expert A forecasts 1, expert B 4; absolute loss.
    // Scale: |slope| 1 × spread 3 → c = 9.
    // Round 1: uniform weights, p = 2.5 > y: slope +1, r = (2.5 − 1, 2.5 − 4) = (1.5, −1.5).
    // Round 2: weights ∝ (1.5 / (9 + 2.25), 0) = (1, 0); p = 1 < y: slope −1, r = (−(1 − 1), −(1 − 4)) = (0, 3).
    // After: R = (1.5, 1.5), S = (2.25, 11.25): w ∝ (1.5 / 11.25, 1.5 / 20.25) = (2/15, 2/27) → (27/42, 15/42).
    const y = [2, 2];
    const experts = [
      [1, 1],
      [4, 4],
    ];
    expect(regretScale(y, experts, [1, 1], 'absolute')).toBe(3);
    const m = mlpol(y, experts, [1, 1], { loss: 'absolute' });
    expect(m.roundWeights).toEqual([
      [0.5, 0.5],
      [1, 0],
    ]);
    expect(Array.from(m.predictions)).toEqual([2.5, 1]);
    expect(m.state.regret).toEqual([1.5, 1.5]);
    expect(m.weights[0]).toBeCloseTo(27 / 42, 14);
    expect(m.weights[1]).toBeCloseTo(15 / 42, 14);
    // opera's MLpol (η₀ = exp(700), i.e. c = 0): w ∝ (1.5 / 2.25, 1.5 / 11.25) = (2/3, 2/15) → (5/6, 1/6).
    const opera = mlpol(y, experts, [1, 1], { loss: 'absolute', scale: 0 });
    expect(opera.weights[0]).toBeCloseTo(5 / 6, 14);
    expect(opera.weights[1]).toBeCloseTo(1 / 6, 14);
    expect(mlpolRegretBound(opera.state)).toEqual([Infinity, Infinity]);
  });

  it('linearises a round of several steps as the mean of its steps', () => {
    // One round, y = (10, 10), experts (8, 14) and (12, 12), percentage loss, uniform weights:
    // p = (10, 13); slopes (0, +1/10)/2 → r_A = 0.05 × (13 − 14) = −0.05, r_B = 0.05 × (13 − 12) = 0.05.
    const r = mlpolUpdate(initialMlpol(2, 1), [10, 10], [
      [8, 14],
      [12, 12],
    ], 'percentage');
    expect(r.predictions).toEqual([10, 13]);
    expect(r.state.regret[0]).toBeCloseTo(-0.05, 15);
    expect(r.state.regret[1]).toBeCloseTo(0.05, 15);
    expect(mlpolWeights(r.state)).toEqual([0, 1]);
  });

  it('converges to the best expert on a synthetic case', () => {
    const T = 300;
    const y = Array.from({ length: T }, (_, t) => 100 + 20 * Math.sin(t / 5) + 4 * (rand(t) - 0.5));
    const experts = [
      y.map((v, t) => v + 10 * (rand(t + 1000) - 0.5)), // noisy, unbiased
      y.map((v, t) => v + 1.5 * (rand(t + 2000) - 0.5)), // best
      y.map((v) => v * 1.08), // biased
    ];
    const m = mlpol(y, experts, new Array(T).fill(1), { loss: 'absolute' });
    expect(m.weights[1]).toBeGreaterThan(0.9);
    // The mixture's cumulative loss is close to the best expert's and below the others'.
    const cum = (p: ArrayLike<number>) => Array.from(y).reduce((a, v, t) => a + Math.abs(p[t] - v), 0);
    expect(cum(m.predictions)).toBeLessThan(cum(experts[0]));
    expect(cum(m.predictions)).toBeLessThan(cum(experts[2]));
    expect(cum(m.predictions) - cum(experts[1])).toBeLessThan(0.2 * cum(experts[1]));
  });

  for (const loss of ['absolute', 'percentage', 'square'] as AggregationLoss[]) {
    it(`keeps the excess loss over every expert within the regret bound on adversarial sequences (${loss})`, () => {
      // The adversary sees the weights before choosing y: it puts y on the side away from the
      // mixture, and switches the leading expert every few rounds.
      const N = 4;
      let worstRatio = 0;
      for (const seed of [1, 2, 3]) {
        const T = 200;
        const steps = 3;
        const xs: number[][] = Array.from({ length: N }, () => []);
        const ys: number[] = [];
        const rounds: { y: number[]; x: number[][] }[] = [];
        for (let t = 0; t < T; t++) {
          const x = Array.from({ length: N }, (_, j) => Array.from({ length: steps }, (_, i) => 50 + 40 * rand(seed * 7919 + t * 31 + j * 7 + i)));
          rounds.push({ y: [], x });
        }
        // The scale must hold over the whole play: the widest possible spread with y in [10, 90].
        const scale2 = (loss === 'absolute' ? 40 : loss === 'percentage' ? 40 / 10 : 2 * 80 * 40) ** 2;
        let s = initialMlpol(N, scale2);
        const mixLoss = new Array<number>(T).fill(0);
        const expLoss = Array.from({ length: N }, () => new Array<number>(T).fill(0));
        for (let t = 0; t < T; t++) {
          const w = mlpolWeights(s);
          const { x } = rounds[t];
          const lead = Math.floor(t / 7) % N;
          const y = x[0].map((_, i) => {
            const p = x.reduce((a, xj, j) => a + w[j] * xj[i], 0);
            // Away from the mixture, unless the current leader is exact (then the leader wins the round).
            return t % 2 === 0 ? x[lead][i] : p > 50 ? 10 : 90;
          });
          const step = mlpolUpdate(s, y, x, loss);
          s = step.state;
          for (let i = 0; i < steps; i++) {
            ys.push(y[i]);
            mixLoss[t] += lossOf(loss, step.predictions[i], y[i]) / steps;
            for (let j = 0; j < N; j++) {
              xs[j].push(x[j][i]);
              expLoss[j][t] += lossOf(loss, x[j][i], y[i]) / steps;
            }
          }
        }
        const bound = mlpolRegretBound(s);
        const total = (a: number[]) => a.reduce((u, v) => u + v, 0);
        for (let k = 0; k < N; k++) {
          const excess = total(mixLoss) - total(expLoss[k]);
          // Convexity: the true excess loss is at most the linearised regret, itself within the bound.
          expect(excess).toBeLessThanOrEqual(s.regret[k] + 1e-9);
          expect(s.regret[k]).toBeLessThanOrEqual(bound[k]);
          worstRatio = Math.max(worstRatio, s.regret[k] / bound[k]);
        }
        expect(Math.max(...s.maxSq)).toBeLessThanOrEqual(scale2);
      }
      // The sequences do push the regret up: the bound is not vacuous-by-slack everywhere.
      expect(worstRatio).toBeGreaterThan(0.02);
    });
  }

  it('refuses experts that do not match the round', () => {
    expect(() => mlpolUpdate(initialMlpol(2, 1), [1, 2], [[1, 2]], 'absolute')).toThrow(/experts must match/);
    expect(() => mlpol([1, 2], [[1, 2]], [1])).toThrow(/rounds must cover/);
  });
});
