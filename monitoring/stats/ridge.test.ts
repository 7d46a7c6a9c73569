import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ridgeGcv } from './ridge.ts';

interface Case {
  seed: number;
  x: Array<number[] | number>;
  y: number[];
  weights: number[] | number;
  intercept: number;
  lambda: number;
  gcv: number;
  df: number;
}

// Made by bench/r/ridge-fixtures.R (explicit hat matrices in R).
const cases: Case[] = JSON.parse(readFileSync(new URL('./__fixtures__/ridge.json', import.meta.url), 'utf8'));
const arr = (v: number[] | number) => (Array.isArray(v) ? v : [v]);
const close = (a: number, b: number, tol = 1e-9) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe('ridge regression with GCV against R', () => {
  it.each(cases.map((c, i) => [i, c] as const))('case %i: same penalty, weights, intercept, df and GCV', (_, c) => {
    const fit = ridgeGcv(c.x.map(arr), c.y);
    close(fit.lambda, c.lambda);
    close(fit.gcv, c.gcv);
    close(fit.df, c.df);
    close(fit.intercept, c.intercept);
    const w = arr(c.weights);
    expect(fit.weights).toHaveLength(w.length);
    fit.weights.forEach((v, j) => close(v, w[j]));
  });

  it('leaves out rows with a missing value and answers zero weights without data', () => {
    const c = cases[4];
    const x = c.x.map(arr);
    const withGap = ridgeGcv([...x, x[0].map(() => Number.NaN)], [...c.y, 1]);
    close(withGap.gcv, c.gcv);
    expect(ridgeGcv([[1], [2]], [1, 2]).weights).toEqual([0]);
  });
});
