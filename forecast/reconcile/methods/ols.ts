import type { MethodOutcome } from '../projection.ts';
import type { Structure } from '../structure.ts';
import { diagonalGls } from './diagonal.ts';

/** W = I (Hyndman et al. 2011): the coherent forecasts closest to the base ones in plain Euclidean distance. */
export function ols(st: Structure): MethodOutcome {
  return { ...diagonalGls(st, new Float64Array(st.n).fill(1)), applied: 'ols', warnings: [] };
}
