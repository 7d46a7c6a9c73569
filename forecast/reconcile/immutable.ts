import { cholSolve } from '../../core/linalg.ts';
import type { Absorb } from './projection.ts';
import type { Structure } from './structure.ts';

/**
 * Reconciliation with immutable nodes (Zhang, Kang, Panagiotelis & Li, "Optimal reconciliation with
 * immutable forecasts", EJOR 2023): the coherent forecast closest to the base one in the method's
 * metric under the extra equality constraints ỹ_F = ŷ_F for the held rows F. With G the method's
 * bottom covariance ((SᵀW⁻¹S)⁻¹ for GLS) and b₀ = P·ŷ the unconstrained bottoms,
 *
 *   b̃ = b₀ + G·S_Fᵀ·(S_F·G·S_Fᵀ)⁻¹·(ŷ_F − S_F·b₀),   ỹ = S·b̃.
 *
 * G·S_Fᵀ comes from the method (`absorb`: P·W·e_f for GLS, so no n × n matrix is formed), and
 * S_F·G·S_Fᵀ is |F| × |F|. Coherence is exact (ỹ = S·b̃), held bottoms are set to their value
 * exactly and held aggregates hold to rounding.
 *
 * Held rows that the others determine (a parent held together with all its children) add nothing:
 * they are dropped from the solve (a Cholesky pivot below 1e-10 of its diagonal entry) and, when their
 * own value is not what the others give, reported in `conflicts` instead of making the solve singular.
 */
export interface Holder {
  /**
   * Moves the m bottoms `b` (in place) so that every row of `rows` (rows order) takes its value in
   * `yhat` (all n rows) and the others absorb the difference; returns the held rows it could not hold.
   */
  hold(rows: readonly number[], yhat: Float64Array, b: Float64Array): number[];
}

const MIN_PIVOT = 1e-10;
/** A dropped (dependent) row whose value misses by more than this, relative, is a conflict. */
const CONFLICT_TOL = 1e-9;

interface Solver {
  /** The rows kept in the solve, and G·S_rᵀ of each. */
  kept: number[];
  columns: Float64Array[];
  /** Cholesky factor of S_K·G·S_Kᵀ (kept × kept). */
  l: Float64Array;
  dropped: number[];
}

/** `held`: rows the method keeps whenever anything is held (top-down's root), solved after the given ones. */
export function immutableHolder(st: Structure, absorb: Absorb, held: readonly number[] = []): Holder {
  const solvers = new Map<string, Solver>();
  const rowSum = (r: number, v: Float64Array) => {
    if (r >= st.a) return v[r - st.a];
    let s = 0;
    for (const c of st.sm.rowCols[r]) s += v[c];
    return s;
  };
  const solverFor = (rows: number[]): Solver => {
    const key = rows.join(',');
    let s = solvers.get(key);
    if (!s) {
      s = buildSolver(rows, absorb(rows), rowSum);
      solvers.set(key, s);
    }
    return s;
  };
  return {
    hold(rows, yhat, b) {
      if (rows.length === 0) return [];
      // Bottoms first, then deeper aggregates: when held rows conflict, the more specific ones win.
      const own = [...new Set(rows)].sort((x, y) => y - x);
      const order = [...own, ...held.filter((r) => !own.includes(r))];
      const s = solverFor(order);
      const k = s.kept.length;
      const gap = new Float64Array(k);
      for (let i = 0; i < k; i++) gap[i] = yhat[s.kept[i]] - rowSum(s.kept[i], b);
      const z = cholSolve(s.l, k, gap);
      for (let i = 0; i < k; i++) {
        const col = s.columns[i];
        const zi = z[i];
        if (zi !== 0) for (let j = 0; j < b.length; j++) b[j] += col[j] * zi;
      }
      for (const r of s.kept) if (r >= st.a) b[r - st.a] = yhat[r];
      return s.dropped.filter((r) => own.includes(r) && Math.abs(rowSum(r, b) - yhat[r]) > CONFLICT_TOL * Math.max(1, Math.abs(yhat[r])));
    },
  };
}

/** Incremental Cholesky of S_F·G·S_Fᵀ, keeping a row only when it is not (numerically) determined by those kept before it. */
function buildSolver(rows: number[], cols: Float64Array[], rowSum: (r: number, v: Float64Array) => number): Solver {
  const kept: number[] = [];
  const columns: Float64Array[] = [];
  const dropped: number[] = [];
  const lRows: number[][] = [];
  rows.forEach((r, idx) => {
    const col = cols[idx];
    const diag = rowSum(r, col);
    // y = L⁻¹·(S_K·G·S_rᵀ)
    const y: number[] = [];
    for (let i = 0; i < kept.length; i++) {
      let v = rowSum(kept[i], col);
      for (let t = 0; t < i; t++) v -= lRows[i][t] * y[t];
      y.push(v / lRows[i][i]);
    }
    const pivot = diag - y.reduce((s, v) => s + v * v, 0);
    if (!(diag > 0) || !(pivot > MIN_PIVOT * diag)) {
      dropped.push(r);
      return;
    }
    lRows.push([...y, Math.sqrt(pivot)]);
    kept.push(r);
    columns.push(col);
  });
  const k = kept.length;
  const l = new Float64Array(k * k);
  lRows.forEach((row, i) => row.forEach((v, t) => (l[i * k + t] = v)));
  return { kept, columns, l, dropped };
}
