import { describe, expect, it } from 'vitest';
import { RECONCILIATION_METHODS, type ReconciliationMethod } from '../../core/config.ts';
import { denseSummingMatrix, summingMatrix, type HierarchyNode, type SummingMatrix } from '../../core/hierarchy.ts';
import { cholInverse, cholesky, matMul, transpose } from '../../core/linalg.ts';
import { reconcile, type NodeForecast, type ReconcileResult } from './index.ts';

const LEVELS = ['0.1', '0.5', '0.9'];
/** The bands whose quantiles add up (probabilistic.test.ts covers the sampled ones). */
const COMONOTONIC = { method: 'comonotonic' } as const;

/** Deterministic normal draws (mulberry32 + Box–Muller). */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** A random tree: a few internal nodes in random places, `bottoms` leaves hung under them. */
function randomTree(bottoms: number, seed: number): HierarchyNode[] {
  const z = normals(seed);
  const pick = (k: number) => Math.min(k - 1, Math.floor(Math.abs(z()) * k) % k);
  const internal = ['root'];
  const nodes: HierarchyNode[] = [{ id: 'root', parent: null }];
  for (let i = 0; i < 6; i++) {
    nodes.push({ id: `n${i}`, parent: internal[pick(internal.length)] });
    internal.push(`n${i}`);
  }
  for (let j = 0; j < bottoms; j++) nodes.push({ id: `b${j}`, parent: internal[pick(internal.length)] });
  return nodes;
}

