/**
 * From a formula (a list of terms) and data columns to a model matrix, as mgcv builds it:
 * intercept + parametric terms, then one block per smooth with its sum-to-zero constraint absorbed
 * and its penalties scaled (mgcv's S.scale) so smoothing parameters start on a comparable scale.
 */
import { GridcastError } from '../../core/errors.ts';
import { constraintReflector, nullSpaceCongruence, rowTimesNullSpace } from '../../core/linalg.ts';
import { basisRow, basisRowOf, basisSize, marginalPenalty, placeKnots, splineOf, splinePoint, type BasisKind, type Marginal } from './basis.ts';

/** Data columns by variable name; a factor is coded 0 … levels−1. */
export type GamData = Record<string, ArrayLike<number>>;

export type TermSpec =
  /** Parametric factor, treatment contrasts against level 0. */
  | { kind: 'factor'; variable: string; levels: number }
  /** Parametric linear effect. */
  | { kind: 'linear'; variable: string }
  /**
   * Smooth of one variable; `by` names a factor: one smooth (with its own smoothing parameter) per level.
   * `knots`: all k knots, or for 'cc' the two ends of the cycle ([0, 24] for hour of day).
   */
  | { kind: 's'; variable: string; bs: BasisKind; k: number; by?: string; byLevels?: number; knots?: number[] }
  /**
   * Tensor product of two marginal smooths, one penalty per margin: 'te' holds the main effects too,
   * 'ti' only the interaction (each margin constrained to sum to zero first, as mgcv ti), so it can sit
   * beside other smooths of the same variables.
   */
  | { kind: 'te' | 'ti'; variables: [string, string]; bs: [BasisKind, BasisKind]; k: [number, number]; knots?: [number[] | undefined, number[] | undefined] }
  /**
   * A random effect (mgcv bs = "re"): one coefficient per level 1 … levels of `variable` (0: none,
   * the row gets nothing), ridge-penalised, and constrained as every smooth to sum to zero over the
   * fitted rows: deviations around what the other terms give those rows, shrunk by the data.
   */
  | { kind: 're'; variable: string; levels: number };

export interface SmoothBlock {
  label: string;
  variables: string[];
  marginals: Marginal[];
  /** Factor level this block is active for (by-factor smooths). */
  by?: { variable: string; level: number };
  /** A random effect: the number of levels of its variable (no marginals; its raw row is the level's indicator). */
  re?: number;
  /** Householder vector of the absorbed sum-to-zero constraint (see constraintReflector); absent for ti. */
  reflector?: Float64Array;
  /** ti: the sum-to-zero constraint of each margin, absorbed before the tensor product. */
  marginalReflectors?: Float64Array[];
  offset: number;
  size: number;
  /** Penalties in the constrained parametrisation, size × size each. */
  penalties: Float64Array[];
  /**
   * By-factor blocks: the mean raw basis row over every fitted row, whatever its level. The fit
   * centres a level's curve over that level's rows; R mgcv centres it over all rows (its
   * constraint is set before the factor splits the smooth), which only moves a constant between
   * the curve and the factor's coefficient. Partial effects (effects.ts) centre with this to draw
   * mgcv's curve. Absent in models fitted before it was kept (gam state v1).
   */
  byCentre?: Float64Array;
}

export interface ParametricColumn {
  label: string;
  variable?: string;
  /** Factor level for a dummy; absent for a linear column. */
  level?: number;
}

export interface Design {
  /** Column 0 is the intercept. */
  parametric: ParametricColumn[];
  smooths: SmoothBlock[];
  p: number;
}

function marginalFor(bs: BasisKind, k: number, x: ArrayLike<number>, knots?: number[]): Marginal {
  if (knots && knots.length === k) return { bs, knots: [...knots] };
  // As mgcv: two knots are the outer ends (for 'cc' the ends of the cycle), the others spread
  // through the data between them.
  if (knots && knots.length === 2) return { bs, knots: placeKnots([knots[0], ...Array.from(x), knots[1]], k) };
  return { bs, knots: placeKnots(x, k) };
}

