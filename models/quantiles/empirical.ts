import { GridcastError } from '../../core/errors.ts';
import { DEFAULT_QUANTILES } from '../../core/types.ts';

/**
 * Empirical (conformal-style) distribution of forecast errors (actual − mean) per horizon step,
 * stored as quantiles on a fixed grid of levels so that any requested level can be read back by
 * interpolation and the table stays small enough for an artifact.
 */
export interface ErrorQuantiles {
  /** Levels of the grid, increasing. */
  grid: Float64Array;
  /** steps × grid.length, row per horizon step; steps beyond the table reuse the last row. */
  table: Float64Array;
  steps: number;
}

export const LEVEL_GRID = Float64Array.from([0.005, ...Array.from({ length: 99 }, (_, i) => (i + 1) / 100), 0.995]);

export function levelKey(level: number): string {
  return String(level);
}

export function checkLevels(levels: readonly number[] = DEFAULT_QUANTILES): number[] {
  for (const l of levels) {
    if (!(l > 0 && l < 1)) throw new GridcastError('INVALID_QUANTILE', `quantile levels must lie strictly between 0 and 1, got ${l}`, { level: l });
  }
  return [...new Set(levels)].sort((a, b) => a - b);
}

/** Type-7 quantile of sorted finite values. */
function sortedQuantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * errorsByStep[h] holds the observed errors at horizon step h+1. A step with fewer than
 * `minSamples` errors borrows from its neighbours (h±1, h±2, …) until it has enough, so short
 * backtests still give smooth, finite bands.
 */
export function errorQuantiles(errorsByStep: ArrayLike<number>[], minSamples = 30): ErrorQuantiles {
  const steps = errorsByStep.length;
  const clean = errorsByStep.map((e) => Float64Array.from(Array.from(e).filter(Number.isFinite)));
  const total = clean.reduce((n, e) => n + e.length, 0);
  if (steps === 0 || total === 0) {
    throw new GridcastError('NO_ERRORS', 'no finite forecast errors to estimate quantiles from; provide a longer history or backtest');
  }
  const need = Math.min(minSamples, total);
  const grid = LEVEL_GRID;
  const table = new Float64Array(steps * grid.length);
  for (let h = 0; h < steps; h++) {
    const pool: Float64Array[] = [clean[h]];
    let n = clean[h].length;
    for (let w = 1; n < need && w < steps; w++) {
      for (const j of [h - w, h + w]) {
        if (j >= 0 && j < steps) {
          pool.push(clean[j]);
          n += clean[j].length;
        }
      }
    }
    const sorted = new Float64Array(n);
    let k = 0;
    for (const p of pool) { sorted.set(p, k); k += p.length; }
    sorted.sort();
    for (let g = 0; g < grid.length; g++) table[h * grid.length + g] = sortedQuantile(sorted, grid[g]);
  }
  return { grid, table, steps };
}

/** Error quantile at horizon step `step` (0-based) for `level`, interpolated on the grid. */
export function errorAt(eq: ErrorQuantiles, step: number, level: number): number {
  const g = eq.grid;
  const row = Math.min(step, eq.steps - 1) * g.length;
  if (level <= g[0]) return eq.table[row];
  if (level >= g[g.length - 1]) return eq.table[row + g.length - 1];
  let i = 1;
  while (g[i] < level) i++;
  const t = (level - g[i - 1]) / (g[i] - g[i - 1]);
  return eq.table[row + i - 1] + t * (eq.table[row + i] - eq.table[row + i - 1]);
}

/**
 * Quantile curves mean + error quantile, for any levels. Rows of the table are sorted so the
 * curves never cross. `rowOf` maps a forecast step to a table row when rows are not horizon
 * steps (e.g. a slot of the day); `scale` widens (>1) the bands around the median error.
 */
export function addQuantiles(
  mean: Float64Array,
  eq: ErrorQuantiles,
  levels: readonly number[] = DEFAULT_QUANTILES,
  opts: { scale?: number; rowOf?: (step: number) => number } = {},
): Record<string, Float64Array> {
  const scale = opts.scale ?? 1;
  const rowOf = opts.rowOf ?? ((i: number) => i);
  const out: Record<string, Float64Array> = {};
  for (const level of checkLevels(levels)) {
    const q = new Float64Array(mean.length);
    for (let i = 0; i < mean.length; i++) {
      const row = rowOf(i);
      const mid = errorAt(eq, row, 0.5);
      q[i] = mean[i] + mid + scale * (errorAt(eq, row, level) - mid);
    }
    out[levelKey(level)] = q;
  }
  return out;
}

/** Gaussian quantile function (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858589980412, -155.6989798598866, 66.80131188771972, -13.28068155211572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowP = 0.02425;
  if (p < lowP) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lowP) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Share of actuals inside [lo, hi] (finite pairs only), for coverage checks. */
export function coverage(actual: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>): number {
  let n = 0;
  let inside = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!Number.isFinite(actual[i])) continue;
    n++;
    if (actual[i] >= lo[i] && actual[i] <= hi[i]) inside++;
  }
  return n === 0 ? Number.NaN : inside / n;
}