function randomInputs(sm: SummingMatrix, seed: number, horizon = 4, steps = 80) {
  const z = normals(seed);
  const dense = denseSummingMatrix(sm);
  const level = sm.cols.map(() => 10 + 5 * Math.abs(z()));
  const base = new Map<string, NodeForecast>(
    sm.rows.map((id, i) => {
      const center = dense[i].reduce((s, v, j) => s + v * level[j], 0);
      const mean = Float64Array.from({ length: horizon }, () => center + z());
      const width = 0.2 * Math.sqrt(center);
      const quantiles = Object.fromEntries(LEVELS.map((l, q) => [l, mean.map((v) => v + (q - 1) * width + 0.3 * z())]));
      return [id, { mean, quantiles }];
    }),
  );
  const common = Array.from({ length: steps }, () => z());
  const bottomRes = sm.cols.map(() => Float64Array.from({ length: steps }, (_, t) => 0.6 * common[t] + z()));
  const residuals = new Map(sm.rows.map((id, i) => [id, Float64Array.from({ length: steps }, (_, t) => dense[i].reduce((s, v, j) => s + v * bottomRes[j][t], 0) + 0.3 * z())]));
  const history = new Map(sm.rows.map((id, i) => [id, Float64Array.from({ length: steps }, () => dense[i].reduce((s, v, j) => s + v * level[j] * (1 + 0.1 * z()), 0))]));
  return { base, residuals, history };
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

/**
 * Every aggregate equals the sum of its bottoms, for the mean and (comonotonic bands: sampled ones
 * are coherent path by path, not quantile by quantile) each quantile, to 1e-9 relative; no quantile crosses.
 */
function expectCoherent(sm: SummingMatrix, r: ReconcileResult) {
  const a = sm.rows.length - sm.cols.length;
  const get = (id: string) => r.values.get(id)!;
  for (const key of ['mean', ...(r.bands.startsWith('comonotonic') ? LEVELS : [])]) {
    const of = (f: NodeForecast) => (key === 'mean' ? f.mean : f.quantiles[key]);
    for (let i = 0; i < a; i++) {
      const own = of(get(sm.rows[i]));
      own.forEach((v, h) => {
        const sum = [...sm.rowCols[i]].reduce((s, c) => s + of(get(sm.cols[c]))[h], 0);
        expect(relErr(v, sum), `${sm.rows[i]} ${key} step ${h}`).toBeLessThan(1e-9);
      });
    }
  }
  for (const id of sm.rows) {
    const f = get(id);
    for (let h = 0; h < f.mean.length; h++) {
      expect(Number.isFinite(f.mean[h])).toBe(true);
      for (let q = 1; q < LEVELS.length; q++) expect(f.quantiles[LEVELS[q]][h]).toBeGreaterThanOrEqual(f.quantiles[LEVELS[q - 1]][h]);
    }
  }
}

/** Textbook dense GLS: P = (SᵀW⁻¹S)⁻¹SᵀW⁻¹ with W given as an explicit n × n matrix. */
function denseGls(sm: SummingMatrix, w: Float64Array): Float64Array {
  const n = sm.rows.length;
  const m = sm.cols.length;
  const s = new Float64Array(n * m);
  denseSummingMatrix(sm).forEach((row, i) => s.set(row, i * m));
  const wi = cholInverse(cholesky(w, n)!, n);
  const st = transpose(s, n, m);
  const stwi = matMul(st, wi, m, n, n);
  return matMul(cholInverse(cholesky(matMul(stwi, s, m, n, m), m)!, m), stwi, m, m, n);
}

/** Schäfer–Strimmer λ straight from its definition, pair by pair (O(n²T)). */
function lambdaByPairs(x: Float64Array[]): number {
  const T = x[0].length;
  const z = x.map((r) => {
    const mu = r.reduce((s, v) => s + v, 0) / T;
    const sd = Math.sqrt(r.reduce((s, v) => s + (v - mu) ** 2, 0) / (T - 1));
    return r.map((v) => (v - mu) / sd);
  });
  let num = 0;
  let den = 0;
  for (let i = 0; i < z.length; i++) {
    for (let j = 0; j < z.length; j++) {
      if (i === j) continue;
      const w = z[i].map((v, t) => v * z[j][t]);
      const wbar = w.reduce((s, v) => s + v, 0) / T;
      num += (T / (T - 1) ** 3) * w.reduce((s, v) => s + (v - wbar) ** 2, 0);
      den += ((wbar * T) / (T - 1)) ** 2;
    }
  }
  return Math.min(1, Math.max(0, num / den));
}

function completeSteps(sm: SummingMatrix, residuals: Map<string, Float64Array>): Float64Array[] {
  const rows = sm.rows.map((id) => residuals.get(id)!);
  const kept = [...rows[0].keys()].filter((t) => rows.every((r) => Number.isFinite(r[t])));
  return rows.map((r) => Float64Array.from(kept, (t) => r[t]));
}

function sampleCovariance(x: Float64Array[]): Float64Array {
  const n = x.length;
  const T = x[0].length;
  const c = x.map((r) => {
    const mu = r.reduce((s, v) => s + v, 0) / T;
    return r.map((v) => v - mu);
  });
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = c[i].reduce((s, v, t) => s + v * c[j][t], 0) / (T - 1);
  return out;
}

function expectMatchesDense(sm: SummingMatrix, r: ReconcileResult, base: Map<string, NodeForecast>, p: Float64Array) {
  const n = sm.rows.length;
  const m = sm.cols.length;
  const dense = denseSummingMatrix(sm);
  const horizon = base.get(sm.rows[0])!.mean.length;
  for (let h = 0; h < horizon; h++) {
    const y = Float64Array.from(sm.rows, (id) => base.get(id)!.mean[h]);
    const b = matMul(p, y, m, n, 1);
    sm.rows.forEach((id, i) => {
      const want = dense[i].reduce((s, v, j) => s + v * b[j], 0);
      expect(relErr(r.values.get(id)!.mean[h], want), `${id} step ${h}`).toBeLessThan(1e-8);
    });
  }
}

describe('reconcile: hand-computed 3-node results (T = A + B, ŷ = 10, 4, 5)', () => {
  const sm = summingMatrix([{ id: 'T' }, { id: 'A', parent: 'T' }, { id: 'B', parent: 'T' }]);
  const one = (v: number) => ({ mean: Float64Array.of(v), quantiles: {} });
  const base = new Map([['T', one(10)], ['A', one(4)], ['B', one(5)]]);
  const run = (method: ReconciliationMethod, history?: Map<string, Float64Array>) => {
    const v = reconcile({ sm, method, base, history }).values;
    return ['T', 'A', 'B'].map((id) => v.get(id)!.mean[0]);
  };
  it('bottom-up sums the bottoms', () => expect(run('bottom-up')).toEqual([9, 4, 5]));
  it('OLS splits the gap of 1 evenly: (SᵀS)⁻¹Sᵀŷ = (13/3, 16/3)', () => {
    run('ols').forEach((v, i) => expect(v).toBeCloseTo([29 / 3, 13 / 3, 16 / 3][i], 12));
  });
  it('structural WLS (W = diag(2, 1, 1)) gives (4.25, 5.25)', () => {
    run('wls').forEach((v, i) => expect(v).toBeCloseTo([9.5, 4.25, 5.25][i], 12));
  });
  it('top-down averages the historical proportions (1/4 and 1/4 → A gets 2.5)', () => {
    const history = new Map([['T', Float64Array.of(4, 8)], ['A', Float64Array.of(1, 2)], ['B', Float64Array.of(3, 6)]]);
    run('top-down', history).forEach((v, i) => expect(v).toBeCloseTo([10, 2.5, 7.5][i], 12));
  });
});

describe('reconcile: random 50-bottom hierarchy', () => {
  const sm = summingMatrix(randomTree(50, 7));
  const inputs = randomInputs(sm, 11);

  it.each(RECONCILIATION_METHODS)('%s with comonotonic bands is coherent for the mean and every quantile, and no quantile crosses', (method) => {
    expectCoherent(sm, reconcile({ sm, method, ...inputs, bands: COMONOTONIC }));
  });

  it('OLS and structural WLS agree with the dense textbook projection', () => {
    const n = sm.rows.length;
    const eye = new Float64Array(n * n);
    const struct = new Float64Array(n * n);
    sm.rowCols.forEach((cols, i) => {
      eye[i * n + i] = 1;
      struct[i * n + i] = cols.length;
    });
    expectMatchesDense(sm, reconcile({ sm, method: 'ols', base: inputs.base }), inputs.base, denseGls(sm, eye));
    expectMatchesDense(sm, reconcile({ sm, method: 'wls', base: inputs.base }), inputs.base, denseGls(sm, struct));
  });

  it.each([
    ['more steps than series (n × n Gram)', 80],
    ['fewer steps than series (T × T Gram)', 20],
  ])('MinT-shrink agrees with the dense projection and the pairwise λ, %s', (_, steps) => {
    const residuals = new Map([...inputs.residuals].map(([id, r]) => [id, r.slice(0, steps)]));
    residuals.get(sm.cols[3])![2] = Number.NaN;
    const r = reconcile({ sm, method: 'mint-shrink', base: inputs.base, residuals });
    const x = completeSteps(sm, residuals);
    const lambda = lambdaByPairs(x);
    expect(lambda).toBeGreaterThan(0);
    expect(lambda).toBeLessThan(1);
    expect(Math.abs(r.lambda! - lambda)).toBeLessThan(1e-12);
    expect(r.applied).toMatch(/^mint-shrink/);
    const n = sm.rows.length;
    const cov = sampleCovariance(x);
    const w = cov.map((v, k) => (k % (n + 1) === 0 ? v : (1 - lambda) * v));
    expectMatchesDense(sm, r, inputs.base, denseGls(sm, w));
  });
});

describe('reconcile: MinT-shrink never returns NaN', () => {
  // GEFCom2012 zones 3 and 7 carry the same load series, so their residuals are identical.
  const sm = summingMatrix(randomTree(12, 3));
  const inputs = randomInputs(sm, 5, 4, 60);
  const allFinite = (r: ReconcileResult) => [...r.values.values()].every((f) => [f.mean, ...Object.values(f.quantiles)].every((a) => a.every(Number.isFinite)));

  it('two bottoms with identical residuals: Σ̂ is singular but λ·D keeps W definite, so MinT runs', () => {
    const residuals = new Map(inputs.residuals);
    residuals.set(sm.cols[1], residuals.get(sm.cols[0])!.slice());
    const r = reconcile({ sm, method: 'mint-shrink', base: inputs.base, residuals });
    expect(r.lambda).toBeGreaterThan(0);
    expect(r.applied).toBe(`mint-shrink (lambda ${r.lambda!.toFixed(3)})`);
    expect(allFinite(r)).toBe(true);
    expectCoherent(sm, r);
    const n = sm.rows.length;
    const w = sampleCovariance(sm.rows.map((id) => residuals.get(id)!)).map((v, k) => (k % (n + 1) === 0 ? v : (1 - r.lambda!) * v));
    expectMatchesDense(sm, r, inputs.base, denseGls(sm, w));
  });

  it('perfectly correlated residuals (λ = 0, Σ̂ of rank 1) fall back to wls-var with a warning', () => {
    // ±1 alternating: every correlation is exactly ±1 with no spread, so λ = 0 and UᵀΣ̂U is singular.
    const residuals = new Map(sm.rows.map((id, i) => [id, Float64Array.from({ length: 60 }, (_, t) => (i + 1) * (t % 2 === 0 ? 1 : -1))]));
    const r = reconcile({ sm, method: 'mint-shrink', base: inputs.base, residuals });
    expect(r.lambda).toBe(0);
    expect(r.applied).toBe('wls-var (covariance singular, lambda 0.000)');
    expect(r.warnings).toEqual(['mint-shrink fell back to wls-var: covariance singular, lambda 0.000.']);
    expect(allFinite(r)).toBe(true);
    expectCoherent(sm, r);
    // wls-var is W = diag(residual variances): the dense projection with that W.
    const n = sm.rows.length;
    const w = new Float64Array(n * n);
    sm.rows.forEach((id, i) => {
      w[i * n + i] = sampleCovariance([residuals.get(id)!])[0];
    });
    expectMatchesDense(sm, r, inputs.base, denseGls(sm, w));
  });

  it('too few complete residual steps fall back to wls-var with a warning', () => {
    const residuals = new Map([...inputs.residuals].map(([id, s], i) => [id, s.map((v, t) => (t >= 2 && t % sm.rows.length === i ? Number.NaN : v))]));
    const r = reconcile({ sm, method: 'mint-shrink', base: inputs.base, residuals });
    expect(r.applied).toBe('wls-var (only 2 complete residual steps)');
    expect(r.warnings[0]).toMatch(/^mint-shrink: 58 of 60 residual time steps dropped/);
    expect(r.warnings[1]).toBe('mint-shrink fell back to wls-var: only 2 complete residual steps.');
    expect(allFinite(r)).toBe(true);
    expectCoherent(sm, r);
  });

  it('with a window, takes the latest complete steps: a step where one series lacks its residual costs nothing when older ones exist', () => {
    // 100 steps; the last 30 each miss a residual in one series (a missing actual), and the window wants 60.
    const long = randomInputs(sm, 6, 4, 100);
    const holed = new Map([...long.residuals].map(([id, s], i) => [id, s.map((v, t) => (t >= 70 && t % sm.rows.length === i ? Number.NaN : v))]));
    const r = reconcile({ sm, method: 'mint-shrink', base: long.base, residuals: holed, residualWindow: 60 });
    expect(r.warnings).toEqual([]);
    expect(r.applied).toBe(`mint-shrink (lambda ${r.lambda!.toFixed(3)}, 60 residual steps)`);
    // The same as MinT on exactly those 60 steps.
    const complete = [...Array(100).keys()].filter((t) => sm.rows.every((id) => Number.isFinite(holed.get(id)![t]))).slice(-60);
    const same = reconcile({ sm, method: 'mint-shrink', base: long.base, residuals: new Map([...holed].map(([id, s]) => [id, Float64Array.from(complete, (t) => s[t])])) });
    expect(r.lambda).toBe(same.lambda);
    for (const id of sm.rows) expect(r.values.get(id)!.mean).toEqual(same.values.get(id)!.mean);
    // Not enough complete steps: said, with the series that lacked residuals.
    const short = reconcile({ sm, method: 'mint-shrink', base: long.base, residuals: holed, residualWindow: 90 });
    expect(short.warnings[0]).toMatch(/^mint-shrink: only 70 of the 90 residual time steps wanted are complete; steps without a residual per series: /);
  });

  it('all-zero residuals: no variance known anywhere, equal weights (the OLS result) and a warning', () => {
    const residuals = new Map(sm.rows.map((id) => [id, new Float64Array(60)]));
    const r = reconcile({ sm, method: 'mint-shrink', base: inputs.base, residuals });
    expect(r.applied).toMatch(/^wls-var/);
    expect(r.warnings.some((w) => w.startsWith('No usable residual variance for '))).toBe(true);
    const ols = reconcile({ sm, method: 'ols', base: inputs.base });
    for (const id of sm.rows) r.values.get(id)!.mean.forEach((v, h) => expect(relErr(v, ols.values.get(id)!.mean[h])).toBeLessThan(1e-12));
  });

  it('one constant residual series: still finite and coherent', () => {
    const residuals = new Map(inputs.residuals);
    residuals.set(sm.cols[2], new Float64Array(60).fill(3));
    const r = reconcile({ sm, method: 'mint-shrink', base: inputs.base, residuals });
    expect(allFinite(r)).toBe(true);
    expectCoherent(sm, r);
  });
});

describe('reconcile, comonotonic bands: quantiles keep each bottom\'s base spread around its reconciled mean', () => {
  const sm = summingMatrix(randomTree(50, 7));
  const inputs = randomInputs(sm, 11);
  const a = sm.rows.length - sm.cols.length;

  it.each(RECONCILIATION_METHODS)('%s: b_q − b = ŷ_q − ŷ_mean for every bottom, level and step when the base quantiles are sorted', (method) => {
    const base = new Map(
      [...inputs.base].map(([id, f]) => {
        const sorted = LEVELS.map((l) => f.quantiles[l].slice());
        for (let h = 0; h < f.mean.length; h++) {
          const col = sorted.map((q) => q[h]).sort((x, y) => x - y);
          col.forEach((v, q) => (sorted[q][h] = v));
        }
        return [id, { mean: f.mean, quantiles: Object.fromEntries(LEVELS.map((l, q) => [l, sorted[q]])) }];
      }),
    );
    const r = reconcile({ sm, method, ...inputs, base, bands: COMONOTONIC });
    expectCoherent(sm, r);
    for (const id of sm.rows.slice(a)) {
      const got = r.values.get(id)!;
      const want = base.get(id)!;
      for (const l of LEVELS) {
        got.quantiles[l].forEach((v, h) => {
          const spread = want.quantiles[l][h] - want.mean[h];
          expect(Math.abs(v - got.mean[h] - spread), `${id} q${l} step ${h}`).toBeLessThan(1e-9 * Math.max(1, Math.abs(got.mean[h])));
        });
      }
    }
  });

  it('aggregate base quantiles are not used: changing them changes no reconciled quantile', () => {
    const shift = (f: NodeForecast): NodeForecast => ({ mean: f.mean, quantiles: Object.fromEntries(LEVELS.map((l, q) => [l, f.quantiles[l].map((v) => v + (q + 1) * 7)])) });
    const moved = new Map([...inputs.base].map(([id, f], i) => [id, i < a ? shift(f) : f]));
    const before = reconcile({ sm, method: 'mint-shrink', ...inputs, bands: COMONOTONIC });
    const after = reconcile({ sm, method: 'mint-shrink', ...inputs, base: moved, bands: COMONOTONIC });
    for (const id of sm.rows) for (const l of LEVELS) expect(after.values.get(id)!.quantiles[l]).toEqual(before.values.get(id)!.quantiles[l]);
  });

  it('a base quantile on the wrong side of the base mean: hand-computed OLS values, sorted, coherent', () => {
    const tree = summingMatrix([{ id: 'T' }, { id: 'A', parent: 'T' }, { id: 'B', parent: 'T' }]);
    const f = (mean: number, lo: number, mid: number, hi: number) => ({ mean: Float64Array.of(mean), quantiles: { '0.1': Float64Array.of(lo), '0.5': Float64Array.of(mid), '0.9': Float64Array.of(hi) } });
    // B's P10 (11) sits above its mean (10) and above its P50 (10.5): offsets +1, +0.5, +2 sort to +0.5, +1, +2.
    const base = new Map([['T', f(20, 19.9, 20, 20.1)], ['A', f(4, 3, 4, 5)], ['B', f(10, 11, 10.5, 12)]]);
    const r = reconcile({ sm: tree, method: 'ols', base });
    // OLS with ŷ = (20, 4, 10): b = ŷ_bottom + (20 − 14)/3 = (6, 12).
    const want = { A: [5, 6, 7], B: [12.5, 13, 14], T: [17.5, 19, 21] };
    for (const [id, values] of Object.entries(want)) {
      LEVELS.forEach((l, q) => expect(r.values.get(id)!.quantiles[l][0], `${id} q${l}`).toBeCloseTo(values[q], 12));
    }
    expectCoherent(tree, r);
  });
});

describe('reconcile: input errors', () => {
  const sm = summingMatrix(randomTree(5, 1));
  const inputs = randomInputs(sm, 2);
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return { code: (e as { code?: string }).code, nodeId: (e as { details?: { nodeId?: string } }).details?.nodeId };
    }
    return undefined;
  };
  it('names the node without a base forecast', () => {
    const base = new Map(inputs.base);
    base.delete(sm.cols[2]);
    expect(codeOf(() => reconcile({ sm, method: 'ols', base }))).toEqual({ code: 'RECONCILE_MISSING_BASE', nodeId: sm.cols[2] });
  });
  it('rejects a horizon or quantile set that differs from the root', () => {
    const base = new Map(inputs.base);
    const f = base.get(sm.cols[0])!;
    base.set(sm.cols[0], { ...f, mean: f.mean.slice(1) });
    expect(codeOf(() => reconcile({ sm, method: 'ols', base }))).toEqual({ code: 'RECONCILE_SHAPE', nodeId: sm.cols[0] });
    base.set(sm.cols[0], { ...f, quantiles: { '0.5': f.quantiles['0.5'] } });
    expect(codeOf(() => reconcile({ sm, method: 'ols', base }))).toEqual({ code: 'RECONCILE_SHAPE', nodeId: sm.cols[0] });
  });
  it('rejects a non-finite base forecast', () => {
    const base = new Map(inputs.base);
    const f = base.get(sm.rows[1])!;
    base.set(sm.rows[1], { ...f, mean: f.mean.map((v, h) => (h === 2 ? Number.NaN : v)) });
    expect(codeOf(() => reconcile({ sm, method: 'bottom-up', base }))).toEqual({ code: 'RECONCILE_NONFINITE_BASE', nodeId: sm.rows[1] });
  });
  it('mint-shrink and wls-var need residuals for every node, top-down needs history', () => {
    expect(codeOf(() => reconcile({ sm, method: 'mint-shrink', base: inputs.base }))?.code).toBe('RECONCILE_NEEDS_RESIDUALS');
    expect(codeOf(() => reconcile({ sm, method: 'wls-var', base: inputs.base }))?.code).toBe('RECONCILE_NEEDS_RESIDUALS');
    const residuals = new Map(inputs.residuals);
    residuals.delete(sm.rows[0]);
    expect(codeOf(() => reconcile({ sm, method: 'mint-shrink', base: inputs.base, residuals }))).toEqual({ code: 'RECONCILE_NEEDS_RESIDUALS', nodeId: sm.rows[0] });
    expect(codeOf(() => reconcile({ sm, method: 'top-down', base: inputs.base }))?.code).toBe('RECONCILE_NEEDS_HISTORY');
    const history = new Map(inputs.history);
    history.set(sm.cols[1], history.get(sm.cols[1])!.slice(3));
    expect(codeOf(() => reconcile({ sm, method: 'top-down', base: inputs.base, history }))).toEqual({ code: 'RECONCILE_SHAPE', nodeId: sm.cols[1] });
  });
});
