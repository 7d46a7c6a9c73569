/**
 * The generic GAM: y ~ parametric terms + smooths, Gaussian identity link, smoothing by REML or GCV.
 * A fitted GamModel is plain data (numbers, strings, Float64Array) so it survives an artifact round trip.
 */
import { GridcastError } from '../../core/errors.ts';
import { addBlockPredictor, buildDesign, designRow, designScratch, type Design, type GamData, type TermSpec } from './design.ts';
import { fitPls, type SmoothingCriterion } from './fit.ts';
import { basisRow, basisRowOf, basisSize } from './basis.ts';
import { nullSpaceCongruence, rowTimesNullSpace } from '../../core/linalg.ts';

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
  /** What refitGam needs to refit on more rows without starting over (kept only when asked: p² doubles). */
  incremental?: GamIncremental;
}

/**
 * A fit's design and accumulated cross-products, for refitting on data that extends the fitted
 * rows (a rolling-origin backtest grows the history by a day per origin): the new rows are added
 * to XᵀX, Xᵀy, yᵀy and the smoothing-parameter search starts from the previous λ. The design —
 * knots, sum-to-zero constraints, penalty scaling, all placed from the first fit's rows — is kept,
 * so a refit equals a fresh fit on the same design, not a fresh fit with knots re-placed on the
 * longer data; refitGam's caller bounds how far the data may grow before it fits afresh.
 */
export interface GamIncremental {
  terms: TermSpec[];
  design: Design;
  criterion: SmoothingCriterion;
  /** Upper triangle of XᵀX (row-major p × p; the lower triangle is unused). */
  xtxUpper: Float64Array;
  xty: Float64Array;
  yty: number;
  /** Rows in the cross-products. */
  n: number;
  /** Data rows already read (used or skipped): a refit reads from here on. */
  rowsRead: number;
  /** Rows the design (knots, constraints) was placed on. */
  designRows: number;
  lambda: Float64Array;
}

function checkData(terms: TermSpec[], data: GamData, nAll: number): string[] {
  for (const [name, col] of Object.entries(data)) {
    if (col.length !== nAll) throw new GridcastError('GAM_DATA_LENGTH', `GAM data column '${name}' has ${col.length} rows, the response has ${nAll}`, { variable: name });
  }
  const used = usedVariables(terms);
  for (const v of used) if (!data[v]) throw new GridcastError('GAM_MISSING_VARIABLE', `the GAM formula uses variable '${v}' but the data has no such column`, { variable: v });
  return used;
}

/** Rows in [from, to) with a finite response and every variable finite. */
function usableRows(data: GamData, y: ArrayLike<number>, used: string[], from: number, to: number): Int32Array {
  const candidate: number[] = [];
  for (let i = from; i < to; i++) {
    if (!Number.isFinite(y[i])) continue;
    let ok = true;
    for (const v of used) if (!Number.isFinite(data[v][i])) ok = false;
    if (ok) candidate.push(i);
  }
  return Int32Array.from(candidate);
}

/** Adds the model-matrix rows `rows` to the upper triangle of XᵀX, to Xᵀy; returns Σy². */
function accumulate(design: Design, data: GamData, y: ArrayLike<number>, rows: Int32Array, xtxUpper: Float64Array, xty: Float64Array, group = true): number {
  const p = design.p;
  const grouped = group ? groupedTensor(design, data, rows) : undefined;
  let yty = 0;
  const row = new Float64Array(p);
  const nz = new Int32Array(p);
  const vals = new Float64Array(p);
  const scratch = designScratch(design);
  for (const i of rows) {
    designRow(design, data, i, row, scratch);
    const yi = y[i];
    if (grouped) {
      grouped.add(i, row, yi);
      row.fill(0, grouped.block.offset, grouped.block.offset + grouped.block.size);
    }
    // Rows are sparse across by-factor blocks: accumulate over non-zero columns only.
    let m = 0;
    for (let c = 0; c < p; c++) {
      if (row[c] !== 0) {
        nz[m] = c;
        vals[m++] = row[c];
      }
    }
    yty += yi * yi;
    for (let a = 0; a < m; a++) {
      const ca = nz[a];
      const va = vals[a];
      xty[ca] += va * yi;
      const base = ca * p;
      for (let b = a; b < m; b++) xtxUpper[base + nz[b]] += va * vals[b];
    }
  }
  grouped?.finish(xtxUpper, xty);
  return yty;
}

/** Distinct values of a tensor product's second variable up to which its rows are grouped by them. */
const MAX_GROUPS = 200;