function column(data: GamData, name: string): ArrayLike<number> {
  const c = data[name];
  if (!c) throw new GridcastError('GAM_MISSING_VARIABLE', `the GAM formula uses variable '${name}' but the data has no such column`, { variable: name });
  return c;
}

/**
 * Row of a smooth block before its overall constraint (tensor product of its marginals, times the
 * by indicator); false when the by indicator is 0.
 */
function rawRow(b: Pick<SmoothBlock, 'marginals' | 'variables' | 'by' | 'marginalReflectors' | 're'>, data: GamData, i: number, sc: BlockScratch, out: Float64Array): boolean {
  if (b.re !== undefined) {
    const v = column(data, b.variables[0])[i];
    out.fill(0);
    if (!(v >= 1 && v <= b.re)) return false;
    out[v - 1] = 1;
    return true;
  }
  if (b.by && column(data, b.by.variable)[i] !== b.by.level) return false;
  if (b.marginals.length === 1) {
    basisRow(b.marginals[0], column(data, b.variables[0])[i], out);
    return true;
  }
  let rows = sc.full;
  for (let m = 0; m < 2; m++) basisRow(b.marginals[m], column(data, b.variables[m])[i], sc.full[m]);
  if (b.marginalReflectors) {
    for (let m = 0; m < 2; m++) rowTimesNullSpace(sc.full[m], b.marginalReflectors[m], sc.reduced[m]);
    rows = sc.reduced;
  }
  const kb = rows[1].length;
  for (let a = 0; a < rows[0].length; a++) for (let c = 0; c < kb; c++) out[a * kb + c] = rows[0][a] * rows[1][c];
  return true;
}

interface BlockScratch {
  full: Float64Array[];
  reduced: Float64Array[];
}

function blockScratch(marginals: Marginal[]): BlockScratch {
  return { full: marginals.map((m) => new Float64Array(basisSize(m))), reduced: marginals.map((m) => new Float64Array(basisSize(m) - 1)) };
}

