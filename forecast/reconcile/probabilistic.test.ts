import { describe, expect, it } from 'vitest';
import { RECONCILIATION_METHODS } from '../../core/config.ts';
import { summingMatrix, type HierarchyNode, type SummingMatrix } from '../../core/hierarchy.ts';
import { normalDraws, seededRandom } from '../../core/random.ts';
import { reconcile, type NodeForecast, type ReconcileInput } from './index.ts';
import { mintShrink } from './methods/mint-shrink.ts';
import { topDown } from './methods/top-down.ts';
import { jointRanks, pathProjector, probabilityGrid, reconciledPaths } from './probabilistic.ts';
import { structureOf } from './structure.ts';

const LEVELS = ['0.1', '0.5', '0.9'];
const Z90 = 1.2815515655446004;

/** root → r1, r2; r1 → b0..b2, r2 → b3..b5: three levels, six bottoms. */
const NODES: HierarchyNode[] = [
  { id: 'root', parent: null },
  { id: 'r1', parent: 'root' },
  { id: 'r2', parent: 'root' },
  ...[0, 1, 2].map((j) => ({ id: `b${j}`, parent: 'r1' })),
  ...[3, 4, 5].map((j) => ({ id: `b${j}`, parent: 'r2' })),
];

/**
 * Bottom errors e ~ N(0, Σ): a common factor (loading ρ) plus own noise, σ_j = 1 + j/2. Each row of
 * the returned matrix is one draw of the n node errors (aggregates: sums of their bottoms' errors).
 */
function gaussianHierarchy(sm: SummingMatrix, rho: number, seed: number) {
  const m = sm.cols.length;
  const a = sm.rows.length - m;
  const sigma = Array.from({ length: m }, (_, j) => 1 + j / 2);
  const z = normalDraws(seededRandom(seed));
  const draw = () => {
    const c = z();
    const e = sigma.map((s) => s * (Math.sqrt(rho) * c + Math.sqrt(1 - rho) * z()));
    return sm.rows.map((_, i) => (i < a ? [...sm.rowCols[i]].reduce((s, k) => s + e[k], 0) : e[i - a]));
  };
  // Exact standard deviation of each node: Var(Σ_j e_j) = Σ_j σ_j² (1 − ρ) + ρ (Σ_j σ_j)².
  const sd = sm.rows.map((_, i) => {
    const cols = i < a ? [...sm.rowCols[i]] : [i - a];
    const s1 = cols.reduce((s, k) => s + sigma[k], 0);
    const s2 = cols.reduce((s, k) => s + sigma[k] ** 2, 0);
    return Math.sqrt((1 - rho) * s2 + rho * s1 * s1);
  });
  return { draw, sd };
}

/** Base forecasts with exactly calibrated Gaussian bands, one node level per row, constant over `horizon` steps. */
function calibratedBase(sm: SummingMatrix, sd: number[], horizon: number): Map<string, NodeForecast> {
  const m = sm.cols.length;
  const a = sm.rows.length - m;
  const level = (i: number) => (i < a ? sm.rowCols[i].length : 1) * 100;
  return new Map(
    sm.rows.map((id, i) => {
      const mean = new Float64Array(horizon).fill(level(i));
      const quantiles = { '0.1': mean.map((v) => v - Z90 * sd[i]), '0.5': mean.slice(), '0.9': mean.map((v) => v + Z90 * sd[i]) };
      return [id, { mean, quantiles }];
    }),
  );
}

function residualsOf(sm: SummingMatrix, draw: () => number[], steps: number): Map<string, Float64Array> {
  const rows = Array.from({ length: steps }, draw);
  return new Map(sm.rows.map((id, i) => [id, Float64Array.from(rows, (r) => r[i])]));
}

/** Share of steps whose actual lies within [P10, P90], per node. */
function coverage(sm: SummingMatrix, values: Map<string, NodeForecast>, actuals: number[][]): number[] {
  return sm.rows.map((id, i) => {
    const f = values.get(id)!;
    let inside = 0;
    actuals.forEach((y, h) => {
      if (y[i] >= f.quantiles['0.1'][h] && y[i] <= f.quantiles['0.9'][h]) inside++;
    });
    return inside / actuals.length;
  });
}

