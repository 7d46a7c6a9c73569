import { GridcastError } from '../../../core/errors.ts';
import { glsAbsorb, glsProjection } from '../gls.ts';
import type { Absorb, Projection } from '../projection.ts';
import type { Structure } from '../structure.ts';

/** GLS with a diagonal W of positive weights: UᵀWU = D_agg + A·D_b·Aᵀ is then positive definite by construction. */
export function diagonalGls(st: Structure, weights: Float64Array): { projection: Projection; absorb: Absorb } {
  const w = { diag: weights };
  const p = glsProjection(st, w);
  if (!p) {
    throw new GridcastError('RECONCILE_SINGULAR', 'Reconciliation weights are not all positive and finite; check the residuals for infinite values.');
  }
  return { projection: p, absorb: glsAbsorb(st, w, p) };
}