function kron(a: Float64Array, na: number, b: Float64Array, nb: number): Float64Array {
  const n = na * nb;
  const out = new Float64Array(n * n);
  for (let i = 0; i < na; i++)
    for (let j = 0; j < na; j++) {
      const aij = a[i * na + j];
      if (aij === 0) continue;
      for (let k = 0; k < nb; k++) for (let l = 0; l < nb; l++) out[(i * nb + k) * n + j * nb + l] = aij * b[k * nb + l];
    }
  return out;
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

/** Builds the design (knots, constraints, scaled penalties) from the rows `rows` of the data. */
export function buildDesign(terms: TermSpec[], data: GamData, rows: Int32Array): Design {
  const pick = (name: string) => {
    const c = column(data, name);
    return Array.from(rows, (i) => c[i]);
  };
  const parametric: ParametricColumn[] = [{ label: '(Intercept)' }];
  const specs: { label: string; variables: string[]; marginals: Marginal[]; by?: { variable: string; level: number }; interaction?: boolean; re?: number }[] = [];
  for (const t of terms) {
    if (t.kind === 'factor') {
      for (let l = 1; l < t.levels; l++) parametric.push({ label: `${t.variable}${l}`, variable: t.variable, level: l });
    } else if (t.kind === 'linear') {
      parametric.push({ label: t.variable, variable: t.variable });
    } else if (t.kind === 're') {
      if (t.levels < 2) throw new GridcastError('GAM_FORMULA', `s(${t.variable}, bs = "re") needs at least 2 levels, got ${t.levels}`, { term: t });
      specs.push({ label: `s(${t.variable})`, variables: [t.variable], marginals: [], re: t.levels });
    } else if (t.kind === 's') {
      const x = pick(t.variable);
      const m = marginalFor(t.bs, t.k, x, t.knots);
      if (t.by) {
        const levels = t.byLevels ?? 0;
        if (levels < 1) throw new GridcastError('GAM_FORMULA', `s(${t.variable}, by=${t.by}) needs byLevels (the number of levels of ${t.by})`, { term: t });
        for (let l = 0; l < levels; l++) specs.push({ label: `s(${t.variable}):${t.by}${l}`, variables: [t.variable], marginals: [m], by: { variable: t.by, level: l } });
      } else {
        specs.push({ label: `s(${t.variable})`, variables: [t.variable], marginals: [m] });
      }
    } else {
      const ms = t.variables.map((v, j) => marginalFor(t.bs[j], t.k[j], pick(v), t.knots?.[j]));
      specs.push({ label: `${t.kind}(${t.variables.join(',')})`, variables: [...t.variables], marginals: ms, interaction: t.kind === 'ti' });
    }
  }
  const smooths: SmoothBlock[] = [];
  const byCentres = new Map<Marginal, Float64Array>();
  let offset = parametric.length;
  for (const sp of specs) {
    const sc = blockScratch(sp.marginals);
    let marginalReflectors: Float64Array[] | undefined;
    if (sp.interaction) {
      const sums = sp.marginals.map((m) => new Float64Array(basisSize(m)));
      for (const i of rows) {
        for (let m = 0; m < sp.marginals.length; m++) {
          basisRow(sp.marginals[m], column(data, sp.variables[m])[i], sc.full[m]);
          sc.full[m].forEach((v, c) => (sums[m][c] += v));
        }
      }
      marginalReflectors = sums.map((c) => constraintReflector(c));
    }
    const sizes = sp.re !== undefined ? [sp.re] : sp.marginals.map((m) => basisSize(m) - (sp.interaction ? 1 : 0));
    const k = sizes.reduce((a, b) => a * b, 1);
    const row = new Float64Array(k);
    const colSum = new Float64Array(k);
    let maxRowAbs = 0;
    let active = 0;
    const withReflectors = { ...sp, marginalReflectors };
    let byCentre: Float64Array | undefined;
    if (sp.by) {
      // The same for every level of the term (its levels share one marginal): computed once.
      let centre = byCentres.get(sp.marginals[0]);
      if (!centre) {
        centre = new Float64Array(k);
        const unsplit = { ...withReflectors, by: undefined };
        for (const i of rows) {
          rawRow(unsplit, data, i, sc, row);
          for (let c = 0; c < k; c++) centre[c] += row[c];
        }
        for (let c = 0; c < k; c++) centre[c] /= rows.length;
        byCentres.set(sp.marginals[0], centre);
      }
      byCentre = centre.slice();
    }
    for (const i of rows) {
      if (!rawRow(withReflectors, data, i, sc, row)) continue;
      active++;
      let abs = 0;
      for (let c = 0; c < k; c++) {
        colSum[c] += row[c];
        abs += Math.abs(row[c]);
      }
      maxRowAbs = Math.max(maxRowAbs, abs);
    }
    if (active === 0) {
      // A by-factor level absent from the data gets no curve of its own (its rows keep the other terms).
      if (sp.by) continue;
      throw new GridcastError('GAM_EMPTY_SMOOTH', `smooth ${sp.label} has no rows in the data`, { smooth: sp.label });
    }
    const marginalS = sp.marginals.map((m, j) => (marginalReflectors ? nullSpaceCongruence(marginalPenalty(m), marginalReflectors[j]) : marginalPenalty(m)));
    const raw = sp.re !== undefined ? [identity(k)] : sp.marginals.length === 1 ? marginalS : [kron(marginalS[0], sizes[0], identity(sizes[1]), sizes[1]), kron(identity(sizes[0]), sizes[0], marginalS[1], sizes[1])];
    const reflector = sp.interaction ? undefined : constraintReflector(colSum);
    const penalties = raw.map((s) => {
      // mgcv scales each penalty by ‖X‖∞² / ‖S‖₁ so that λ ≈ 1 is a middling amount of smoothing.
      let norm1 = 0;
      for (let c = 0; c < k; c++) {
        let colAbs = 0;
        for (let r = 0; r < k; r++) colAbs += Math.abs(s[r * k + c]);
        norm1 = Math.max(norm1, colAbs);
      }
      const scaled = Float64Array.from(s, (v) => (v * maxRowAbs * maxRowAbs) / norm1);
      return reflector ? nullSpaceCongruence(scaled, reflector) : scaled;
    });
    const { interaction: _interaction, ...rest } = sp;
    const size = reflector ? k - 1 : k;
    smooths.push({ ...rest, ...(reflector ? { reflector } : {}), ...(marginalReflectors ? { marginalReflectors } : {}), offset, size, penalties, ...(byCentre ? { byCentre } : {}) });
    offset += size;
  }
  return { parametric, smooths, p: offset };
}

/**
 * Fills row i of the model matrix into `out` (length p) and returns false when a variable is
 * missing (NaN) in that row.
 */
export function designRow(d: Design, data: GamData, i: number, out: Float64Array, scratch: DesignScratch): boolean {
  out.fill(0);
  out[0] = 1;
  for (let c = 1; c < d.parametric.length; c++) {
    const pc = d.parametric[c];
    const v = column(data, pc.variable!)[i];
    if (!Number.isFinite(v)) return false;
    out[c] = pc.level === undefined ? v : v === pc.level ? 1 : 0;
  }
  for (let b = 0; b < d.smooths.length; b++) {
    const sb = d.smooths[b];
    for (const v of sb.variables) if (!Number.isFinite(column(data, v)[i])) return false;
    if (sb.by && !Number.isFinite(column(data, sb.by.variable)[i])) return false;
    if (!rawRow(sb, data, i, scratch.marginal[b], scratch.raw[b])) continue;
    if (sb.reflector) rowTimesNullSpace(scratch.raw[b], sb.reflector, out, sb.offset);
    else out.set(scratch.raw[b], sb.offset);
  }
  return true;
}

/**
 * Adds block b's part of the linear predictor, x_b(i)·β_b, to out[i] for every row i (rows off its
 * by level get nothing). Equals designRow's columns of the block times β, with the constraint
 * folded into the coefficients once (r·Zβ) instead of applied to every row: what fitted values
 * over a long history need, without building whole model-matrix rows.
 */
export function addBlockPredictor(b: SmoothBlock, data: GamData, beta: Float64Array, out: Float64Array): void {
  const rawSize = b.reflector ? b.size + 1 : b.size;
  const gamma = new Float64Array(rawSize);
  if (b.reflector) {
    // Z β = H [0; β] with H = I − v vᵀ.
    const v = b.reflector;
    let s = 0;
    for (let j = 1; j < rawSize; j++) s += v[j] * beta[b.offset + j - 1];
    for (let j = 0; j < rawSize; j++) gamma[j] = (j > 0 ? beta[b.offset + j - 1] : 0) - s * v[j];
  } else {
    gamma.set(beta.subarray(b.offset, b.offset + b.size));
  }
  const n = out.length;
  if (b.re !== undefined) {
    const x = column(data, b.variables[0]);
    for (let i = 0; i < n; i++) if (x[i] >= 1 && x[i] <= b.re) out[i] += gamma[x[i] - 1];
    return;
  }
  const by = b.by ? column(data, b.by.variable) : undefined;
  const level = b.by?.level;
  const xs = b.variables.map((v) => column(data, v));
  const pt = splinePoint();
  if (b.marginals.length === 1) {
    const x = xs[0];
    const spline = splineOf(b.marginals[0], [gamma]);
    for (let i = 0; i < n; i++) {
      if (by && by[i] !== level) continue;
      spline.locate(x[i], pt);
      out[i] += spline.value(0, pt);
    }
    return;
  }
  // Tensor product: row a of the coefficient grid, as a spline in the second variable, weighs the
  // first margin's basis function a. Constrained margins (ti) take their grid back to full bases.
  const [ka, kb] = b.marginals.map(basisSize);
  const grid = fullTensorCoefficients(gamma, ka, kb, b.marginalReflectors);
  const spline = splineOf(b.marginals[1], grid);
  const row0 = new Float64Array(ka);
  const fill0 = basisRowOf(b.marginals[0]);
  for (let i = 0; i < n; i++) {
    if (by && by[i] !== level) continue;
    fill0(xs[0][i], row0);
    spline.locate(xs[1][i], pt);
    let f = 0;
    for (let a = 0; a < ka; a++) if (row0[a] !== 0) f += row0[a] * spline.value(a, pt);
    out[i] += f;
  }
}

/** The ka × kb grid Γ with full0 ⊗ full1 · Γ = reduced0 ⊗ reduced1 · γ (Γ = Z₀ γ Z₁ᵀ; γ itself without reflectors). */
function fullTensorCoefficients(gamma: Float64Array, ka: number, kb: number, reflectors: Float64Array[] | undefined): Float64Array[] {
  if (!reflectors) return Array.from({ length: ka }, (_, a) => gamma.slice(a * kb, (a + 1) * kb));
  const [v0, v1] = reflectors;
  const expand = (v: Float64Array, g: ArrayLike<number>, out: Float64Array) => {
    // Z g = H [0; g] with H = I − v vᵀ.
    let s = 0;
    for (let j = 1; j < v.length; j++) s += v[j] * g[j - 1];
    for (let j = 0; j < v.length; j++) out[j] = (j > 0 ? g[j - 1] : 0) - s * v[j];
  };
  const rows = Array.from({ length: ka - 1 }, (_, a) => {
    const r = new Float64Array(kb);
    expand(v1, gamma.subarray(a * (kb - 1), (a + 1) * (kb - 1)), r);
    return r;
  });
  const grid = Array.from({ length: ka }, () => new Float64Array(kb));
  const col = new Float64Array(ka - 1);
  const full = new Float64Array(ka);
  for (let c = 0; c < kb; c++) {
    for (let a = 0; a < ka - 1; a++) col[a] = rows[a][c];
    expand(v0, col, full);
    for (let a = 0; a < ka; a++) grid[a][c] = full[a];
  }
  return grid;
}

/**
 * The columns of smooth block `b` at one point (`values`: one per variable of the block, its by
 * indicator taken as on), written into out[0 … b.size): the term's part of a model-matrix row,
 * constraint absorbed; with `centre`, the raw row less `centre` (see SmoothBlock.byCentre).
 * Partial effects (effects.ts) evaluate a term with it on a grid.
 */
export function smoothRow(b: SmoothBlock, values: readonly number[], out: Float64Array, centre?: Float64Array): void {
  const data: GamData = Object.fromEntries(b.variables.map((v, j) => [v, [values[j]]]));
  if (b.by) data[b.by.variable] = [b.by.level];
  const raw = new Float64Array(b.reflector ? b.size + 1 : b.size);
  rawRow(b, data, 0, blockScratch(b.marginals), raw);
  if (centre) for (let c = 0; c < raw.length; c++) raw[c] -= centre[c];
  if (b.reflector) rowTimesNullSpace(raw, b.reflector, out, 0);
  else out.set(raw);
}

export interface DesignScratch {
  marginal: BlockScratch[];
  raw: Float64Array[];
}

export function designScratch(d: Design): DesignScratch {
  return {
    marginal: d.smooths.map((b) => blockScratch(b.marginals)),
    raw: d.smooths.map((b) => new Float64Array(b.reflector ? b.size + 1 : b.size)),
  };
}
