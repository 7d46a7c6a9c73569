/**
 * Cubic regression spline bases as in mgcv (Wood 2017, §5.3.1–5.3.2): coefficients are the spline's
 * values at the knots, so the basis is interpretable and the wiggliness penalty ∫f''² is exact.
 *  - 'cr': natural cubic spline, linear beyond the outer knots (as mgcv extrapolates);
 *  - 'cc': cyclic cubic spline whose first and last knot are the same point of the cycle.
 */
import { GridcastError } from '../../core/errors.ts';
import { cholesky, cholSolve, matMul, transpose } from '../../core/linalg.ts';

export type BasisKind = 'cr' | 'cc';

export interface Marginal {
  bs: BasisKind;
  knots: number[];
}

/** Second-derivative map F (δ = Fβ, k_coef × k_coef) and penalty S = Dᵀ B⁻¹ D of a marginal. */
interface Prepared {
  size: number;
  f: Float64Array;
  s: Float64Array;
}

const cache = new WeakMap<Marginal, Prepared>();

export function basisSize(m: Marginal): number {
  return m.bs === 'cr' ? m.knots.length : m.knots.length - 1;
}

/** mgcv's place.knots: k knots spread evenly through the sorted unique values. */
export function placeKnots(values: ArrayLike<number>, k: number): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) seen.add(values[i]);
  // A typed array sorts numerically without a comparator call per comparison (a year of half-hours has ~50,000 distinct temperatures).
  const u = Float64Array.from(seen).sort();
  if (u.length < k) {
    throw new GridcastError('TOO_FEW_UNIQUE_VALUES', `a smooth with ${k} knots needs at least ${k} distinct values but the data has ${u.length}; lower k or drop the smooth`, { k, unique: u.length });
  }
  if (k === 2) return [u[0], u[u.length - 1]];
  const n = u.length;
  const delta = (n - 1) / (k - 1);
  const knots = [u[0]];
  for (let i = 1; i <= k - 2; i++) {
    const lb = Math.floor(delta * i);
    const frac = delta * i - lb;
    knots.push(u[lb] * (1 - frac) + u[lb + 1] * frac);
  }
  knots.push(u[n - 1]);
  return knots;
}

function prepare(m: Marginal): Prepared {
  const hit = cache.get(m);
  if (hit) return hit;
  const x = m.knots;
  const k = x.length;
  if (k < (m.bs === 'cr' ? 3 : 4)) {
    throw new GridcastError('TOO_FEW_KNOTS', `a '${m.bs}' smooth needs at least ${m.bs === 'cr' ? 3 : 4} knots, got ${k}`, { bs: m.bs, k });
  }
  const h: number[] = [];
  for (let i = 0; i < k - 1; i++) {
    h.push(x[i + 1] - x[i]);
    if (!(h[i] > 0)) throw new GridcastError('KNOTS_NOT_INCREASING', `knots must be strictly increasing (knot ${i + 1} of ${k})`, { knots: x });
  }
  let prepared: Prepared;
  if (m.bs === 'cr') {
    const r = k - 2;
    const b = new Float64Array(r * r);
    const d = new Float64Array(r * k);
    for (let i = 0; i < r; i++) {
      b[i * r + i] = (h[i] + h[i + 1]) / 3;
      if (i + 1 < r) {
        b[i * r + i + 1] = h[i + 1] / 6;
        b[(i + 1) * r + i] = h[i + 1] / 6;
      }
      d[i * k + i] = 1 / h[i];
      d[i * k + i + 1] = -1 / h[i] - 1 / h[i + 1];
      d[i * k + i + 2] = 1 / h[i + 1];
    }
    const binvD = solveColumns(b, r, d, k);
    const f = new Float64Array(k * k);
    f.set(binvD, k); // first and last rows stay 0: natural spline
    prepared = { size: k, f, s: matMul(transpose(d, r, k), binvD, k, r, k) };
  } else {
    const n = k - 1;
    const b = new Float64Array(n * n);
    const d = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const hp = h[(i - 1 + n) % n];
      const hi = h[i];
      const prev = (i - 1 + n) % n;
      const next = (i + 1) % n;
      b[i * n + i] += (hp + hi) / 3;
      b[i * n + prev] += hp / 6;
      b[i * n + next] += hi / 6;
      d[i * n + prev] += 1 / hp;
      d[i * n + i] += -1 / hp - 1 / hi;
      d[i * n + next] += 1 / hi;
    }
    const binvD = solveColumns(b, n, d, n);
    prepared = { size: n, f: binvD, s: matMul(transpose(d, n, n), binvD, n, n, n) };
  }
  cache.set(m, prepared);
  return prepared;
}

/** B⁻¹ D for symmetric positive definite B (r × r) and D (r × c). */
function solveColumns(b: Float64Array, r: number, d: Float64Array, c: number): Float64Array {
  const l = cholesky(b, r);
  if (!l) throw new GridcastError('KNOTS_NOT_INCREASING', 'knot spacing gives a singular spline system');
  const out = new Float64Array(r * c);
  const col = new Float64Array(r);
  for (let j = 0; j < c; j++) {
    for (let i = 0; i < r; i++) col[i] = d[i * c + j];
    const x = cholSolve(l, r, col);
    for (let i = 0; i < r; i++) out[i * c + j] = x[i];
  }
  return out;
}

/** Wiggliness penalty ∫f''² as a basisSize × basisSize matrix. */
export function marginalPenalty(m: Marginal): Float64Array {
  return prepare(m).s;
}

/** Writes the basis row of value x into out[offset … offset+size). */
export function basisRow(m: Marginal, x: number, out: Float64Array, offset = 0): void {
  fillRow(m, prepare(m), x, out, offset);
}

