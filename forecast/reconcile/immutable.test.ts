import { describe, expect, it } from 'vitest';
import { RECONCILIATION_METHODS, type ReconciliationMethod } from '../../core/config.ts';
import { denseSummingMatrix, summingMatrix, type SummingMatrix } from '../../core/hierarchy.ts';
import { cholesky, cholSolve } from '../../core/linalg.ts';
import { reconcile, type NodeForecast } from './index.ts';

const LEVELS = ['0.1', '0.5', '0.9'];
const H = 3;

/** T → R1 (A, B, C), R2 (D, E). */
const sm = summingMatrix([
  { id: 'T', parent: null },
  { id: 'R1', parent: 'T' },
  { id: 'R2', parent: 'T' },
  { id: 'A', parent: 'R1' },
  { id: 'B', parent: 'R1' },
  { id: 'C', parent: 'R1' },
  { id: 'D', parent: 'R2' },
  { id: 'E', parent: 'R2' },
]);
const n = sm.rows.length;
const a = n - sm.cols.length;
const dense = denseSummingMatrix(sm);

/** Deterministic, incoherent base forecasts with bands of different widths. */
function baseOf(seed: number): Map<string, NodeForecast> {
  let s = seed;
  const u = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  const level = sm.cols.map((_, j) => 10 + 3 * j);
  return new Map(
    sm.rows.map((id, i) => {
      const center = dense[i].reduce((acc, v, j) => acc + v * level[j], 0);
      const mean = Float64Array.from({ length: H }, () => center * (1 + 0.1 * u()));
      const quantiles = Object.fromEntries(LEVELS.map((l, q) => [l, mean.map((m) => m + (q - 1) * (1 + i * 0.2) + 0.1 * u())]));
      return [id, { mean, quantiles }];
    }),
  );
}

function residualsOf(seed: number, steps = 40): Map<string, Float64Array> {
  let s = seed;
  const u = () => ((s = (s * 48271) % 2147483647) / 2147483647) - 0.5;
  const bottom = sm.cols.map(() => Float64Array.from({ length: steps }, () => u()));
  const common = Float64Array.from({ length: steps }, () => u());
  return new Map(sm.rows.map((id, i) => [id, Float64Array.from({ length: steps }, (_, t) => dense[i].reduce((acc, v, j) => acc + v * (bottom[j][t] + 0.5 * common[t]), 0) + 0.2 * u())]));
}

const history = new Map(sm.rows.map((id, i) => [id, Float64Array.from({ length: 10 }, (_, t) => dense[i].reduce((acc, v, j) => acc + v * (5 + j + (t % 3)), 0))]));

/** A is held at every step, R2 at step 1 only (its children absorb there). */
function fixedOf(): Map<string, Uint8Array> {
  return new Map([
    ['A', Uint8Array.of(1, 1, 1)],
    ['R2', Uint8Array.of(0, 1, 0)],
  ]);
}

const idx = (id: string) => sm.rows.indexOf(id);
const heldAt = (h: number) => [...fixedOf()].filter(([, f]) => f[h]).map(([id]) => idx(id));

/**
 * The textbook solution, dense: minimise (ỹ − ŷ)ᵀW⁻¹(ỹ − ŷ) subject to Uᵀỹ = 0 (coherence,
 * Uᵀ = [I_a, −A]) and ỹ_F = ŷ_F. With C = [U, E_F]: ỹ = ŷ − W·C·(CᵀWC)⁻¹·(Cᵀŷ − (0, ŷ_F)).
 */
function denseConstrainedGls(w: Float64Array, y: Float64Array, fixedRows: number[]): Float64Array {
  const cols: Float64Array[] = [];
  for (let i = 0; i < a; i++) cols.push(Float64Array.from({ length: n }, (_, k) => (k === i ? 1 : k >= a ? -dense[i][k - a] : 0)));
  for (const f of fixedRows) cols.push(Float64Array.from({ length: n }, (_, k) => (k === f ? 1 : 0)));
  const c = cols.length;
  const wc = cols.map((col) => Float64Array.from({ length: n }, (_, r) => col.reduce((s, v, k) => s + w[r * n + k] * v, 0)));
  const ctwc = new Float64Array(c * c);
  for (let p = 0; p < c; p++) for (let q = 0; q < c; q++) ctwc[p * c + q] = cols[p].reduce((s, v, k) => s + v * wc[q][k], 0);
  const rhs = Float64Array.from(cols, (col, p) => col.reduce((s, v, k) => s + v * y[k], 0) - (p < a ? 0 : y[fixedRows[p - a]]));
  const z = cholSolve(cholesky(ctwc, c)!, c, rhs);
  return Float64Array.from({ length: n }, (_, r) => y[r] - wc.reduce((s, col, p) => s + col[r] * z[p], 0));
}

