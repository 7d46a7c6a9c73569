import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summingMatrix, type HierarchyNode } from '../../core/hierarchy.ts';
import { reconcile, type NodeForecast } from './index.ts';

/** Written by bench/r/bands-reference.R (R: ranks, qnorm(), dense solve(), quantile(type = 5)). */
interface Fixture {
  nodes: HierarchyNode[];
  levels: string[];
  base: Record<string, { mean: number[]; quantiles: Record<string, number[]> }>;
  residuals: Record<string, number[]>;
  expected: Record<string, Record<string, { mean: number[]; quantiles: Record<string, number[]> }>>;
}

const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/reconcile/bands.json', import.meta.url), 'utf8')) as Fixture;
const sm = summingMatrix(fx.nodes);
const base = new Map<string, NodeForecast>(
  Object.entries(fx.base).map(([id, f]) => [id, { mean: Float64Array.from(f.mean), quantiles: Object.fromEntries(Object.entries(f.quantiles).map(([l, v]) => [l, Float64Array.from(v)])) }]),
);
const residuals = new Map(Object.entries(fx.residuals).map(([id, v]) => [id, Float64Array.from(v)]));

describe('joint-residual bands against the R reference (7-node hierarchy, one path per residual step)', () => {
  it.each(Object.keys(fx.expected))('%s: every node\'s mean and quantiles agree with R to 1e-8 relative', (method) => {
    const r = reconcile({ sm, method: method as 'bottom-up' | 'ols' | 'wls-var', base, residuals });
    expect(r.bands).toBe('joint residuals (60 paths of 60 residual steps)');
    for (const id of sm.rows) {
      const want = fx.expected[method][id];
      const got = r.values.get(id)!;
      const series: [string, ArrayLike<number>, number[]][] = [['mean', got.mean, want.mean], ...fx.levels.map((l): [string, ArrayLike<number>, number[]] => [`q${l}`, got.quantiles[l], want.quantiles[l]])];
      for (const [what, g, w] of series) {
        w.forEach((e, h) => expect(Math.abs(g[h] - e) / Math.max(1, Math.abs(e)), `${method} ${id} ${what}[${h}]: ${g[h]} vs R ${e}`).toBeLessThan(1e-8));
      }
    }
  });
});
