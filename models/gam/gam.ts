/**
 * The generic GAM: y ~ parametric terms + smooths, Gaussian identity link, smoothing by REML or GCV.
 * A fitted GamModel is plain data (numbers, strings, Float64Array) so it survives an artifact round trip.
 */
import { GridcastError } from '../../core/errors.ts';
import { buildDesign, designRow, designScratch, type Design, type GamData, type TermSpec } from './design.ts';
import { fitPls, type SmoothingCriterion } from './fit.ts';

export interface SmoothSummary {
  label: string;
  edf: number;
  /** Smoothing parameters of the smooth's penalties (on the scaled penalties, as mgcv's sp). */
  lambda: number[];
}

export interface GamModel {
  terms: TermSpec[];
  design: Design;
  criterion: SmoothingCriterion;
  beta: Float64Array;
  /** Bayesian posterior covariance of β (mgcv's Vp), p × p row-major. */
  vp: Float64Array;
  lambda: Float64Array;
  sig2: number;
  /** Rows used in the fit (finite response and variables). */
  n: number;
  edf: number;
  smooths: SmoothSummary[];
  score: number;
  /** Outer iterations of the smoothing-parameter search, and whether it converged. */
  iterations: number;
  converged: boolean;
}

export interface GamFitResult {
  model: GamModel;
  /** Fitted values for every data row, observed or not (NaN only where a variable is missing). */
  fitted: Float64Array;
}

export function fitGam(terms: TermSpec[], data: GamData, y: ArrayLike<number>, criterion: SmoothingCriterion = 'REML'): GamFitResult {
  const nAll = y.length;
  for (const [name, col] of Object.entries(data)) {
    if (col.length !== nAll) throw new GridcastError('GAM_DATA_LENGTH', `GAM data column '${name}' has ${col.length} rows, the response has ${nAll}`, { variable: name });
  }
  const candidate: number[] = [];
  const used = usedVariables(terms);
  for (const v of used) if (!data[v]) throw new GridcastError('GAM_MISSING_VARIABLE', `the GAM formula uses variable '${v}' but the data has no such column`, { variable: v });
  for (let i = 0; i < nAll; i++) {
    if (!Number.isFinite(y[i])) continue;
    let ok = true;
    for (const v of used) if (!Number.isFinite(data[v][i])) ok = false;
    if (ok) candidate.push(i);
  }
  if (candidate.length === 0) throw new GridcastError('GAM_NO_DATA', 'no row has both an observed response and every GAM variable', { rows: nAll });
  const rows = Int32Array.from(candidate);
  const design = buildDesign(terms, data, rows);
  const p = design.p;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  let yty = 0;
  const row = new Float64Array(p);
  const nz = new Int32Array(p);
  const vals = new Float64Array(p);
  const scratch = designScratch(design);
  for (const i of rows) {
    designRow(design, data, i, row, scratch);
    // Rows are sparse across by-factor blocks: accumulate over non-zero columns only.
    let m = 0;
    for (let c = 0; c < p; c++) {
      if (row[c] !== 0) {
        nz[m] = c;
        vals[m++] = row[c];
      }
    }
    const yi = y[i];
    yty += yi * yi;
    for (let a = 0; a < m; a++) {
      const ca = nz[a];
      const va = vals[a];
      xty[ca] += va * yi;
      const base = ca * p;
      for (let b = a; b < m; b++) xtx[base + nz[b]] += va * vals[b];
    }
  }
  for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) xtx[b * p + a] = xtx[a * p + b];
  const pls = fitPls({ n: rows.length, p, xtx, xty, yty }, design.smooths, criterion);
  const vp = Float64Array.from(pls.ainv, (v) => v * pls.sig2);
  let li = 0;
  const smooths = design.smooths.map((b) => {
    let e = 0;
    for (let c = 0; c < b.size; c++) e += pls.edf[b.offset + c];
    const lambda = Array.from(pls.lambda.subarray(li, li + b.penalties.length));
    li += b.penalties.length;
    return { label: b.label, edf: e, lambda };
  });
  const model: GamModel = {
    terms,
    design,
    criterion,
    beta: pls.beta,
    vp,
    lambda: pls.lambda,
    sig2: pls.sig2,
    n: rows.length,
    edf: pls.edf.reduce((a, b) => a + b, 0),
    smooths,
    score: pls.score,
    iterations: pls.iterations,
    converged: pls.converged,
  };
  return { model, fitted: predictGam(model, data, false).fit };
}

function usedVariables(terms: TermSpec[]): string[] {
  const out = new Set<string>();
  for (const t of terms) {
    if ('variables' in t) t.variables.forEach((v) => out.add(v));
    else out.add(t.variable);
    if (t.kind === 's' && t.by) out.add(t.by);
  }
  return [...out];
}

/**
 * Predictions and their standard errors (of the mean: √(xᵀ Vp x)); rows with a missing variable get NaN.
 */
export function predictGam(model: GamModel, data: GamData, withSe = true): { fit: Float64Array; se: Float64Array } {
  const { design, beta, vp } = model;
  const p = design.p;
  let n = -1;
  for (const v of usedVariables(model.terms)) {
    const col = data[v];
    if (!col) throw new GridcastError('GAM_MISSING_VARIABLE', `prediction data has no column '${v}' used by the GAM`, { variable: v });
    if (n >= 0 && col.length !== n) throw new GridcastError('GAM_DATA_LENGTH', `prediction column '${v}' has ${col.length} rows, expected ${n}`, { variable: v });
    n = col.length;
  }
  n = Math.max(0, n);
  const fit = new Float64Array(n);
  const se = new Float64Array(n);
  const row = new Float64Array(p);
  const scratch = designScratch(design);
  for (let i = 0; i < n; i++) {
    if (!designRow(design, data, i, row, scratch)) {
      fit[i] = Number.NaN;
      se[i] = Number.NaN;
      continue;
    }
    let f = 0;
    for (let c = 0; c < p; c++) f += row[c] * beta[c];
    fit[i] = f;
    if (withSe) {
      let q = 0;
      for (let a = 0; a < p; a++) {
        if (row[a] === 0) continue;
        let t = 0;
        for (let b = 0; b < p; b++) t += vp[a * p + b] * row[b];
        q += row[a] * t;
      }
      se[i] = Math.sqrt(Math.max(0, q));
    }
  }
  return { fit, se };
}
