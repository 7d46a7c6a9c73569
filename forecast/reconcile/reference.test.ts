import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RECONCILIATION_METHODS } from '../../core/config.ts';
import { summingMatrix, type HierarchyNode } from '../../core/hierarchy.ts';
import { reconcile, type NodeForecast } from './index.ts';

/** Written by bench/r/reconcile-reference.R (dense textbook formulas, R corpcor). */
interface Fixture {
  nodes: HierarchyNode[];
  levels: string[];
  base: Record<string, { mean: number[]; quantiles: Record<string, number[]> }>;
  residuals: Record<string, (number | null)[]>;
  history: Record<string, (number | null)[]>;
  residualStepsUsed: number;
  historyStepsUsed: number;
  lambda: number;
  expected: Record<string, Record<string, { mean: number[]; quantiles: Record<string, number[]> }>>;
}

const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/reconcile/seven-node.json', import.meta.url), 'utf8')) as Fixture;
const nan = (a: (number | null)[]) => Float64Array.from(a, (v) => v ?? Number.NaN);
const series = (r: Record<string, (number | null)[]>) => new Map(Object.entries(r).map(([id, v]) => [id, nan(v)]));
const sm = summingMatrix(fx.nodes);
const base = new Map<string, NodeForecast>(
  Object.entries(fx.base).map(([id, f]) => [id, { mean: Float64Array.from(f.mean), quantiles: Object.fromEntries(Object.entries(f.quantiles).map(([l, v]) => [l, Float64Array.from(v)])) }]),
);

const close = (actual: ArrayLike<number>, expected: number[], what: string) => {
  expect(actual.length, what).toBe(expected.length);
  expected.forEach((e, h) => {
    const err = Math.abs(actual[h] - e) / Math.max(1, Math.abs(e));
    if (!(err <= 1e-9)) throw new Error(`${what}[${h}]: ${actual[h]} vs R ${e} (relative error ${err})`);
  });
};

describe('reconciliation against the R reference (7-node hierarchy)', () => {
  it.each(RECONCILIATION_METHODS)('%s matches R for the mean and every quantile to 1e-9', (method) => {
    // The R reference sums bottom quantiles: the comonotonic bands.
    const r = reconcile({ sm, method, base, residuals: series(fx.residuals), history: series(fx.history), bands: { method: 'comonotonic' } });
    for (const id of sm.rows) {
      const want = fx.expected[method][id];
      const got = r.values.get(id)!;
      close(got.mean, want.mean, `${method} ${id} mean`);
      for (const l of fx.levels) close(got.quantiles[l], want.quantiles[l], `${method} ${id} q${l}`);
    }
  });

  it('mint-shrink uses the Schäfer–Strimmer lambda of corpcor and says which steps it dropped', () => {
    const r = reconcile({ sm, method: 'mint-shrink', base, residuals: series(fx.residuals), bands: { method: 'comonotonic' } });
    expect(Math.abs(r.lambda! - fx.lambda)).toBeLessThan(1e-12);
    expect(r.applied).toBe(`mint-shrink (lambda ${fx.lambda.toFixed(3)})`);
    const total = fx.residuals.T.length;
    expect(r.warnings).toEqual([`mint-shrink: ${total - fx.residualStepsUsed} of ${total} residual time steps dropped (some series had no residual there).`]);
  });

  it('wls-var reports no warning: each variance uses its own series\' non-missing residuals', () => {
    const r = reconcile({ sm, method: 'wls-var', base, residuals: series(fx.residuals), bands: { method: 'comonotonic' } });
    expect(r.applied).toBe('wls-var');
    expect(r.warnings).toEqual([]);
  });

  it('top-down reports the history it used and the scaling of the proportions', () => {
    const r = reconcile({ sm, method: 'top-down', base, history: series(fx.history) });
    expect(r.applied).toBe(`top-down (average historical proportions over ${fx.historyStepsUsed} steps)`);
    // The root meter reads 1 % above its bottoms: proportions sum to ~0.99, within the 1 % tolerance.
    expect(r.warnings).toEqual([`top-down: ${fx.history.T.length - fx.historyStepsUsed} of ${fx.history.T.length} history steps skipped (root zero or a series missing).`]);
    // Top-down keeps the root's own forecast.
    close(r.values.get('T')!.mean, fx.base.T.mean, 'root mean');
  });
});
