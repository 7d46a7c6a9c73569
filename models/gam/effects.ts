/**
 * Partial effects of a fitted GAM's terms, as R mgcv's plot.gam draws them: each smooth evaluated
 * alone on a grid of its variables, f(x) = X_j(x) β_j with X_j the term's columns of the model
 * matrix (sum-to-zero constraint absorbed, so curves are centred as mgcv's), and a pointwise
 * standard error from the Bayesian posterior covariance of the coefficients restricted to the
 * term's columns, se(x) = √(X_j(x) Vp_jj X_j(x)ᵀ) — plot.gam's default (seWithMean = FALSE), and
 * predict.gam(type = "terms", se.fit = TRUE). Parametric factors: each level's coefficient against
 * the reference level. Pure: the model in, numbers out.
 */
import { GridcastError } from '../../core/errors.ts';
import { rowTimesNullSpace } from '../../core/linalg.ts';
import type { Marginal } from './basis.ts';
import { smoothRow, type SmoothBlock } from './design.ts';
import type { GamModel } from './gam.ts';
import { normalQuantile } from './normal.ts';

interface Band {
  effect: number[];
  se: number[];
  /** effect ∓ z·se, z the normal quantile of the band's level. */
  lower: number[];
  upper: number[];
}

/** A smooth of one variable (for a by-factor smooth, the curve of one level). */
export interface CurveEffect extends Band {
  kind: 'curve';
  label: string;
  variable: string;
  by: { variable: string; level: number } | null;
  /** Effective degrees of freedom of the smooth (null when the model does not report it). */
  edf: number | null;
  x: number[];
}

/** A tensor-product smooth of two variables: the effect at every (x[i], z[j]), index i · z.length + j. */
export interface SurfaceEffect extends Band {
  kind: 'surface';
  label: string;
  variables: [string, string];
  edf: number | null;
  x: number[];
  z: number[];
}

/** A parametric factor: each level against level 0 (treatment contrasts), whose effect is 0. */
export interface FactorEffect {
  kind: 'factor';
  label: string;
  variable: string;
  levels: Array<{ level: number; effect: number; se: number; lower: number; upper: number }>;
}

export interface LinearEffect {
  kind: 'linear';
  label: string;
  variable: string;
  coefficient: number;
  se: number;
}

export type TermEffect = CurveEffect | SurfaceEffect | FactorEffect | LinearEffect;

export interface EffectOptions {
  /** Grid points of a curve (plot.gam's n, default 100). */
  points?: number;
  /** Grid points per axis of a surface (plot.gam's n2, default 40). */
  surfacePoints?: number;
  /** Level of the pointwise band (default 0.95). */
  level?: number;
  /**
   * For a factor whose levels decide the level of another by-variable (the load model's hour
   * group is a function of the day type): that variable and the mapping. Smooths by the factor
   * itself need none.
   */
  byLevelOf?: Record<string, { variable: string; level: (factorLevel: number) => number }>;
}

/**
 * The grid of a marginal: `points` values evenly from its first to its last knot — the data's
 * range for a cubic regression spline (mgcv places the outer knots at the extremes of the data),
 * the whole cycle for a cyclic one.
 */
export function marginalGrid(m: Marginal, points: number): number[] {
  const lo = m.knots[0];
  const hi = m.knots[m.knots.length - 1];
  return Array.from({ length: points }, (_, i) => (points === 1 ? lo : lo + ((hi - lo) * i) / (points - 1)));
}

/** The partial effect and standard error of block `b` at each point of `grid` (values per variable). */
function evaluate(model: GamModel, b: SmoothBlock, grid: number[][], z: number): Band {
  const p = model.design.p;
  const row = new Float64Array(b.size);
  const out: Band = { effect: [], se: [], lower: [], upper: [] };
  for (const values of grid) {
    smoothRow(b, values, row, b.byCentre);
    let f = 0;
    let q = 0;
    for (let a = 0; a < b.size; a++) {
      if (row[a] === 0) continue;
      f += row[a] * model.beta[b.offset + a];
      const base = (b.offset + a) * p + b.offset;
      let t = 0;
      for (let c = 0; c < b.size; c++) t += model.vp[base + c] * row[c];
      q += row[a] * t;
    }
    const se = Math.sqrt(Math.max(0, q));
    out.effect.push(f);
    out.se.push(se);
    out.lower.push(f - z * se);
    out.upper.push(f + z * se);
  }
  return out;
}