/**
 * The cross-products of a tensor-product block (te: one overall constraint, no by) whose second
 * variable takes few distinct values (time of day: 24 or 48), by groups of that value, as mgcv's
 * bam(discrete = TRUE) does with its discretised covariates (here exact, nothing rounded). The
 * block's raw row is a ⊗ b, b fixed within a group, so Σ (a⊗b)(a⊗b)ᵀ = Σ_groups (Σ a aᵀ) ⊗ b bᵀ and
 * Σ r (a⊗b)ᵀ = Σ_groups (Σ r aᵀ) ⊗ bᵀ: per row, a's outer products with itself and with the other
 * columns instead of the block's ~100 columns with everything. The constraint is applied once at
 * the end. On the load GAM (te(temp, hour) = 109 of ~270 columns) that is ~3× less work per row.
 */
function groupedTensor(design: Design, data: GamData, rows: Int32Array) {
  const block = design.smooths.find((b) => b.marginals.length === 2 && !b.by && !b.marginalReflectors && b.reflector);
  if (!block) return undefined;
  const x0 = data[block.variables[0]];
  const x1 = data[block.variables[1]];
  const groupOf = new Map<number, number>();
  for (const i of rows) {
    if (!groupOf.has(x1[i])) {
      if (groupOf.size >= MAX_GROUPS) return undefined;
      groupOf.set(x1[i], groupOf.size);
    }
  }
  const p = design.p;
  const [m0, m1] = block.marginals;
  const ka = basisSize(m0);
  const kb = basisSize(m1);
  const g = groupOf.size;
  const aa = new Float64Array(g * ka * ka);
  const ra = new Float64Array(g * p * ka);
  const ay = new Float64Array(g * ka);
  const a = new Float64Array(ka);
  const fillA = basisRowOf(m0);
  return {
    block,
    /** Row i, `row` its full model-matrix row (the block's columns are ignored: they are a ⊗ b). */
    add(i: number, row: Float64Array, yi: number) {
      const h = groupOf.get(x1[i])!;
      fillA(x0[i], a);
      const aaH = h * ka * ka;
      for (let r = 0; r < ka; r++) {
        const ar = a[r];
        if (ar === 0) continue;
        ay[h * ka + r] += ar * yi;
        for (let c = r; c < ka; c++) aa[aaH + r * ka + c] += ar * a[c];
      }
      const raH = h * p * ka;
      const lo = block.offset;
      const hi = block.offset + block.size;
      for (let c = 0; c < p; c++) {
        const v = row[c];
        if (v === 0 || (c >= lo && c < hi)) continue;
        const base = raH + c * ka;
        for (let r = 0; r < ka; r++) ra[base + r] += v * a[r];
      }
    },
    finish(xtxUpper: Float64Array, xty: Float64Array) {
      const k = ka * kb;
      const b = new Float64Array(kb);
      const bs = new Float64Array(g * kb);
      for (const [value, h] of groupOf) {
        basisRow(m1, value, b);
        bs.set(b, h * kb);
      }
      // Raw block × block (full, symmetric), Xᵀy, and other columns × block.
      const t = new Float64Array(k * k);
      const ty = new Float64Array(k);
      const rt = new Float64Array(p * k);
      for (let h = 0; h < g; h++) {
        const bh = bs.subarray(h * kb, (h + 1) * kb);
        for (let r = 0; r < ka; r++) {
          for (let c = r; c < ka; c++) {
            const v = aa[h * ka * ka + r * ka + c];
            if (v === 0) continue;
            for (let u = 0; u < kb; u++) {
              const vb = v * bh[u];
              if (vb === 0) continue;
              for (let w = 0; w < kb; w++) {
                t[(r * kb + u) * k + c * kb + w] += vb * bh[w];
                if (c !== r) t[(c * kb + w) * k + r * kb + u] += vb * bh[w];
              }
            }
          }
          const vy = ay[h * ka + r];
          for (let u = 0; u < kb; u++) ty[r * kb + u] += vy * bh[u];
        }
        for (let col = 0; col < p; col++) {
          const base = h * p * ka + col * ka;
          for (let r = 0; r < ka; r++) {
            const v = ra[base + r];
            if (v === 0) continue;
            for (let u = 0; u < kb; u++) rt[col * k + r * kb + u] += v * bh[u];
          }
        }
      }
      // The block's constraint: columns Z (k × k−1), Zᵀ T Z, Zᵀ ty, (other × block) Z.
      const v = block.reflector!;
      const tz = nullSpaceCongruence(t, v);
      const q = block.size;
      const off = block.offset;
      const out = new Float64Array(q);
      rowTimesNullSpace(ty, v, out);
      for (let j = 0; j < q; j++) xty[off + j] += out[j];
      for (let r = 0; r < q; r++) for (let c = r; c < q; c++) xtxUpper[(off + r) * p + off + c] += tz[r * q + c];
      for (let col = 0; col < p; col++) {
        if (col >= off && col < off + q) continue;
        rowTimesNullSpace(rt.subarray(col * k, (col + 1) * k), v, out);
        for (let j = 0; j < q; j++) {
          if (col < off) xtxUpper[col * p + off + j] += out[j];
          else xtxUpper[(off + j) * p + col] += out[j];
        }
      }
    },
  };
}

