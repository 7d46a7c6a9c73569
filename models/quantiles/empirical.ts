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

/** Dense in the tails, where bands are read; other levels interpolate linearly (keeps artifacts small). */
export const LEVEL_GRID = Float64Array.from([
  0.005, 0.01, 0.02, 0.025, 0.05, ...Array.from({ length: 17 }, (_, i) => Math.round((0.1 + i * 0.05) * 100) / 100), 0.95, 0.975, 0.98, 0.99, 0.995,
]);

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
 * steps (e.g. a slot of the day); `scale` (a number or one per step) widens (>1) the bands around
 * the median error.
 */
export function addQuantiles(
  mean: Float64Array,
  eq: ErrorQuantiles,
  levels: readonly number[] = DEFAULT_QUANTILES,
  opts: { scale?: number | ((step: number) => number); rowOf?: (step: number) => number } = {},
): Record<string, Float64Array> {
  const s = opts.scale ?? 1;
  const scale = typeof s === 'number' ? () => s : s;
  const rowOf = opts.rowOf ?? ((i: number) => i);
  const out: Record<string, Float64Array> = {};
  for (const level of checkLevels(levels)) {
    const q = new Float64Array(mean.length);
    for (let i = 0; i < mean.length; i++) {
      const row = rowOf(i);
      const mid = errorAt(eq, row, 0.5);
      q[i] = mean[i] + mid + scale(i) * (errorAt(eq, row, level) - mid);
    }
    out[levelKey(level)] = q;
  }
  return out;
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
