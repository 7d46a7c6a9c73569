import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { armaForecast, conditionOn, cssLogLik, fitArLeastSquares, isStable, psiWeights } from './arma.ts';
import { fitResidualArima, fitResidualArimaMany, ML_MAX_STATE, refitBestFirst, refitsByMl, type ResidualArimaFit } from './residual-arima.ts';
import type { ArmaOrder } from './wasm-fit.ts';
import { expandSeasonalAr, fitWasmCandidates } from './wasm-fit.ts';

interface RReference {
  y: number[];
  arma: { ar: number[]; ma: number; mean: number; sigma2: number; forecast: number[]; se: number[] };
  ar2: { ar: number[]; mean: number };
}
const ref = JSON.parse(readFileSync(new URL('./__fixtures__/r-reference.json', import.meta.url), 'utf8')) as RReference;
const y = Float64Array.from(ref.y);

function simulateAr(n: number, phi: number[], seed = 7): Float64Array {
  let s = seed;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const e = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
    out[t] = e + phi.reduce((acc, c, i) => acc + (t > i ? c * out[t - 1 - i] : 0), 0);
  }
  return out;
}

/**
 * Exact Gaussian log-likelihood of an ARMA with its variance profiled out, from the autocovariance
 * matrix (psi weights) by Cholesky: slow, independent of the wasm's Kalman filter, for short series.
 */
function exactLogLik(y: Float64Array, c: { phi: Float64Array; theta: Float64Array; mean: number }): number {
  const n = y.length;
  const psi = psiWeights(c, 5000);
  const gamma = Float64Array.from({ length: n }, (_, k) => {
    let v = 0;
    for (let j = 0; j + k < psi.length; j++) v += psi[j] * psi[j + k];
    return v;
  });
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let v = gamma[i - j];
      for (let r = 0; r < j; r++) v -= l[i * n + r] * l[j * n + r];
      l[i * n + j] = i === j ? Math.sqrt(v) : v / l[j * n + j];
    }
  }
  const z = new Float64Array(n);
  let logDet = 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    let v = y[i] - c.mean;
    for (let r = 0; r < i; r++) v -= l[i * n + r] * z[r];
    z[i] = v / l[i * n + i];
    logDet += 2 * Math.log(l[i * n + i]);
    ss += z[i] * z[i];
  }
  return -0.5 * (n * Math.log((2 * Math.PI * ss) / n) + logDet + n);
}

describe('ARMA against R forecast::Arima (fixture made by __fixtures__/make-r-reference.R)', () => {
  it('forecasts R coefficients like R, mean and standard error', () => {
    const coef = { phi: Float64Array.from(ref.arma.ar), theta: Float64Array.from([ref.arma.ma]), mean: ref.arma.mean };
    const f = armaForecast(conditionOn(y, coef, ref.arma.sigma2), 48);
    for (let h = 0; h < 48; h++) {
      expect(f.mean[h]).toBeCloseTo(ref.arma.forecast[h], 5);
      expect(Math.sqrt(f.variance[h])).toBeCloseTo(ref.arma.se[h], 5);
    }
  });

  it('reaches R CSS estimates with the arima wasm (coefficients read from its struct)', () => {
    const [c] = fitWasmCandidates({ values: ref.y, orders: [{ p: 2, q: 1, P: 0, s: 0 }], method: 1, optimizer: 6 });
    expect(c.retval).toBe(1);
    expect(c.phi[0]).toBeCloseTo(ref.arma.ar[0], 1);
    expect(c.phi[1]).toBeCloseTo(ref.arma.ar[1], 1);
    expect(c.theta[0]).toBeCloseTo(ref.arma.ma, 1);
    expect(c.mean).toBeCloseTo(ref.arma.mean, 1);
    const ours = cssLogLik(y, { phi: Float64Array.from(c.phi), theta: Float64Array.from(c.theta), mean: c.mean });
    const rs = cssLogLik(y, { phi: Float64Array.from(ref.arma.ar), theta: Float64Array.from([ref.arma.ma]), mean: ref.arma.mean });
    expect(ours.loglik).toBeGreaterThan(rs.loglik - 1);
  });

  it('AR least squares matches R CSS AR(2)', () => {
    const fit = fitArLeastSquares(y, [1, 2]);
    expect(fit.coefficients.phi[0]).toBeCloseTo(ref.ar2.ar[0], 2);
    expect(fit.coefficients.phi[1]).toBeCloseTo(ref.ar2.ar[1], 2);
    expect(fit.coefficients.mean).toBeCloseTo(ref.ar2.mean, 1);
  });
});

