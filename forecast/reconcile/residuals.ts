import type { SummingMatrix } from '../../core/hierarchy.ts';

export interface ResidualMatrix {
  /** Centred residuals, n × steps row-major in sm.rows order, complete time steps only. */
  x: Float64Array;
  steps: number;
  /** Incomplete time steps left out (some series had no residual there), within the span used. */
  dropped: number;
  /** Per series, the steps of that span where it had no residual (what made steps incomplete). */
  missing: Map<string, number>;
  /** Sample variance of each row over the kept steps (divisor steps − 1). */
  variance: Float64Array;
}

/**
 * Residuals as one matrix over time steps where every series has a value: the latest `window`
 * such steps (all of them by default), so a step where one series lacks its residual (a missing
 * actual) costs nothing when older complete steps exist. A covariance needs the same steps for
 * every pair; pairwise-complete estimates (hierarchicalforecast's choice) can be indefinite,
 * which is the failure this module must not have.
 */
export function completeResiduals(sm: SummingMatrix, residuals: Map<string, Float64Array>, window = Infinity): ResidualMatrix {
  const series = sm.rows.map((id) => residuals.get(id)!);
  const T = series[0].length;
  const gap = new Uint8Array(T);
  for (const s of series) for (let t = 0; t < T; t++) if (!Number.isFinite(s[t])) gap[t] = 1;
  const kept: number[] = [];
  let first = T;
  for (let t = T - 1; t >= 0 && kept.length < window; t--) {
    if (!gap[t]) kept.push(t);
    first = t;
  }
  kept.reverse();
  // Without a window every step counts; with one, the span starts at the oldest step it needed.
  if (!Number.isFinite(window)) first = 0;
  const missing = new Map<string, number>();
  sm.rows.forEach((id, i) => {
    let m = 0;
    for (let t = first; t < T; t++) if (!Number.isFinite(series[i][t])) m++;
    if (m > 0) missing.set(id, m);
  });
  const steps = kept.length;
  const n = series.length;
  const x = new Float64Array(n * steps);
  const variance = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = series[i];
    const row = x.subarray(i * steps, (i + 1) * steps);
    let mean = 0;
    for (let k = 0; k < steps; k++) mean += (row[k] = s[kept[k]]);
    mean /= steps || 1;
    let ss = 0;
    for (let k = 0; k < steps; k++) {
      const v = (row[k] -= mean);
      ss += v * v;
    }
    variance[i] = steps > 1 ? ss / (steps - 1) : NaN;
  }
  return { x, steps, dropped: T - first - steps, missing, variance };
}

/**
 * Per-series residual variance over each series' own latest `window` finite values, for the
 * diagonal fallback: it still works when no time step is complete. A series with fewer than two
 * values, or none that vary, gets the largest variance seen (least trusted) and is named in `unknown`.
 */
export function seriesVariances(sm: SummingMatrix, residuals: Map<string, Float64Array>, window = Infinity): { variance: Float64Array; unknown: string[] } {
  const variance = new Float64Array(sm.rows.length);
  const unknown: string[] = [];
  sm.rows.forEach((id, i) => {
    const all = residuals.get(id)!;
    const s: number[] = [];
    for (let t = all.length - 1; t >= 0 && s.length < window; t--) if (Number.isFinite(all[t])) s.push(all[t]);
    const k = s.length;
    let mean = 0;
    for (const v of s) mean += v;
    mean /= k || 1;
    let ss = 0;
    for (const v of s) ss += (v - mean) ** 2;
    const v = k > 1 ? ss / (k - 1) : 0;
    if (v > 0) variance[i] = v;
    else unknown.push(id);
  });
  let max = 0;
  for (const v of variance) max = Math.max(max, v);
  if (max === 0) max = 1; // nothing known at all: equal weights, i.e. OLS
  sm.rows.forEach((_, i) => {
    if (!(variance[i] > 0)) variance[i] = max;
  });
  return { variance, unknown };
}
