import { describe, expect, it } from 'vitest';
import { normals } from './__fixtures__/simulated.ts';
import { fitGam, predictGam, refitGam, type GamIncremental } from './gam.ts';
import type { TermSpec } from './design.ts';

describe('fitGam', () => {
  const n = 400;
  const g = normals(3);
  const x = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n);
  const f = (v: number) => Math.sin(2 * Math.PI * v) + 2 * v * v;
  const y = Float64Array.from(x, (v) => f(v) + 0.2 * g());

  it('recovers a known smooth function', () => {
    const { model } = fitGam([{ kind: 's', variable: 'x', bs: 'cr', k: 12 }], { x }, y);
    const grid = Float64Array.from({ length: 50 }, (_, i) => 0.02 + (i / 49) * 0.96);
    const { fit, se } = predictGam(model, { x: grid });
    grid.forEach((v, i) => {
      expect(Math.abs(fit[i] - f(v))).toBeLessThan(0.12);
      expect(se[i]).toBeGreaterThan(0);
    });
    expect(model.smooths[0].edf).toBeGreaterThan(3);
    expect(model.smooths[0].edf).toBeLessThan(11);
    expect(Math.sqrt(model.sig2)).toBeCloseTo(0.2, 1);
  });

  it('shrinks a smooth of pure noise to its null space (a straight line)', () => {
    const noise = Float64Array.from(x, () => g());
    const { model } = fitGam([{ kind: 's', variable: 'x', bs: 'cr', k: 10 }], { x }, noise);
    expect(model.smooths[0].edf).toBeLessThan(1.5);
  });

  it('drops rows with a missing response or variable, and fits a constant response', () => {
    const yy = Float64Array.from(y);
    yy[5] = Number.NaN;
    const xx = Float64Array.from(x);
    xx[9] = Number.NaN;
    const { model, fitted } = fitGam([{ kind: 's', variable: 'x', bs: 'cr', k: 8 }], { x: xx }, yy);
    expect(model.n).toBe(n - 2);
    expect(Number.isFinite(fitted[5]) && Number.isNaN(fitted[9])).toBe(true);
    const flat = fitGam([{ kind: 's', variable: 'x', bs: 'cr', k: 8 }], { x }, new Float64Array(n).fill(7));
    flat.fitted.forEach((v) => expect(v).toBeCloseTo(7, 6));
  });

  it('refuses data it cannot fit, with codes', () => {
    const s = [{ kind: 's' as const, variable: 'x', bs: 'cr' as const, k: 8 }];
    expect(() => fitGam(s, { x }, new Float64Array(n).fill(Number.NaN))).toThrow(expect.objectContaining({ code: 'GAM_NO_DATA' }));
    expect(() => fitGam(s, { z: x }, y)).toThrow(expect.objectContaining({ code: 'GAM_MISSING_VARIABLE' }));
    expect(() => fitGam(s, { x: x.subarray(0, 10) }, y)).toThrow(expect.objectContaining({ code: 'GAM_DATA_LENGTH' }));
    expect(() => fitGam(s, { x: x.subarray(0, 5) }, y.subarray(0, 5))).toThrow(expect.objectContaining({ code: 'TOO_FEW_UNIQUE_VALUES' }));
  });
});