describe('ARMA building blocks', () => {
  it('AR least squares recovers a simulated AR(2) with a seasonal lag and skips missing rows', () => {
    const x = simulateAr(4000, [0.6, -0.2, ...new Array(21).fill(0), 0.3]);
    for (let i = 100; i < 4000; i += 97) x[i] = Number.NaN;
    const fit = fitArLeastSquares(x, [1, 2, 24]);
    expect(fit.coefficients.phi[0]).toBeCloseTo(0.6, 1);
    expect(fit.coefficients.phi[1]).toBeCloseTo(-0.2, 1);
    expect(fit.coefficients.phi[23]).toBeCloseTo(0.3, 1);
    expect(fit.coefficients.phi[10]).toBe(0);
  });

  it('tells stable from explosive AR polynomials', () => {
    expect(isStable({ phi: Float64Array.from([0.5, -0.3]), theta: new Float64Array(0), mean: 0 })).toBe(true);
    expect(isStable({ phi: Float64Array.from([1.01]), theta: new Float64Array(0), mean: 0 })).toBe(false);
    expect(isStable({ phi: Float64Array.from([0.5, 0.6]), theta: new Float64Array(0), mean: 0 })).toBe(false);
  });

  it('expands a multiplicative seasonal AR', () => {
    // (1 − 0.5B)(1 − 0.4B²) = 1 − 0.5B − 0.4B² + 0.2B³
    expect(expandSeasonalAr([0.5], [0.4], 2)).toEqual([0.5, 0.4, -0.2]);
  });
});