function sampleCovariance(x: Float64Array[]): Float64Array {
  const T = x[0].length;
  const cen = x.map((r) => {
    const mu = r.reduce((s, v) => s + v, 0) / T;
    return r.map((v) => v - mu);
  });
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = cen[i].reduce((s, v, t) => s + v * cen[j][t], 0) / (T - 1);
  return out;
}

const relErr = (x: number, y: number) => Math.abs(x - y) / Math.max(1, Math.abs(y));

function expectHeldAndCoherent(out: Map<string, NodeForecast>, base: Map<string, NodeForecast>) {
  for (const key of ['mean', ...LEVELS]) {
    const of = (f: NodeForecast) => (key === 'mean' ? f.mean : f.quantiles[key]);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < a; i++) {
        const sum = [...sm.rowCols[i]].reduce((s, c) => s + of(out.get(sm.cols[c])!)[h], 0);
        expect(relErr(of(out.get(sm.rows[i])!)[h], sum), `${sm.rows[i]} ${key} ${h}`).toBeLessThan(1e-12);
      }
      // A held bottom is its base value bit for bit, mean and quantiles.
      expect(of(out.get('A')!)[h]).toBe(of(base.get('A')!)[h]);
    }
    expect(relErr(of(out.get('R2')!)[1], of(base.get('R2')!)[1]), `R2 ${key}`).toBeLessThan(1e-12);
  }
}

