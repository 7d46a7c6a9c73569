import type { SummingMatrix } from '../../core/hierarchy.ts';
import type { Projection } from './projection.ts';

/** ỹ = S·b with the sparse S (rows order), the one place coherent values are produced. */
export function aggregate(sm: SummingMatrix, bottom: Float64Array): Float64Array {
  const a = sm.rows.length - sm.cols.length;
  const out = new Float64Array(sm.rows.length);
  for (let i = 0; i < a; i++) {
    const cols = sm.rowCols[i];
    let s = 0;
    for (let k = 0; k < cols.length; k++) s += bottom[cols[k]];
    out[i] = s;
  }
  out.set(bottom, a);
  return out;
}

/** ỹ = S·P·ŷ for one vector in rows order. */
export function reconcileVector(sm: SummingMatrix, p: Projection, yhat: Float64Array): Float64Array {
  return aggregate(sm, p.bottom(yhat));
}

/**
 * Coherent quantiles: the projection is applied to each quantile vector, then every bottom
 * series' values are sorted across the quantile levels at each step (rearrangement, Chernozhukov
 * et al. 2010), and only then summed by S. Aggregates are sums of non-crossing bottom quantiles,
 * so every level is coherent and non-crossing. Summing quantiles treats the bottoms as
 * comonotonic: aggregate bands are the widest the bottom bands allow (conservative).
 *
 * `yhats[q]` is the base vector of level `levels[q]` (ascending) at one step; returns ỹ per level.
 */
export function reconcileQuantiles(sm: SummingMatrix, p: Projection, yhats: Float64Array[]): Float64Array[] {
  const bottoms = yhats.map((y) => p.bottom(y));
  const m = sm.cols.length;
  const column = new Float64Array(bottoms.length);
  for (let j = 0; j < m; j++) {
    for (let q = 0; q < bottoms.length; q++) column[q] = bottoms[q][j];
    column.sort();
    for (let q = 0; q < bottoms.length; q++) bottoms[q][j] = column[q];
  }
  return bottoms.map((b) => aggregate(sm, b));
}