describe('fitResidualArima', () => {
  it('fits in a worker, picks an order by AICc, and its forecast decays to the residual mean', async () => {
    const x = simulateAr(1344, [0.7, -0.2]);
    const fit = await fitResidualArima(x, { seasonalLags: [] });
    expect(fit.method).toBe('arima');
    expect(fit.fallbackReason).toBeUndefined();
    expect(fit.order.p + fit.order.q).toBeGreaterThan(0);
    const f = armaForecast(fit.state, 200);
    expect(Math.abs(f.mean[199] - fit.state.mean)).toBeLessThan(1e-6);
    expect(f.variance[199]).toBeGreaterThan(f.variance[0]);
  });

  it('falls back to AR least squares, labelled, when the worker times out', async () => {
    const x = simulateAr(1344, [0.7, -0.2]);
    const fit = await fitResidualArima(x, { seasonalLags: [24], timeoutMs: 1 });
    expect(fit.method).toBe('ar-ls');
    expect(fit.fallbackReason).toMatch(/did not answer.*AR least squares used/);
    expect(fit.state.phi[0]).toBeCloseTo(0.7, 1);
  });

  it('rejects models whose forecast leaves the bound', async () => {
    const x = simulateAr(1344, [0.7, -0.2]);
    const fit = await fitResidualArima(x, { useWasm: false, boundK: 1e-9 });
    expect(fit.method).toBe('none');
    expect(fit.fallbackReason).toMatch(/mean/);
    expect(armaForecast(fit.state, 10).mean.every(Number.isFinite)).toBe(true);
  });

  it('survives a window too gappy for any AR regression', async () => {
    const x = simulateAr(600, [0.5]);
    for (let i = 0; i < x.length; i += 2) x[i] = Number.NaN;
    const fit = await fitResidualArima(x, { useWasm: false });
    expect(fit.method).toBe('none');
    expect(fit.fallbackReason).toMatch(/arima disabled; no stable AR least-squares fit/);
  });

  it('keeps a constant residual as a level and forecasts zero for all-missing residuals', async () => {
    for (const [x, level] of [[new Float64Array(500).fill(3), 3], [new Float64Array(500).fill(Number.NaN), 0]] as const) {
      const fit = await fitResidualArima(x);
      expect(fit.method).toBe('none');
      const f = armaForecast(fit.state, 5);
      expect(Array.from(f.mean)).toEqual([level, level, level, level, level]);
      expect(f.variance.every(Number.isFinite)).toBe(true);
    }
  });

  it('fits many series in batches, each judged on its own', async () => {
    const fits = await fitResidualArimaMany([simulateAr(1000, [0.6]), new Float64Array(800).fill(1), simulateAr(900, [0.3, 0.3], 3)], { seasonalLags: [], batchSize: 2 });
    expect(fits.map((f) => f.method)).toEqual(['arima', 'none', 'arima']);
    expect(fits[0].state.phi[0]).toBeCloseTo(0.6, 1);
  });

  it('refits the chosen order by exact ML when its state is small: a higher exact likelihood than CSS', async () => {
    // A short window: the values CSS conditions away and its small-sample bias matter.
    const x = simulateAr(120, [0.7], 11);
    for (let t = 0; t < x.length; t++) x[t] += 5;
    const css = await fitResidualArima(x, { seasonalLags: [], maxP: 1, maxQ: 0, estimation: 'css' });
    const ml = await fitResidualArima(x, { seasonalLags: [], maxP: 1, maxQ: 0, estimation: 'auto' });
    expect(css.estimation).toBe('css');
    expect(ml.estimation).toBe('css-ml');
    expect(ml.order).toEqual(css.order);
    expect(ml.state.phi[0]).not.toBe(css.state.phi[0]);
    const llMl = exactLogLik(x, ml.state);
    const llCss = exactLogLik(x, css.state);
    expect(llMl).toBeGreaterThanOrEqual(llCss - 1e-6);
    // and the CSS coefficients maximise the CSS likelihood, not the exact one
    expect(cssLogLik(x, css.state).loglik).toBeGreaterThanOrEqual(cssLogLik(x, ml.state).loglik - 1e-6);
  });

  it("'auto' refits by exact ML hourly orders with a daily seasonal AR and every non-seasonal order, not half-hourly seasonal ones", () => {
    expect(refitsByMl({ p: 2, q: 1, P: 1, s: 24 }, 'auto')).toBe(true);
    expect(refitsByMl({ p: 3, q: 2, P: 1, s: 24 }, 'auto')).toBe(true);
    expect(refitsByMl({ p: 2, q: 1, P: 1, s: 48 }, 'auto')).toBe(false);
    expect(refitsByMl({ p: 2, q: 1, P: 1, s: 96 }, 'auto')).toBe(false);
    expect(refitsByMl({ p: 3, q: 2, P: 0, s: 0 }, 'auto')).toBe(true);
    expect(refitsByMl({ p: 0, q: ML_MAX_STATE, P: 0, s: 0 }, 'auto')).toBe(false);
    expect(refitsByMl({ p: 2, q: 1, P: 1, s: 48 }, 'css-ml')).toBe(true);
    expect(refitsByMl({ p: 1, q: 0, P: 0, s: 0 }, 'css')).toBe(false);
  });

  it('fits a half-hourly window with a daily seasonal AR by CSS only under auto', async () => {
    const x = simulateAr(42 * 48, [0.7, -0.2, ...new Array(45).fill(0), 0.4], 5);
    const fit = await fitResidualArima(x, { seasonalLags: [48], boundSteps: 14 * 48 });
    expect(fit.method).toBe('arima');
    expect(fit.order.P).toBe(1);
    expect(fit.estimation).toBe('css');
  });

  it('keeps the first usable exact-ML refit, best CSS order first (then orders with an AR part), as auto.arima does after its approximate search', async () => {
    const css = (order: ArmaOrder, aicc: number): ResidualArimaFit => ({ state: { phi: new Float64Array(0), theta: new Float64Array(0), mean: 0, sigma2: 1, tailY: new Float64Array(0), tailE: new Float64Array(0) }, order, method: 'arima', aicc, estimation: 'css' });
    const hourlySeasonal = { p: 2, q: 1, P: 1, s: 24 };
    const halfHourlySeasonal = { p: 2, q: 1, P: 1, s: 48 };
    const ar3 = { p: 3, q: 0, P: 0, s: 0 };
    const ar1 = { p: 1, q: 0, P: 0, s: 0 };
    const ma1 = { p: 0, q: 1, P: 0, s: 0 };
    const ranks = [
      [css(hourlySeasonal, 1), css(ma1, 1.5), css(ar3, 2), css(ar1, 3)], // the seasonal refit diverges: AR(3) by ML, the pure MA skipped
      [css(halfHourlySeasonal, 1), css(ar3, 2)], // too large for exact ML: kept as CSS fitted it
      [css(ar3, 1), css(ar1, 2), css(ma1, 3)], // every refit rejected: the CSS best
      [],
    ];
    const asked: string[] = [];
    const chosen = await refitBestFirst(ranks, 'auto', async (picks) => {
      asked.push(picks.map(({ k, order }) => `${k}:${order.p}${order.q}${order.P}`).join(' '));
      return picks.map(({ k, order }) => (k === 0 && order.P === 0 ? { ...css(order, 0), estimation: 'css-ml' as const } : undefined));
    });
    expect(asked).toEqual(['0:211 2:300', '0:300 2:100']);
    expect(chosen[0]).toMatchObject({ order: ar3, estimation: 'css-ml' });
    expect(chosen[1]).toBe(ranks[1][0]);
    expect(chosen[2]).toBe(ranks[2][0]);
    expect(chosen[3]).toBeUndefined();
    // 'css' refits nothing; a failed refit worker keeps the CSS best
    expect(await refitBestFirst(ranks, 'css', () => Promise.reject(new Error('not called')))).toEqual(ranks.map((r) => r[0]));
    expect(await refitBestFirst(ranks, 'css-ml', () => Promise.reject(new Error('worker timed out')))).toEqual(ranks.map((r) => r[0]));
  });
});