/** Every term's partial effect, parametric terms first, then the smooths in formula order. */
export function partialEffects(model: GamModel, opts: EffectOptions = {}): TermEffect[] {
  const points = opts.points ?? 100;
  const surfacePoints = opts.surfacePoints ?? 40;
  const level = opts.level ?? 0.95;
  const p = model.design.p;
  if (!(model.vp instanceof Float64Array) || model.vp.length !== p * p || model.beta.length !== p) {
    throw new GridcastError('EFFECTS_REFIT_REQUIRED', 'this GAM was stored without the posterior covariance of its coefficients; refit the model (train a new version) to get its partial effects', { coefficients: p });
  }
  const uncentred = model.design.smooths.filter((b) => b.by && !b.byCentre).map((b) => b.label);
  if (uncentred.length > 0) {
    throw new GridcastError(
      'EFFECTS_REFIT_REQUIRED',
      `this GAM was fitted before its by-factor smooths (${uncentred.slice(0, 3).join(', ')}${uncentred.length > 3 ? ', …' : ''}) kept what their partial effects need; refit the model (train a new version) to get its effects`,
      { smooths: uncentred },
    );
  }
  const z = normalQuantile(0.5 + level / 2);
  const out: TermEffect[] = [];

  // A by-factor curve drawn centred over all rows (as mgcv) leaves its constant m = c̄ᵀZβ to the
  // factor that decides its level: mgcv's level effect is the coefficient plus m of the level's
  // curve less m of the reference level's.
  const centreOf = (b: SmoothBlock): Float64Array => {
    if (!b.reflector) return b.byCentre!;
    const u = new Float64Array(b.size);
    rowTimesNullSpace(b.byCentre!, b.reflector, u, 0);
    return u;
  };
  const shiftsOf = (variable: string): ((level: number) => Array<{ b: SmoothBlock; u: Float64Array }>) => {
    const map = opts.byLevelOf?.[variable] ?? { variable, level: (l: number) => l };
    const blocks = model.design.smooths.filter((b) => b.by?.variable === map.variable && b.byCentre);
    return (level) => blocks.filter((b) => b.by!.level === map.level(level)).map((b) => ({ b, u: centreOf(b) }));
  };
  const contrast = (a: Float64Array) => {
    let f = 0;
    let q = 0;
    for (let r = 0; r < p; r++) {
      if (a[r] === 0) continue;
      f += a[r] * model.beta[r];
      let t = 0;
      for (let c = 0; c < p; c++) if (a[c] !== 0) t += model.vp[r * p + c] * a[c];
      q += a[r] * t;
    }
    const se = Math.sqrt(Math.max(0, q));
    return { effect: f, se, lower: f - z * se, upper: f + z * se };
  };

  const factors = new Map<string, { effect: FactorEffect; shifts: ReturnType<typeof shiftsOf> }>();
  model.design.parametric.forEach((c, i) => {
    if (i === 0 || c.variable === undefined) return;
    if (c.level === undefined) {
      out.push({ kind: 'linear', label: c.label, variable: c.variable, coefficient: model.beta[i], se: Math.sqrt(Math.max(0, model.vp[i * p + i])) });
      return;
    }
    let f = factors.get(c.variable);
    if (!f) {
      f = { effect: { kind: 'factor', label: c.variable, variable: c.variable, levels: [{ level: 0, effect: 0, se: 0, lower: 0, upper: 0 }] }, shifts: shiftsOf(c.variable) };
      factors.set(c.variable, f);
      out.push(f.effect);
    }
    const a = new Float64Array(p);
    a[i] = 1;
    for (const { b, u } of f.shifts(c.level)) for (let k = 0; k < b.size; k++) a[b.offset + k] += u[k];
    for (const { b, u } of f.shifts(0)) for (let k = 0; k < b.size; k++) a[b.offset + k] -= u[k];
    f.effect.levels.push({ level: c.level, ...contrast(a) });
  });

  for (const b of model.design.smooths) {
    const edf = model.smooths.find((s) => s.label === b.label)?.edf ?? null;
    if (b.re !== undefined) {
      // A random effect: each level's deviation (its indicator row, constraint absorbed), as predict.gam(type = "terms") gives it.
      const band = evaluate(model, b, Array.from({ length: b.re }, (_, l) => [l + 1]), z);
      out.push({ kind: 'factor', label: b.label, variable: b.variables[0], levels: band.effect.map((effect, l) => ({ level: l + 1, effect, se: band.se[l], lower: band.lower[l], upper: band.upper[l] })) });
    } else if (b.marginals.length === 1) {
      const x = marginalGrid(b.marginals[0], points);
      out.push({ kind: 'curve', label: b.label, variable: b.variables[0], by: b.by ?? null, edf, x, ...evaluate(model, b, x.map((v) => [v]), z) });
    } else {
      const x = marginalGrid(b.marginals[0], surfacePoints);
      const zz = marginalGrid(b.marginals[1], surfacePoints);
      const grid = x.flatMap((u) => zz.map((v) => [u, v]));
      out.push({ kind: 'surface', label: b.label, variables: [b.variables[0], b.variables[1]], edf, x, z: zz, ...evaluate(model, b, grid, z) });
    }
  }
  return out;
}