/**
 * `keepIncremental`: return what refitGam needs. `groupRows: false` accumulates XᵀX row by row
 * even where a tensor product could be summed by groups (the same numbers up to rounding; for tests).
 */
export function fitGam(terms: TermSpec[], data: GamData, y: ArrayLike<number>, criterion: SmoothingCriterion = 'REML', opts: { keepIncremental?: boolean; groupRows?: boolean } = {}): GamFitResult {
  const nAll = y.length;
  const used = checkData(terms, data, nAll);
  const rows = usableRows(data, y, used, 0, nAll);
  if (rows.length === 0) throw new GridcastError('GAM_NO_DATA', 'no row has both an observed response and every GAM variable', { rows: nAll });
  const design = buildDesign(terms, data, rows);
  const p = design.p;
  const xtxUpper = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const yty = accumulate(design, data, y, rows, xtxUpper, xty, opts.groupRows ?? true);
  const inc: GamIncremental = { terms, design, criterion, xtxUpper, xty, yty, n: rows.length, rowsRead: nAll, designRows: rows.length, lambda: new Float64Array(0) };
  const { model, incremental } = solve(inc);
  const fitted = predictGam(model, data, false).fit;
  return opts.keepIncremental ? { model, fitted, incremental } : { model, fitted };
}

/**
 * Refits `prev` on `data`/`y`, whose first prev.rowsRead rows must be those it was fitted on
 * (the caller checks): only the rows after them are read. See GamIncremental. No fitted values:
 * over a long history they cost more than the refit, and a caller often needs a few rows of them
 * (predictGam on those rows).
 */
export function refitGam(prev: GamIncremental, data: GamData, y: ArrayLike<number>): { model: GamModel; incremental: GamIncremental } {
  const nAll = y.length;
  if (nAll < prev.rowsRead) throw new GridcastError('GAM_REFIT_SHORTER', `a GAM refit needs at least the ${prev.rowsRead} rows it was fitted on, got ${nAll}`, { rows: nAll, fitted: prev.rowsRead });
  const used = checkData(prev.terms, data, nAll);
  const rows = usableRows(data, y, used, prev.rowsRead, nAll);
  const xtxUpper = Float64Array.from(prev.xtxUpper);
  const xty = Float64Array.from(prev.xty);
  const yty = prev.yty + accumulate(prev.design, data, y, rows, xtxUpper, xty);
  return solve({ ...prev, xtxUpper, xty, yty, n: prev.n + rows.length, rowsRead: nAll });
}

function solve(inc: GamIncremental): { model: GamModel; incremental: GamIncremental } {
  const { design, criterion } = inc;
  const p = design.p;
  const xtx = Float64Array.from(inc.xtxUpper);
  for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) xtx[b * p + a] = xtx[a * p + b];
  const pls = fitPls({ n: inc.n, p, xtx, xty: inc.xty, yty: inc.yty }, design.smooths, criterion, undefined, inc.lambda.length ? inc.lambda : undefined);
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
    terms: inc.terms,
    design,
    criterion,
    beta: pls.beta,
    vp,
    lambda: pls.lambda,
    sig2: pls.sig2,
    n: inc.n,
    edf: pls.edf.reduce((a, b) => a + b, 0),
    smooths,
    score: pls.score,
    iterations: pls.iterations,
    converged: pls.converged,
  };
  return { model, incremental: { ...inc, lambda: pls.lambda } };
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

/** Xβ block by block (see addBlockPredictor): fitted values over a long history without whole rows. */
function linearPredictor(model: GamModel, data: GamData, n: number): Float64Array {
  const { design, beta } = model;
  const fit = new Float64Array(n).fill(beta[0]);
  for (let c = 1; c < design.parametric.length; c++) {
    const pc = design.parametric[c];
    const x = data[pc.variable!];
    for (let i = 0; i < n; i++) fit[i] += pc.level === undefined ? x[i] * beta[c] : x[i] === pc.level ? beta[c] : 0;
  }
  for (const b of design.smooths) addBlockPredictor(b, data, beta, fit);
  const used = usedVariables(model.terms).map((v) => data[v]);
  for (let i = 0; i < n; i++) {
    for (const x of used) {
      if (!Number.isFinite(x[i])) {
        fit[i] = Number.NaN;
        break;
      }
    }
  }
  return fit;
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
  if (!withSe) return { fit: linearPredictor(model, data, n), se: new Float64Array(n) };
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
