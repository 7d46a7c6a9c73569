import type { SummingMatrix } from '../../core/hierarchy.ts';
import type { Projection } from './projection.ts';

/** Vectors in sm.rows order: one per step for the mean, one per level and step for the quantiles. */
export interface RunVectors {
  mean: Float64Array[];
  /** [level][step], levels ascending. */
  quantiles: Float64Array[][];
}

/**
 * ỹ = S·P·ŷ for every vector of a run, the one place coherent values are produced.
 *
 * Quantiles: P is applied to each quantile vector, then each bottom series' values are sorted
 * across the levels at every step (rearrangement, Chernozhukov, Fernández-Val & Galichon 2010),
 * and only then summed by S. Every aggregate is a sum of non-crossing bottom quantiles, so all
 * levels are coherent and non-crossing. Summing quantiles treats the bottoms as comonotonic:
 * aggregate bands are the widest the bottom bands allow (conservative).
 */
export function applyProjection(sm: SummingMatrix, p: Projection, v: RunVectors): RunVectors {
  const steps = v.mean.length;
  const bottoms = p.bottoms([...v.mean, ...v.quantiles.flat()]);
  const mean = bottoms.slice(0, steps);
  const quantiles = v.quantiles.map((_, q) => bottoms.slice(steps * (q + 1), steps * (q + 2)));
  const m = sm.cols.length;
  const column = new Float64Array(quantiles.length);
  for (let h = 0; h < steps; h++) {
    for (let j = 0; j < m; j++) {
      for (let q = 0; q < quantiles.length; q++) column[q] = quantiles[q][h][j];
      column.sort();
      for (let q = 0; q < quantiles.length; q++) quantiles[q][h][j] = column[q];
    }
  }
  return { mean: mean.map((b) => aggregate(sm, b)), quantiles: quantiles.map((level) => level.map((b) => aggregate(sm, b))) };
}

/** S·b with the sparse S (rows order). */
function aggregate(sm: SummingMatrix, bottom: Float64Array): Float64Array {
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