describe('reconciliation with immutable nodes', () => {
  const base = baseOf(3);
  const residuals = residualsOf(5);

  it.each(RECONCILIATION_METHODS)('%s holds the fixed nodes exactly, mean and every quantile, and stays coherent', (method: ReconciliationMethod) => {
    const r = reconcile({ sm, method, base, residuals, history, fixed: fixedOf() });
    expect(r.warnings.filter((w) => w.startsWith('fixed nodes'))).toEqual([]);
    expectHeldAndCoherent(r.values, base);
    // Without the constraint, the method moves A: the hold is what keeps it (the test can fail).
    const free = reconcile({ sm, method, base, residuals, history });
    if (method !== 'bottom-up') expect(free.values.get('A')!.mean[0]).not.toBe(base.get('A')!.mean[0]);
  });

  const weights: Array<[ReconciliationMethod, () => { w: Float64Array; lambda?: number }]> = [
    ['ols', () => ({ w: Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0)) })],
    ['wls', () => ({ w: Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? sm.rowCols[k / (n + 1)].length : 0)) })],
    [
      'wls-var',
      () => {
        const cov = sampleCovariance(sm.rows.map((id) => residuals.get(id)!));
        return { w: cov.map((v, k) => (k % (n + 1) === 0 ? v : 0)) };
      },
    ],
  ];
  it.each(weights)('%s agrees with the dense constrained GLS (KKT) solution', (method, make) => {
    const { w } = make();
    const r = reconcile({ sm, method, base, residuals, fixed: fixedOf() });
    for (let h = 0; h < H; h++) {
      const y = Float64Array.from(sm.rows, (id) => base.get(id)!.mean[h]);
      const want = denseConstrainedGls(w, y, heldAt(h));
      sm.rows.forEach((id, i) => expect(relErr(r.values.get(id)!.mean[h], want[i]), `${id} step ${h}`).toBeLessThan(1e-10));
    }
  });

  it('mint-shrink agrees with the dense constrained GLS on W = λ·D + (1−λ)·Σ̂', () => {
    const r = reconcile({ sm, method: 'mint-shrink', base, residuals, fixed: fixedOf() });
    expect(r.applied).toMatch(/^mint-shrink \(lambda/);
    const lambda = r.lambda!;
    const w = sampleCovariance(sm.rows.map((id) => residuals.get(id)!)).map((v, k) => (k % (n + 1) === 0 ? v : (1 - lambda) * v));
    for (let h = 0; h < H; h++) {
      const y = Float64Array.from(sm.rows, (id) => base.get(id)!.mean[h]);
      const want = denseConstrainedGls(w, y, heldAt(h));
      sm.rows.forEach((id, i) => expect(relErr(r.values.get(id)!.mean[h], want[i]), `${id} step ${h}`).toBeLessThan(1e-9));
    }
  });

  it('bottom-up: a held aggregate is shared equally by the bottoms under it; held bottoms change nothing else', () => {
    const r = reconcile({ sm, method: 'bottom-up', base, fixed: fixedOf() }).values;
    const gap = base.get('R2')!.mean[1] - (base.get('D')!.mean[1] + base.get('E')!.mean[1]);
    expect(r.get('D')!.mean[1]).toBeCloseTo(base.get('D')!.mean[1] + gap / 2, 12);
    expect(r.get('E')!.mean[1]).toBeCloseTo(base.get('E')!.mean[1] + gap / 2, 12);
    expect(r.get('D')!.mean[0]).toBe(base.get('D')!.mean[0]);
    expect(r.get('B')!.mean[0]).toBe(base.get('B')!.mean[0]);
  });

  it('top-down keeps the root: the bottoms not held share what the held ones take, by their proportions', () => {
    const free = reconcile({ sm, method: 'top-down', base, history }).values;
    const r = reconcile({ sm, method: 'top-down', base, history, fixed: fixedOf() }).values;
    for (let h = 0; h < H; h++) expect(relErr(r.get('T')!.mean[h], base.get('T')!.mean[h])).toBeLessThan(1e-12);
    // Step 0: only A held; B, C, D, E move in proportion to their top-down shares.
    const moved = ['B', 'C', 'D', 'E'].map((id) => (r.get(id)!.mean[0] - free.get(id)!.mean[0]) / free.get(id)!.mean[0]);
    for (const m of moved) expect(m).toBeCloseTo(moved[0], 12);
    expect(moved[0]).not.toBe(0);
  });

  it('the other children absorb a schedule below the free forecast: the region goes down less than the node', () => {
    const scheduled = new Map(base);
    const cut = base.get('A')!.mean.map((v) => v - 8);
    scheduled.set('A', { mean: cut, quantiles: Object.fromEntries(LEVELS.map((l) => [l, base.get('A')!.quantiles[l].map((v) => v - 8)])) });
    for (const method of ['ols', 'wls', 'mint-shrink'] as const) {
      const before = reconcile({ sm, method, base, residuals }).values;
      const after = reconcile({ sm, method, base: scheduled, residuals, fixed: new Map([['A', Uint8Array.of(1, 1, 1)]]) }).values;
      expect(after.get('A')!.mean[0]).toBe(cut[0]);
      const dR1 = after.get('R1')!.mean[0] - before.get('R1')!.mean[0];
      const dA = after.get('A')!.mean[0] - before.get('A')!.mean[0];
      expect(dA).toBeLessThan(0);
      expect(dR1).toBeLessThan(0);
      // B and C take up part of the drop.
      expect(after.get('B')!.mean[0] + after.get('C')!.mean[0]).toBeGreaterThan(before.get('B')!.mean[0] + before.get('C')!.mean[0]);
    }
  });

  it('a parent held together with all its children is dropped from the solve, and reported when it disagrees', () => {
    const fixed = new Map([
      ['R2', Uint8Array.of(1, 1, 1)],
      ['D', Uint8Array.of(1, 1, 1)],
      ['E', Uint8Array.of(1, 1, 1)],
    ]);
    const r = reconcile({ sm, method: 'ols', base, fixed });
    expect(r.warnings).toContain('fixed nodes not held where the other fixed nodes under or above them determine another value: R2');
    expect(r.values.get('D')!.mean[0]).toBe(base.get('D')!.mean[0]);
    expect(r.values.get('R2')!.mean[0]).toBeCloseTo(base.get('D')!.mean[0] + base.get('E')!.mean[0], 12);
  });

  it('says so when a fixed aggregate\'s band is too narrow for its bottoms to take without crossing', () => {
    const tiny = summingMatrix([{ id: 'P', parent: null }, { id: 'X', parent: 'P' }, { id: 'Y', parent: 'P' }]);
    const f = (mean: number, lo: number, hi: number) => ({ mean: Float64Array.of(mean), quantiles: { '0.1': Float64Array.of(lo), '0.9': Float64Array.of(hi) } });
    const b = new Map([['P', f(20, 19, 21)], ['X', f(10, 5, 15)], ['Y', f(10, 9, 11)]]);
    const r = reconcile({ sm: tiny, method: 'bottom-up', base: b, fixed: new Map([['P', Uint8Array.of(1)]]) });
    expect(r.values.get('P')!.mean[0]).toBeCloseTo(20, 12);
    expect(r.warnings).toEqual(['quantiles of fixed nodes held only approximately (their bottoms\' bands crossed after the adjustment and were sorted): P']);
    for (const id of ['X', 'Y']) expect(r.values.get(id)!.quantiles['0.1'][0]).toBeLessThanOrEqual(r.values.get(id)!.quantiles['0.9'][0]);
  });
});