describe('refitGam (more rows on the same design)', () => {
  const n = 600;
  const g = normals(11);
  const x = Float64Array.from({ length: n }, (_, i) => ((i * 37) % n) / n);
  const z = Float64Array.from({ length: n }, (_, i) => (i * 0.61803) % 1);
  const day = Float64Array.from({ length: n }, (_, i) => i % 3);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(2 * Math.PI * x[i]) + Math.sin(3 * z[i]) * (1 + x[i] * x[i]) + 0.3 * day[i] + 0.1 * g());
  y[450] = Number.NaN;
  const terms: TermSpec[] = [
    { kind: 'factor', variable: 'day', levels: 3 },
    { kind: 's', variable: 'x', bs: 'cr', k: 8, by: 'day', byLevels: 3 },
    { kind: 's', variable: 'z', bs: 'cr', k: 6 },
    { kind: 'ti', variables: ['x', 'z'], bs: ['cr', 'cr'], k: [4, 4] },
  ];
  const head = (m: number) => ({ x: x.subarray(0, m), z: z.subarray(0, m), day: day.subarray(0, m) });
  const first = fitGam(terms, head(400), y.subarray(0, 400), 'REML', { keepIncremental: true });
  const refit = refitGam(first.incremental!, head(n), y);
  // The same design accumulated from no rows at all, its λ searched from the cold start.
  const empty: GamIncremental = { ...first.incremental!, xtxUpper: new Float64Array(first.incremental!.xtxUpper.length), xty: new Float64Array(first.incremental!.xty.length), yty: 0, n: 0, rowsRead: 0, lambda: new Float64Array(0) };
  const onePass = refitGam(empty, head(n), y);

  it('adds the new rows to the cross-products: equal to accumulating every row in one pass', () => {
    const a = refit.incremental;
    const b = onePass.incremental;
    expect(a.n).toBe(n - 1);
    expect(a.rowsRead).toBe(n);
    const scale = Math.max(...b.xtxUpper.map(Math.abs));
    a.xtxUpper.forEach((v, i) => expect(Math.abs(v - b.xtxUpper[i])).toBeLessThan(1e-12 * scale));
    a.xty.forEach((v, i) => expect(v).toBeCloseTo(b.xty[i], 9));
    expect(a.yty).toBeCloseTo(b.yty, 9);
  });

  it('reaches the cold-started optimum from the previous λ, in fewer iterations', () => {
    refit.model.lambda.forEach((l, j) => expect(Math.abs(Math.log(l / onePass.model.lambda[j]))).toBeLessThan(1e-3));
    refit.model.beta.forEach((b, j) => expect(b).toBeCloseTo(onePass.model.beta[j], 4));
    expect(refit.model.iterations).toBeLessThan(onePass.model.iterations);
    expect(Number.isNaN(predictGam(refit.model, head(n), false).fit[450])).toBe(false);
  });

  it('restarts a λ at its upper bound inside it: back to the bound when the new rows keep it linear, back in when they bend it', () => {
    const m = 1600;
    const h = normals(2);
    const u = Float64Array.from({ length: m }, (_, i) => ((i * 37) % 400) / 400);
    const w = Float64Array.from({ length: m }, (_, i) => (i * 0.61803) % 1);
    const terms: TermSpec[] = [
      { kind: 's', variable: 'u', bs: 'cr', k: 8 },
      { kind: 's', variable: 'w', bs: 'cr', k: 8 },
    ];
    const d = (k: number) => ({ u: u.subarray(0, k), w: w.subarray(0, k) });
    // u enters linearly in the first 400 rows (its λ at the bound); after them, linearly or bent.
    const noise = Float64Array.from({ length: m }, () => 0.3 * h());
    const ys = (bend: number) => Float64Array.from({ length: m }, (_, i) => u[i] + Math.sin(2 * Math.PI * w[i]) + (i >= 400 ? bend * Math.sin(3 * Math.PI * u[i]) : 0) + noise[i]);
    for (const bend of [0, 0.5]) {
      const y = ys(bend);
      const first = fitGam(terms, d(400), y.subarray(0, 400), 'REML', { keepIncremental: true });
      expect(Math.log(first.incremental!.lambda[0])).toBeCloseTo(25, 6);
      const refit = refitGam(first.incremental!, d(m), y);
      const cold: GamIncremental = { ...first.incremental!, xtxUpper: new Float64Array(first.incremental!.xtxUpper.length), xty: new Float64Array(first.incremental!.xty.length), yty: 0, n: 0, rowsRead: 0, lambda: new Float64Array(0) };
      const scratch = refitGam(cold, d(m), y);
      const logs = [refit, scratch].map((r) => Array.from(r.model.lambda, Math.log));
      if (bend === 0) expect(logs[1][0]).toBeCloseTo(25, 6);
      else expect(logs[1][0]).toBeLessThan(15);
      logs[0].forEach((l, j) => expect(Math.abs(l - logs[1][j])).toBeLessThan(1e-3));
      if (bend === 0) expect(refit.model.iterations).toBeLessThan(scratch.model.iterations);
    }
  });

  it('computes fitted values block by block as the full model-matrix rows give them', () => {
    const withRows = predictGam(refit.model, head(n), true).fit;
    predictGam(refit.model, head(n), false).fit.forEach((v, i) => expect(v).toBeCloseTo(withRows[i], 12));
    // A te (no margin constraints, one overall) on a cyclic margin, x beyond the knots too.
    const te: TermSpec[] = [{ kind: 'te', variables: ['x', 'z'], bs: ['cr', 'cc'], k: [5, 6], knots: [undefined, [0, 1]] }];
    const fit = fitGam(te, head(400), y.subarray(0, 400));
    const wider = { x: Float64Array.from(x, (v) => 1.4 * v - 0.2), z };
    const fast = predictGam(fit.model, wider, false).fit;
    predictGam(fit.model, wider, true).fit.forEach((v, i) => expect(fast[i]).toBeCloseTo(v, 12));
  });

  it('refuses data shorter than what it was fitted on', () => {
    expect(() => refitGam(first.incremental!, head(300), y.subarray(0, 300))).toThrow(expect.objectContaining({ code: 'GAM_REFIT_SHORTER' }));
  });
});