/** basisRow for one marginal, its preparation looked up once: for loops over many rows. */
export function basisRowOf(m: Marginal): (x: number, out: Float64Array, offset?: number) => void {
  const prepared = prepare(m);
  return (x, out, offset = 0) => fillRow(m, prepared, x, out, offset);
}

/**
 * Where x falls and its weights: the basis row is a₀ e(v₀) + a₁ e(v₁) + c₀ F[r₀,·] + c₁ F[r₁,·]
 * (two knot values and, through F, two second derivatives of the cubic between them).
 */
export interface SplinePoint {
  v0: number;
  a0: number;
  v1: number;
  a1: number;
  r0: number;
  c0: number;
  r1: number;
  c1: number;
}

export const splinePoint = (): SplinePoint => ({ v0: 0, a0: 0, v1: 0, a1: 0, r0: 0, c0: 0, r1: 0, c1: 0 });

function locate(m: Marginal, size: number, x: number, pt: SplinePoint): void {
  const kn = m.knots;
  const k = kn.length;
  if (m.bs === 'cc') {
    const period = kn[k - 1] - kn[0];
    let t = (x - kn[0]) % period;
    if (t < 0) t += period;
    t += kn[0];
    const j = intervalOf(kn, t);
    const h = kn[j + 1] - kn[j];
    const jn = (j + 1) % size;
    set(pt, j, (kn[j + 1] - t) / h, jn, (t - kn[j]) / h, j, ((kn[j + 1] - t) ** 3 / h - h * (kn[j + 1] - t)) / 6, jn, ((t - kn[j]) ** 3 / h - h * (t - kn[j])) / 6);
    return;
  }
  if (x < kn[0]) {
    // f(x₀) + (x − x₀) f'(x₀), f'(x₀) = (β₁ − β₀)/h − h(2δ₀ + δ₁)/6
    const h = kn[1] - kn[0];
    const dx = x - kn[0];
    set(pt, 0, 1 - dx / h, 1, dx / h, 0, (-dx * h) / 3, 1, (-dx * h) / 6);
    return;
  }
  if (x > kn[k - 1]) {
    // f(x_k) + (x − x_k) f'(x_k), f'(x_k) = (β_k − β_{k−1})/h + h(δ_{k−1} + 2δ_k)/6
    const h = kn[k - 1] - kn[k - 2];
    const dx = x - kn[k - 1];
    set(pt, k - 1, 1 + dx / h, k - 2, -dx / h, k - 2, (dx * h) / 6, k - 1, (dx * h) / 3);
    return;
  }
  const j = intervalOf(kn, x);
  const h = kn[j + 1] - kn[j];
  set(pt, j, (kn[j + 1] - x) / h, j + 1, (x - kn[j]) / h, j, ((kn[j + 1] - x) ** 3 / h - h * (kn[j + 1] - x)) / 6, j + 1, ((x - kn[j]) ** 3 / h - h * (x - kn[j])) / 6);
}

function set(pt: SplinePoint, v0: number, a0: number, v1: number, a1: number, r0: number, c0: number, r1: number, c1: number): void {
  pt.v0 = v0;
  pt.a0 = a0;
  pt.v1 = v1;
  pt.a1 = a1;
  pt.r0 = r0;
  pt.c0 = c0;
  pt.r1 = r1;
  pt.c1 = c1;
}

function fillRow(m: Marginal, prepared: Prepared, x: number, out: Float64Array, offset: number): void {
  const { size, f } = prepared;
  const pt = scratchPoint;
  locate(m, size, x, pt);
  out.fill(0, offset, offset + size);
  out[offset + pt.v0] += pt.a0;
  out[offset + pt.v1] += pt.a1;
  addF(out, offset, f, size, pt.r0, pt.c0);
  addF(out, offset, f, size, pt.r1, pt.c1);
}

const scratchPoint = splinePoint();

/**
 * For rows of coefficients γ (one per row of `gammas`, basisSize each), x ↦ basisRow(x)·γ in O(1)
 * per x and per γ: the basis is interpolating (γ are the spline's values at the knots and Fγ its
 * second derivatives), so the dot product is the cubic through them. `locate` fills a SplinePoint
 * for x once; `value(i, pt)` is the i-th spline there.
 */
export function splineOf(m: Marginal, gammas: Float64Array[]): { locate(x: number, pt: SplinePoint): void; value(i: number, pt: SplinePoint): number } {
  const { size, f } = prepare(m);
  const ds = gammas.map((g) => {
    const d = new Float64Array(size);
    for (let r = 0; r < size; r++) {
      let s = 0;
      for (let c = 0; c < size; c++) s += f[r * size + c] * g[c];
      d[r] = s;
    }
    return d;
  });
  return {
    locate: (x, pt) => locate(m, size, x, pt),
    value: (i, pt) => {
      const g = gammas[i];
      const d = ds[i];
      return pt.a0 * g[pt.v0] + pt.a1 * g[pt.v1] + pt.c0 * d[pt.r0] + pt.c1 * d[pt.r1];
    },
  };
}

/** out[offset …] += w · F[row, ·] (kept out of basisRow: a closure per call costs more than the row). */
function addF(out: Float64Array, offset: number, f: Float64Array, size: number, row: number, w: number): void {
  if (w === 0) return;
  const base = row * size;
  for (let c = 0; c < size; c++) out[offset + c] += w * f[base + c];
}

/** Index j with knots[j] ≤ x ≤ knots[j+1] (x inside the knot range). */
function intervalOf(kn: number[], x: number): number {
  let lo = 0;
  let hi = kn.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (kn[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
