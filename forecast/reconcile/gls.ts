import { cholesky, cholSolve } from '../../core/linalg.ts';
import type { Absorb, Projection } from './projection.ts';
import { constraintResidual, type Structure } from './structure.ts';

/**
 * W = diag(d) + c·X·Xᵀ, never formed: d has one weight per row (rows order) and X is n × T
 * (row-major, rows order). OLS, WLS and wls-var have no low-rank part; MinT-shrink has
 * d = λ·var and c = (1−λ)/(T−1), X the centred residuals.
 */
export interface GlsWeights {
  diag: Float64Array;
  lowRank?: { scale: number; x: Float64Array; steps: number };
}

/**
 * Generalised least squares reconciliation in the constraint form of Wickramasuriya et al. (2019):
 * ỹ = ŷ − W·U·(UᵀWU)⁻¹·Uᵀŷ with Uᵀ = [I_a, −A], and P·ŷ the bottom part of ỹ. The textbook form
 * P = (SᵀW⁻¹S)⁻¹SᵀW⁻¹ needs W⁻¹ (n × n) and an m × m solve; this one only factorises the a × a
 * matrix UᵀWU, which for a grid (few aggregates, many feeders) is tiny, and W enters through
 * products with U that follow the sparsity of A.
 *
 * Returns null when UᵀWU is not numerically positive definite: a Cholesky pivot below
 * `minPivot` times its diagonal entry (a scale-free test, so a root in MW and feeders in kW are
 * judged alike) means (UᵀWU)⁻¹ would amplify rounding by more than 1/minPivot.
 */
export function glsProjection(st: Structure, w: GlsWeights, minPivot = 0): Projection | null {
  const { sm, a, m, ancPtr, ancIdx } = st;
  const d = w.diag;
  // UᵀWU = D_agg + A·D_bottom·Aᵀ (+ c·(UᵀX)(UᵀX)ᵀ): each bottom adds its weight to every pair
  // of aggregates above it, m × depth² work.
  const mm = new Float64Array(a * a);
  for (let i = 0; i < a; i++) mm[i * a + i] = d[i];
  for (let j = 0; j < m; j++) {
    const dj = d[a + j];
    for (let p = ancPtr[j]; p < ancPtr[j + 1]; p++) {
      const ip = ancIdx[p] * a;
      for (let q = ancPtr[j]; q < ancPtr[j + 1]; q++) mm[ip + ancIdx[q]] += dj;
    }
  }
  let ux: Float64Array | null = null;
  const lr = w.lowRank && w.lowRank.scale !== 0 ? w.lowRank : null;
  if (lr) {
    const T = lr.steps;
    const x = lr.x;
    // UᵀX: each aggregate's residuals minus the sum of its bottoms' residuals (a × T).
    ux = new Float64Array(a * T);
    for (let i = 0; i < a; i++) {
      const row = ux.subarray(i * T, (i + 1) * T);
      row.set(x.subarray(i * T, (i + 1) * T));
      for (const c of sm.rowCols[i]) {
        const src = (a + c) * T;
        for (let t = 0; t < T; t++) row[t] -= x[src + t];
      }
    }
    for (let i = 0; i < a; i++) {
      for (let k = 0; k <= i; k++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += ux[i * T + t] * ux[k * T + t];
        s *= lr.scale;
        mm[i * a + k] += s;
        if (k !== i) mm[k * a + i] += s;
      }
    }
  }
  const l = a > 0 ? cholesky(mm, a) : new Float64Array(0);
  if (!l) return null;
  for (let i = 0; i < a; i++) {
    if (!(l[i * a + i] * l[i * a + i] >= minPivot * mm[i * a + i])) return null;
  }

  const r = new Float64Array(a);
  return {
    bottoms(yhats: Float64Array[]): Float64Array[] {
      const outs = yhats.map((y) => y.slice(a, a + m));
      if (a === 0) return outs;
      // ỹ_b = ŷ_b − (W·U·z)_b with z = (UᵀWU)⁻¹Uᵀŷ and (U·z)_b = −Aᵀz:  + d_b ⊙ Aᵀz − c·X_b·((UᵀX)ᵀz).
      const zs = yhats.map((y) => cholSolve(l, a, constraintResidual(st, y, r)));
      zs.forEach((z, k) => {
        const out = outs[k];
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let p = ancPtr[j]; p < ancPtr[j + 1]; p++) s += z[ancIdx[p]];
          out[j] += d[a + j] * s;
        }
      });
      if (lr && ux) {
        const T = lr.steps;
        const vs = zs.map((z) => {
          const v = new Float64Array(T);
          for (let i = 0; i < a; i++) {
            const zi = z[i];
            if (zi !== 0) for (let t = 0; t < T; t++) v[t] += ux[i * T + t] * zi;
          }
          return v;
        });
        subtractLowRank(lr.x, a, m, T, lr.scale, vs, outs);
      }
      return outs;
    },
  };
}

/**
 * outs[k][j] −= c · X_{a+j} · vs[k] for every bottom j and vector k. X_b is the one large operand
 * (m × T, 115 MB for 10,000 feeders and 60 days of hourly residuals): each row is read once for
 * all vectors, four vectors at a time, instead of streaming the whole matrix once per vector.
 */
function subtractLowRank(x: Float64Array, a: number, m: number, T: number, c: number, vs: Float64Array[], outs: Float64Array[]): void {
  const nv = vs.length;
  for (let j = 0; j < m; j++) {
    const from = (a + j) * T;
    let k = 0;
    for (; k + 3 < nv; k += 4) {
      const v0 = vs[k], v1 = vs[k + 1], v2 = vs[k + 2], v3 = vs[k + 3];
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < T; t++) {
        const xt = x[from + t];
        s0 += xt * v0[t];
        s1 += xt * v1[t];
        s2 += xt * v2[t];
        s3 += xt * v3[t];
      }
      outs[k][j] -= c * s0;
      outs[k + 1][j] -= c * s1;
      outs[k + 2][j] -= c * s2;
      outs[k + 3][j] -= c * s3;
    }
    for (; k < nv; k++) {
      const v = vs[k];
      let s = 0;
      for (let t = 0; t < T; t++) s += x[from + t] * v[t];
      outs[k][j] -= c * s;
    }
  }
}

/** Column i of W (rows order): d_i·e_i, plus c·X·X_iᵀ with a low-rank part. */
export function weightColumn(w: GlsWeights, n: number, i: number): Float64Array {
  const col = new Float64Array(n);
  col[i] = w.diag[i];
  const lr = w.lowRank;
  if (lr && lr.scale !== 0) {
    const T = lr.steps;
    const xi = lr.x.subarray(i * T, (i + 1) * T);
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let t = 0; t < T; t++) s += lr.x[k * T + t] * xi[t];
      col[k] += lr.scale * s;
    }
  }
  return col;
}

/** For GLS, G·S_rᵀ = (SᵀW⁻¹S)⁻¹SᵀW⁻¹·(W·e_r) = P·(W·e_r): the projection applied to columns of W. */
export function glsAbsorb(st: Structure, w: GlsWeights, p: Projection): Absorb {
  return (rows) => p.bottoms(rows.map((i) => weightColumn(w, st.n, i)));
}
