import type { SummingMatrix } from '../../core/hierarchy.ts';

/**
 * The sparse facts every method needs from S = [A; I] (rows: a aggregates, then the m bottoms in
 * column order). The aggregate part A is kept two ways: rows (sm.rowCols, the bottoms under each
 * aggregate) and columns (the aggregates above each bottom), so A·x and Aᵀz both cost nnz(A)
 * = m × depth, never m × a.
 */
export interface Structure {
  sm: SummingMatrix;
  /** Number of aggregate rows (S rows 0..a-1). */
  a: number;
  /** Number of bottom series (S rows a..n-1, columns 0..m-1). */
  m: number;
  /** n = a + m rows. */
  n: number;
  /** Aggregates above bottom j: ancIdx[ancPtr[j] .. ancPtr[j+1]), ascending row indices. */
  ancPtr: Int32Array;
  ancIdx: Int32Array;
}

export function structureOf(sm: SummingMatrix): Structure {
  const m = sm.cols.length;
  const n = sm.rows.length;
  const a = n - m;
  const count = new Int32Array(m + 1);
  for (let i = 0; i < a; i++) for (const c of sm.rowCols[i]) count[c + 1]++;
  for (let j = 0; j < m; j++) count[j + 1] += count[j];
  const ancPtr = Int32Array.from(count);
  const ancIdx = new Int32Array(ancPtr[m]);
  const fill = Int32Array.from(ancPtr.subarray(0, m));
  for (let i = 0; i < a; i++) for (const c of sm.rowCols[i]) ancIdx[fill[c]++] = i;
  return { sm, a, m, n, ancPtr, ancIdx };
}

/** Uᵀy = y_agg − A·y_bottom (how far y is from coherent) for y in rows order, into `out` (length a). */
export function constraintResidual(st: Structure, y: Float64Array, out: Float64Array): Float64Array {
  const { sm, a } = st;
  for (let i = 0; i < a; i++) {
    let s = y[i];
    const cols = sm.rowCols[i];
    for (let k = 0; k < cols.length; k++) s -= y[a + cols[k]];
    out[i] = s;
  }
  return out;
}
