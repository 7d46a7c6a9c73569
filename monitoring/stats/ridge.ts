import { cholesky, cholInverse, cholSolve } from '../../core/linalg.ts';

export interface RidgeFit {
  /** Slopes on the columns of x, in their own units. */
  weights: number[];
  intercept: number;
  /** The penalty chosen: coefficients minimise Σ(y − a − xβ)² + n·lambda·|β|². */
  lambda: number;
  /** Generalised cross-validation score n·RSS/(n − df)² at lambda, and the effective degrees of freedom df = tr(H). */
  gcv: number;
  df: number;
}

/**
 * Penalties tried, as multiples of the mean variance of the columns, so the grid is the same for
 * series of any error size: from nearly least squares to nearly nothing.
 */
export const RIDGE_LAMBDA_SCALES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10] as const;

/**
 * Ridge regression of y on the columns of x (rows = observations) with an unpenalised intercept,
 * the penalty chosen by generalised cross-validation (Golub, Heath & Wahba 1979) over the grid.
 * Columns are not rescaled: the monitor gives it relative errors of siblings, all in the same
 * units, and an equal penalty keeps a sibling with small errors from getting a large weight.
 * Pure; rows with a non-finite value are left out.
 */
export function ridgeGcv(x: ArrayLike<number>[], y: ArrayLike<number>, scales: readonly number[] = RIDGE_LAMBDA_SCALES): RidgeFit {
  const k = x[0]?.length ?? 0;
  const rows: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) continue;
    let ok = true;
    for (let j = 0; j < k && ok; j++) ok = Number.isFinite(x[i][j]);
    if (ok) rows.push(i);
  }
  const n = rows.length;
  const ym = rows.reduce((a, i) => a + y[i], 0) / Math.max(1, n);
  if (k === 0 || n <= 2) return { weights: new Array(k).fill(0), intercept: ym, lambda: Number.NaN, gcv: Number.NaN, df: 0 };
  const xm = new Float64Array(k);
  for (const i of rows) for (let j = 0; j < k; j++) xm[j] += x[i][j] / n;
  const xtx = new Float64Array(k * k);
  const xty = new Float64Array(k);
  for (const i of rows) {
    const yc = y[i] - ym;
    for (let a = 0; a < k; a++) {
      const xa = x[i][a] - xm[a];
      xty[a] += xa * yc;
      for (let b = 0; b <= a; b++) xtx[a * k + b] += xa * (x[i][b] - xm[b]);
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) xtx[b * k + a] = xtx[a * k + b];
  let meanVar = 0;
  for (let a = 0; a < k; a++) meanVar += xtx[a * k + a] / n / k;
  let best: RidgeFit | null = null;
  for (const g of scales) {
    const lambda = g * meanVar;
    const m = Float64Array.from(xtx);
    for (let a = 0; a < k; a++) m[a * k + a] += n * lambda;
    const l = cholesky(m, k);
    if (!l || !(lambda > 0)) continue;
    const beta = cholSolve(l, k, xty);
    // tr(H) = tr((XᵀX + nλI)⁻¹ XᵀX) = k − nλ·tr((XᵀX + nλI)⁻¹)
    const inv = cholInverse(l, k);
    let tr = 0;
    for (let a = 0; a < k; a++) tr += inv[a * k + a];
    const df = k - n * lambda * tr;
    let rss = 0;
    for (const i of rows) {
      let f = ym;
      for (let a = 0; a < k; a++) f += beta[a] * (x[i][a] - xm[a]);
      rss += (y[i] - f) ** 2;
    }
    const gcv = (n * rss) / (n - df) ** 2;
    if (!best || gcv < best.gcv) {
      const weights = Array.from(beta);
      best = { weights, intercept: ym - weights.reduce((a, w, j) => a + w * xm[j], 0), lambda, gcv, df };
    }
  }
  return best ?? { weights: new Array(k).fill(0), intercept: ym, lambda: Number.NaN, gcv: Number.NaN, df: 0 };
}