describe('joint-residual bands', () => {
  const sm = summingMatrix(NODES, 'root');
  const st = structureOf(sm);
  const a = st.a;
  const { draw, sd } = gaussianHierarchy(sm, 0.4, 3);
  const residuals = residualsOf(sm, draw, 1500);
  const base = calibratedBase(sm, sd, 6);
  const input = (extra: Partial<ReconcileInput> = {}): ReconcileInput => ({ sm, method: 'mint-shrink', base, residuals, ...extra });

  it('every reconciled path is coherent, for every method that reconciles paths, to 1e-12', () => {
    const ranks = jointRanks(st, residuals, Infinity, 300, 1);
    if ('reason' in ranks) throw new Error(ranks.reason);
    const flat = new Map(sm.rows.map((id, i) => [id, new Float64Array(50).fill(i < a ? sm.rowCols[i].length : 1)]));
    for (const outcome of [mintShrink(st, residuals), topDown(st, flat)]) {
      const paths = new Float64Array(300 * st.n);
      reconciledPaths(st, pathProjector(st, outcome.projection, 300 * 6), ranks, probabilityGrid([0.1, 0.5, 0.9], 300), (i) => Float64Array.of(90 + i, 100 + i, 115 + i), paths);
      for (let k = 0; k < 300; k++) {
        const p = paths.subarray(k * st.n, (k + 1) * st.n);
        for (let i = 0; i < a; i++) {
          const sum = [...sm.rowCols[i]].reduce((s, c) => s + p[a + c], 0);
          expect(Math.abs(p[i] - sum)).toBeLessThan(1e-12 * Math.max(1, Math.abs(sum)));
        }
      }
    }
  });

  it('the aggregate columns read by probing reconcile a path as MinT\'s own operator does', () => {
    const { projection } = mintShrink(st, residuals);
    const z = normalDraws(seededRandom(9));
    const ys = Array.from({ length: 5 }, () => Float64Array.from({ length: st.n }, () => 100 * z()));
    const want = projection.bottoms(ys);
    const buffer = new Float64Array(5 * st.n);
    ys.forEach((y, k) => buffer.set(y, k * st.n));
    pathProjector(st, projection, 1000)(buffer, 5);
    want.forEach((b, k) => b.forEach((v, j) => expect(Math.abs(buffer[k * st.n + a + j] - v)).toBeLessThan(1e-9)));
  });

  it.each(RECONCILIATION_METHODS)('%s: the mean is coherent exactly and no quantile crosses', (method) => {
    const history = new Map(sm.rows.map((id, i) => [id, new Float64Array(100).fill(i < a ? sm.rowCols[i].length : 1)]));
    const r = reconcile(input({ method, history }));
    expect(r.bands).toMatch(/^joint residuals \(1000 paths of 1500 residual steps\)$/);
    for (let i = 0; i < a; i++) {
      const own = r.values.get(sm.rows[i])!.mean;
      own.forEach((v, h) => {
        const sum = [...sm.rowCols[i]].reduce((s, c) => s + r.values.get(sm.cols[c])!.mean[h], 0);
        expect(Math.abs(v - sum)).toBeLessThan(1e-9 * Math.abs(sum));
      });
    }
    for (const f of r.values.values()) {
      for (let h = 0; h < f.mean.length; h++) {
        expect(f.quantiles['0.5'][h]).toBeGreaterThanOrEqual(f.quantiles['0.1'][h]);
        expect(f.quantiles['0.9'][h]).toBeGreaterThanOrEqual(f.quantiles['0.5'][h]);
      }
    }
  });

  it('bottom-up keeps every bottom\'s base quantiles (the paths reproduce each marginal)', () => {
    const r = reconcile(input({ method: 'bottom-up' }));
    for (const id of sm.cols) {
      for (const l of LEVELS) {
        const got = r.values.get(id)!.quantiles[l];
        const want = base.get(id)!.quantiles[l];
        got.forEach((v, h) => expect(Math.abs(v - want[h])).toBeLessThan(0.01 * sd[sm.rows.indexOf(id)]));
      }
    }
  });

  it('is deterministic for a seed, and the seed picks the residual steps when there are more than paths', () => {
    const one = reconcile(input({ bands: { paths: 200, seed: 5 } }));
    const again = reconcile(input({ bands: { paths: 200, seed: 5 } }));
    const other = reconcile(input({ bands: { paths: 200, seed: 6 } }));
    expect(one.bands).toBe('joint residuals (200 paths of 1500 residual steps)');
    for (const l of LEVELS) expect(again.values.get('root')!.quantiles[l]).toEqual(one.values.get('root')!.quantiles[l]);
    expect(other.values.get('root')!.quantiles['0.9']).not.toEqual(one.values.get('root')!.quantiles['0.9']);
  });

  it.each(['bottom-up', 'mint-shrink'] as const)('%s: P10–P90 covers 80 percent within 6 points at every node (3 on average) of a Gaussian hierarchy with known covariance; comonotonic bands over-cover the top', (method) => {
    // 1000 independent outcomes (one per step) of the same forecast: a node's coverage has a standard
    // error of 1.3 points, and an aggregate's band, estimated from 1000 residual steps, about 2 more.
    const H = 1000;
    const wide = calibratedBase(sm, sd, H);
    const own = residualsOf(sm, draw, 1000);
    const actuals = Array.from({ length: H }, () => {
      const e = draw();
      return sm.rows.map((id, i) => wide.get(id)!.mean[0] + e[i]);
    });
    const sampled = coverage(sm, reconcile({ sm, method, base: wide, residuals: own }).values, actuals);
    sampled.forEach((c, i) => expect(Math.abs(c - 0.8), `${sm.rows[i]} covers ${c}`).toBeLessThan(0.06));
    expect(Math.abs(sampled.reduce((s, c) => s + c, 0) / sampled.length - 0.8)).toBeLessThan(0.03);
    const comonotonic = coverage(sm, reconcile({ sm, method, base: wide, residuals: own, bands: { method: 'comonotonic' } }).values, actuals);
    expect(comonotonic[0]).toBeGreaterThan(0.9);
  });

  it('falls back to comonotonic bands, labelled with a warning, when residuals are too short or absent', () => {
    const short = new Map([...residuals].map(([id, r]) => [id, r.slice(0, 20)]));
    const r = reconcile(input({ residuals: short }));
    expect(r.bands).toBe('comonotonic (only 20 complete residual steps (at least 50 needed))');
    expect(r.warnings.some((w) => w.startsWith('bands: comonotonic'))).toBe(true);
    const none = reconcile({ sm, method: 'ols', base });
    expect(none.bands).toBe('comonotonic (no residuals)');
    expect(none.warnings).toEqual([]);
    expect(reconcile(input({ bands: { method: 'comonotonic' } })).bands).toBe('comonotonic');
  });
});