describe('tensor-product rows summed by groups', () => {
  it('gives the cross-products, hence the fit, of row-by-row accumulation', () => {
    const n = 500;
    const g = normals(5);
    const temp = Float64Array.from({ length: n }, (_, i) => 10 + 8 * Math.sin(i / 37) + g());
    const hour = Float64Array.from({ length: n }, (_, i) => i % 24);
    const trend = Float64Array.from({ length: n }, (_, i) => i / n);
    const y = Float64Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * hour[i]) / 24) * (1 + temp[i] / 20) + trend[i] + 0.1 * g());
    const terms: TermSpec[] = [
      { kind: 's', variable: 'trend', bs: 'cr', k: 5 },
      { kind: 'te', variables: ['temp', 'hour'], bs: ['cr', 'cc'], k: [5, 6], knots: [undefined, [0, 24]] },
    ];
    const data = { temp, hour, trend };
    const groupedFit = fitGam(terms, data, y, 'REML', { keepIncremental: true });
    const byRowFit = fitGam(terms, data, y, 'REML', { keepIncremental: true, groupRows: false });
    const grouped = groupedFit.incremental!;
    const byRow = byRowFit.incremental!;
    const scale = Math.max(...byRow.xtxUpper.map(Math.abs));
    const p = byRow.design.p;
    for (let r = 0; r < p; r++) for (let c = r; c < p; c++) expect(Math.abs(grouped.xtxUpper[r * p + c] - byRow.xtxUpper[r * p + c])).toBeLessThan(1e-12 * scale);
    grouped.xty.forEach((v, i) => expect(v).toBeCloseTo(byRow.xty[i], 10));
    // λ of a smooth pushed into its null space (the linear trend) runs off towards the bound, where
    // its value no longer matters; the others and the fit agree. To 1e-3: the search stops when
    // no log λ moves by 1e-4, and on a flat REML surface rounding alone moves the stop by that much.
    grouped.lambda.forEach((l, j) => {
      if (Math.log(l) < 15) expect(l / byRow.lambda[j]).toBeCloseTo(1, 3);
    });
    groupedFit.fitted.forEach((v, i) => expect(v).toBeCloseTo(byRowFit.fitted[i], 6));
  });
});
