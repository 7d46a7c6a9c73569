import { describe, expect, it } from 'vitest';
import { basisRow, basisSize, marginalPenalty, placeKnots, type Marginal } from './basis.ts';
import { buildDesign, designRow, designScratch } from './design.ts';

const evalSpline = (m: Marginal, beta: number[], x: number) => {
  const row = new Float64Array(basisSize(m));
  basisRow(m, x, row);
  return row.reduce((a, v, i) => a + v * beta[i], 0);
};

const quadForm = (s: Float64Array, beta: number[]) => {
  const k = beta.length;
  let q = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) q += beta[i] * s[i * k + j] * beta[j];
  return q;
};

describe('cubic regression spline (cr)', () => {
  const m: Marginal = { bs: 'cr', knots: [0, 0.7, 1.5, 3, 4, 6] };
  it('interpolates its coefficients at the knots', () => {
    const beta = [1, -2, 0.5, 3, 2, -1];
    m.knots.forEach((x, i) => expect(evalSpline(m, beta, x)).toBeCloseTo(beta[i], 12));
  });
  it('does not penalise straight lines and penalises curvature', () => {
    const s = marginalPenalty(m);
    expect(quadForm(s, m.knots.map((x) => 2 - 3 * x))).toBeCloseTo(0, 9);
    expect(quadForm(s, m.knots.map((x) => x * x))).toBeGreaterThan(1);
  });
  it('reproduces a straight line exactly, beyond the knots too (linear extrapolation)', () => {
    const beta = m.knots.map((x) => 1 + 2 * x);
    for (const x of [-2, 0.3, 2.2, 5.9, 9]) expect(evalSpline(m, beta, x)).toBeCloseTo(1 + 2 * x, 10);
  });
  it('places knots like mgcv place.knots', () => {
    expect(placeKnots([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect(placeKnots([3, 3, 1, 2, 2, 5], 3)).toEqual([1, 2.5, 5]);
  });
});

describe('cyclic cubic spline (cc)', () => {
  const m: Marginal = { bs: 'cc', knots: [0, 3, 8, 12, 17, 20, 24] };
  const beta = [1, 4, -2, 0.5, 3, -1];
  const f = (x: number) => evalSpline(m, beta, x);
  it('has one coefficient fewer than knots: the last knot is the first one', () => {
    expect(basisSize(m)).toBe(6);
    expect(f(24)).toBeCloseTo(f(0), 12);
    expect(f(-3)).toBeCloseTo(f(21), 12);
  });
  it('joins smoothly across the end of the cycle (value, slope and curvature)', () => {
    const h = 1e-4;
    const d1 = (x: number) => (f(x + h) - f(x - h)) / (2 * h);
    const d2 = (x: number) => (f(x + h) - 2 * f(x) + f(x - h)) / (h * h);
    expect(d1(24 - 1e-3)).toBeCloseTo(d1(1e-3), 2);
    expect(d2(24 - 2e-3)).toBeCloseTo(d2(2e-3), 1);
  });
  it('does not penalise a constant', () => {
    expect(quadForm(marginalPenalty(m), [2, 2, 2, 2, 2, 2])).toBeCloseTo(0, 9);
  });
});

describe('design', () => {
  it('absorbs the sum-to-zero constraint: each smooth sums to zero over the data', () => {
    const n = 300;
    const x = Float64Array.from({ length: n }, (_, i) => (i * 7.3) % 24);
    const z = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const d = buildDesign(
      [
        { kind: 's', variable: 'x', bs: 'cc', k: 8, knots: [0, 24] },
        { kind: 'te', variables: ['z', 'x'], bs: ['cr', 'cc'], k: [4, 5], knots: [undefined, [0, 24]] },
      ],
      { x, z },
      rows,
    );
    expect(d.p).toBe(1 + 6 + (4 * 4 - 1));
    const sums = new Float64Array(d.p);
    const row = new Float64Array(d.p);
    const scratch = designScratch(d);
    for (let i = 0; i < n; i++) {
      designRow(d, { x, z }, i, row, scratch);
      row.forEach((v, c) => (sums[c] += v));
    }
    expect(sums[0]).toBe(n);
    for (let c = 1; c < d.p; c++) expect(Math.abs(sums[c])).toBeLessThan(1e-9 * n);
  });
});
