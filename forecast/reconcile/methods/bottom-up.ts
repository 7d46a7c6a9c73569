import type { Absorb, MethodOutcome } from '../projection.ts';
import type { Structure } from '../structure.ts';

/**
 * P = [0 | I_m]: the bottom base forecasts as they are; aggregates are their sums. As the limit of
 * GLS with infinitely uncertain aggregates and W_bottom = I, a held aggregate's gap is shared
 * equally by the bottoms under it that are not held.
 */
export function bottomUp(st: Structure): MethodOutcome {
  const { a, m } = st;
  return { projection: { bottoms: (yhats) => yhats.map((y) => y.slice(a, a + m)) }, absorb: spreadUnder(st, new Float64Array(m).fill(1)), applied: 'bottom-up', warnings: [] };
}

/** G = diag(g): row r pulls the bottoms under it in proportion to g. */
export function spreadUnder(st: Structure, g: Float64Array): Absorb {
  const { a, m, sm } = st;
  return (rows) =>
    rows.map((r) => {
      const out = new Float64Array(m);
      if (r >= a) out[r - a] = g[r - a];
      else for (const c of sm.rowCols[r]) out[c] = g[c];
      return out;
    });
}
