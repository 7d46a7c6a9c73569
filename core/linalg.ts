/**
 * Small dense linear algebra on row-major Float64Array matrices (n × n unless stated).
 * Sized for penalised regression with a few hundred coefficients: O(p³) is fine, allocation is not
 * a concern, clarity is.
 */
import { GridcastError } from './errors.ts';

/**
 * Lower-triangular Cholesky factor L (A = L Lᵀ) of a symmetric positive definite matrix, or null
 * when A is not numerically positive definite.
 */
export function cholesky(a: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const lj = j * n;
    const d = a[lj + j] - dot(l, lj, l, lj, j);
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d);
    l[lj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const li = i * n;
      l[li + j] = (a[li + j] - dot(l, li, l, lj, j)) / ljj;
    }
  }
  return l;
}

/**
 * Σ v[i0 + k] w[j0 + k], k < len, in four interleaved sums: the inner loop of every O(p³) routine
 * here. The additions no longer wait on each other: at p = 353 the inverse took 11 ms instead of
 * 16–19, the Cholesky 7–9 instead of 8–11.
 */
function dot(v: Float64Array, i0: number, w: Float64Array, j0: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += v[i0 + k] * w[j0 + k];
    s1 += v[i0 + k + 1] * w[j0 + k + 1];
    s2 += v[i0 + k + 2] * w[j0 + k + 2];
    s3 += v[i0 + k + 3] * w[j0 + k + 3];
  }
  for (; k < len; k++) s0 += v[i0 + k] * w[j0 + k];
  return s0 + s1 + (s2 + s3);
}

/**
 * Cholesky of A + εI with the smallest ε (from 1e-12 of the mean diagonal upward) that works:
 * a penalised cross-product can be singular in directions no data and no penalty touch.
 */
export function choleskyJittered(a: Float64Array, n: number): { l: Float64Array; jitter: number } {
  const direct = cholesky(a, n);
  if (direct) return { l: direct, jitter: 0 };
  let scale = 0;
  for (let i = 0; i < n; i++) scale += Math.abs(a[i * n + i]);
  scale = scale / n || 1;
  for (let eps = 1e-12 * scale; eps < scale; eps *= 10) {
    const b = Float64Array.from(a);
    for (let i = 0; i < n; i++) b[i * n + i] += eps;
    const l = cholesky(b, n);
    if (l) return { l, jitter: eps };
  }
  throw new GridcastError('SINGULAR_MATRIX', 'the penalised normal equations are singular even after regularisation; check for constant or duplicated features');
}

/** Solves L Lᵀ x = b for one right-hand side. */
export function cholSolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(b as ArrayLike<number>);
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k];
    x[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** A⁻¹ from the Cholesky factor of A (symmetric result). */
export function cholInverse(l: Float64Array, n: number): Float64Array {
  return cholInverseBlocks(l, n, [{ offset: 0, size: n }]);
}

/**
 * The diagonal blocks of A⁻¹ from the Cholesky factor of A, in an n × n matrix that is zero
 * elsewhere; each entry equals cholInverse's. A smoothing-parameter search needs only these (the
 * trace of A⁻¹ against each block's penalty): the rows of L⁻ᵀ outside every block and the
 * products between blocks are skipped.
 */
export function cholInverseBlocks(l: Float64Array, n: number, blocks: ReadonlyArray<{ offset: number; size: number }>): Float64Array {
  // U = L⁻ᵀ (upper), then A⁻¹ = L⁻ᵀ L⁻¹ = U Uᵀ. Kept transposed so every inner loop runs along
  // rows (the same sums, in the same order, as on L⁻¹'s columns, without striding through memory).
  // Row j of U is column j of L⁻¹: a forward substitution of its own.
  const u = new Float64Array(n * n);
  const inv = new Float64Array(n * n);
  for (const b of blocks) {
    for (let j = b.offset; j < b.offset + b.size; j++) {
      const uj = j * n;
      u[uj + j] = 1 / l[uj + j];
      for (let i = j + 1; i < n; i++) {
        const li = i * n;
        u[uj + i] = -dot(l, li + j, u, uj + j, i - j) / l[li + i];
      }
    }
    for (let i = b.offset; i < b.offset + b.size; i++) {
      const ui = i * n;
      for (let j = b.offset; j <= i; j++) {
        const s = dot(u, ui + i, u, j * n + i, n - i);
        inv[ui + j] = s;
        inv[j * n + i] = s;
      }
    }
  }
  return inv;
}

/** C = A B with A (r × m) and B (m × c). */
export function matMul(a: Float64Array, b: Float64Array, r: number, m: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k];
      if (aik === 0) continue;
      const bk = k * c;
      const oi = i * c;
      for (let j = 0; j < c; j++) out[oi + j] += aik * b[bk + j];
    }
  }
  return out;
}

/** Aᵀ (r × c input, c × r output). */
export function transpose(a: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: values (descending) and
 * vectors as columns of a row-major n × n matrix. Meant for penalty blocks of a few dozen rows.
 */
export function symEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += m[i * n + j] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = m[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values, vectors };
}

/**
 * Identifiability constraint cᵀβ = 0 absorbed as in mgcv (QR of Cᵀ): β = Zβ̃, where Z is the last k−1
 * columns of the Householder reflection H = I − v vᵀ that maps c onto a multiple of e₁. Returns v
 * (scaled so that H is orthogonal); Z itself never needs to be formed.
 */
export function constraintReflector(c: ArrayLike<number>): Float64Array {
  const k = c.length;
  let norm = 0;
  for (let i = 0; i < k; i++) norm += c[i] * c[i];
  norm = Math.sqrt(norm);
  if (!(norm > 0)) throw new GridcastError('DEGENERATE_CONSTRAINT', 'identifiability constraint is zero: a smooth has no data in its range');
  const v = Float64Array.from(c);
  v[0] += (c[0] >= 0 ? 1 : -1) * norm;
  let vv = 0;
  for (let i = 0; i < k; i++) vv += v[i] * v[i];
  const f = Math.sqrt(2 / vv);
  for (let i = 0; i < k; i++) v[i] *= f;
  return v;
}

/** r Z for a row vector r of length k (result length k−1). */
export function rowTimesNullSpace(r: ArrayLike<number>, v: Float64Array, out: Float64Array, outOffset = 0): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += r[i] * v[i];
  for (let j = 1; j < v.length; j++) out[outOffset + j - 1] = r[j] - s * v[j];
}

/** Zᵀ S Z for a symmetric k × k matrix S (result (k−1) × (k−1)). */
export function nullSpaceCongruence(s: Float64Array, v: Float64Array): Float64Array {
  const k = v.length;
  // H S H with H = I − v vᵀ, then drop the first row and column.
  const sv = matMul(s, v, k, k, 1);
  let vsv = 0;
  for (let i = 0; i < k; i++) vsv += v[i] * sv[i];
  const m = k - 1;
  const out = new Float64Array(m * m);
  for (let i = 1; i < k; i++) {
    for (let j = 1; j < k; j++) {
      out[(i - 1) * m + j - 1] = s[i * k + j] - v[i] * sv[j] - sv[i] * v[j] + v[i] * v[j] * vsv;
    }
  }
  return out;
}
