import { GridcastError } from '../../../core/errors.ts';
import type { MethodOutcome } from '../projection.ts';
import { spreadUnder } from './bottom-up.ts';
import type { Structure } from '../structure.ts';

/**
 * Top-down by the average of historical proportions (Gross & Sohl 1990; hts's "tdgsa"): p_j = mean over
 * history steps of y_j,t / y_root,t, and P = p·e_rootᵀ, so only the root's base forecast counts.
 * Steps where the root is zero or any of these series is missing are skipped. When the root's
 * history is not exactly the sum of its bottoms (metering losses, a feeder without meter) the
 * proportions do not sum to 1; they are scaled to 1 so the root keeps its own forecast.
 */
export function topDown(st: Structure, history: Map<string, Float64Array>): MethodOutcome {
  const { sm, m } = st;
  const root = sm.rows[0];
  const rootHist = history.get(root)!;
  const bottoms = sm.cols.map((id) => history.get(id)!);
  const skip = Uint8Array.from(rootHist, (y) => (Number.isFinite(y) && y !== 0 ? 0 : 1));
  for (const b of bottoms) for (let t = 0; t < b.length; t++) if (!Number.isFinite(b[t])) skip[t] = 1;
  const p = new Float64Array(m);
  let used = 0;
  for (let t = 0; t < rootHist.length; t++) {
    if (skip[t]) continue;
    used++;
    for (let j = 0; j < m; j++) p[j] += bottoms[j][t] / rootHist[t];
  }
  if (used === 0) {
    throw new GridcastError('RECONCILE_NEEDS_HISTORY', `Top-down needs at least one history step where '${root}' is non-zero and every bottom series has a value; none has.`, { root });
  }
  let sum = 0;
  for (let j = 0; j < m; j++) sum += (p[j] /= used);
  if (!(Math.abs(sum) > 0)) {
    throw new GridcastError('RECONCILE_NEEDS_HISTORY', `Top-down proportions under '${root}' sum to zero; choose another method.`, { root });
  }
  const warnings: string[] = [];
  if (used < rootHist.length) warnings.push(`top-down: ${rootHist.length - used} of ${rootHist.length} history steps skipped (root zero or a series missing).`);
  if (Math.abs(sum - 1) > 0.01) warnings.push(`top-down: historical proportions summed to ${sum.toFixed(3)} (the root's history is not the sum of its bottoms); scaled to 1.`);
  for (let j = 0; j < m; j++) p[j] /= sum;
  return {
    // The root is row 0: sm.rows lists aggregates top-down.
    projection: { bottoms: (yhats) => yhats.map((y) => p.map((pj) => pj * y[0])) },
    // Held nodes are carved out of the root, which stays; the others share the gap by their proportions.
    absorb: spreadUnder(st, positiveShares(p)),
    held: [0],
    applied: `top-down (average historical proportions over ${used} steps)`,
    warnings,
  };
}

/** A bottom with no historical share must still be able to take a held value: it gets a share too small to matter otherwise. */
function positiveShares(p: Float64Array): Float64Array {
  const top = Math.max(...p, 0) || 1;
  return p.map((v) => (v > 0 ? v : 1e-9 * top));
}
