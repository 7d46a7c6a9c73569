/**
 * Schäfer–Strimmer (2005) shrinkage intensity for the correlation matrix towards the identity
 * (their "target D": variances kept, correlations shrunk), the λ of R corpcor's estimate.lambda
 * and of hierarchicalforecast's mint_shrink:
 *
 *   λ = Σ_{i≠j} Var̂(r_ij) / Σ_{i≠j} r_ij²,  clamped to [0, 1],
 *
 * with r_ij the sample correlations and Var̂(r_ij) = T/(T−1)³ · Σ_t (w_tij − w̄_ij)², w_tij = z_ti·z_tj
 * on standardised residuals z. Both sums only need Σ_{i,j} (z_i·z_j)² = ‖ZZᵀ‖²_F = ‖ZᵀZ‖²_F, so the
 * n × n correlation matrix is never formed: the Gram matrix is built on the smaller side, n·T·min(n,T)
 * work (T × T for 10,000 series and a few hundred residual steps).
 *
 * `x` holds n centred series of T steps (row-major n × T). A series with zero variance standardises
 * to zeros (as corpcor does), so it neither adds to nor takes from λ.
 */
export function shrinkageIntensity(x: Float64Array, n: number, T: number): number {
  if (n < 2 || T < 3) return 1;
  // Row weights 1/s_i² turn x into z = x/s_i inside the sums without a standardised copy.
  const w = new Float64Array(n);
  let q = 0; // Σ_i (Σ_t z_ti²)²: the diagonal of the Gram matrix, taken out of both sums.
  let z4 = 0; // Σ_i Σ_t z_ti⁴
  const colSq = new Float64Array(T); // Σ_i z_ti² per step
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let t = 0; t < T; t++) ss += x[i * T + t] ** 2;
    if (!(ss > 0)) continue;
    const wi = (T - 1) / ss;
    w[i] = wi;
    let rowSq = 0;
    for (let t = 0; t < T; t++) {
      const z2 = x[i * T + t] ** 2 * wi;
      rowSq += z2;
      colSq[t] += z2;
      z4 += z2 * z2;
    }
    q += rowSq * rowSq;
  }
  let sumW2 = 0; // Σ_t (Σ_i z_ti²)² = Σ_{i,j} Σ_t w_tij²
  for (let t = 0; t < T; t++) sumW2 += colSq[t] * colSq[t];
  const frob = n <= T ? gramFrobeniusRows(x, w, n, T) : gramFrobeniusSteps(x, w, n, T);
  const offSq = frob - q; // Σ_{i≠j} (z_i·z_j)² = (T−1)² Σ_{i≠j} r_ij²
  if (!(offSq > 0)) return 1;
  // Σ Var̂(r) / Σ r² with Σ_t (w − w̄)² = Σ_t w² − (z_i·z_j)²/T, written over a common factor.
  const lambda = (T * (sumW2 - z4) - offSq) / ((T - 1) * offSq);
  return Math.min(1, Math.max(0, lambda));
}

/** ‖Z·Zᵀ‖²_F through the n × n Gram matrix (few series, long residuals). */
function gramFrobeniusRows(x: Float64Array, w: Float64Array, n: number, T: number): number {
  let f = 0;
  for (let i = 0; i < n; i++) {
    if (w[i] === 0) continue;
    for (let j = 0; j <= i; j++) {
      if (w[j] === 0) continue;
      let s = 0;
      for (let t = 0; t < T; t++) s += x[i * T + t] * x[j * T + t];
      const g2 = s * s * w[i] * w[j];
      f += i === j ? g2 : 2 * g2;
    }
  }
  return f;
}

/** Rows per pass: a block of 64 series × T steps stays in cache while the T × T Gram matrix is updated. */
const CHUNK = 64;

/**
 * ‖Zᵀ·Z‖²_F through the T × T Gram matrix (many series). Lower-triangle 4 × 4 tiles, accumulated
 * over chunks of series; the tile kernel keeps 16 sums in locals.
 */
function gramFrobeniusSteps(x: Float64Array, w: Float64Array, n: number, T: number): number {
  const tp = Math.ceil(T / 4) * 4;
  const g = new Float64Array(tp * tp);
  // A zero-padded copy of one chunk, so tiles never test the T boundary.
  const chunk = new Float64Array(CHUNK * tp);
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const rows = Math.min(CHUNK, n - i0);
    chunk.fill(0);
    for (let r = 0; r < rows; r++) chunk.set(x.subarray((i0 + r) * T, (i0 + r + 1) * T), r * tp);
    for (let k = 0; k < tp; k += 4) {
      for (let l = 0; l <= k; l += 4) {
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        for (let r = 0; r < rows; r++) {
          const wi = w[i0 + r];
          const b = r * tp;
          const a0 = chunk[b + k] * wi, a1 = chunk[b + k + 1] * wi, a2 = chunk[b + k + 2] * wi, a3 = chunk[b + k + 3] * wi;
          const b0 = chunk[b + l], b1 = chunk[b + l + 1], b2 = chunk[b + l + 2], b3 = chunk[b + l + 3];
          s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
          s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
          s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
          s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
        }
        const o = k * tp + l;
        g[o] += s00; g[o + 1] += s01; g[o + 2] += s02; g[o + 3] += s03;
        g[o + tp] += s10; g[o + tp + 1] += s11; g[o + tp + 2] += s12; g[o + tp + 3] += s13;
        g[o + 2 * tp] += s20; g[o + 2 * tp + 1] += s21; g[o + 2 * tp + 2] += s22; g[o + 2 * tp + 3] += s23;
        g[o + 3 * tp] += s30; g[o + 3 * tp + 1] += s31; g[o + 3 * tp + 2] += s32; g[o + 3 * tp + 3] += s33;
      }
    }
  }
  // Tiles on the diagonal hold both triangles of their 4 × 4 block; tiles below it stand for two.
  let f = 0;
  for (let k = 0; k < tp; k += 4) {
    for (let l = 0; l <= k; l += 4) {
      let s = 0;
      for (let u = 0; u < 4; u++) for (let v = 0; v < 4; v++) s += g[(k + u) * tp + l + v] ** 2;
      f += k === l ? s : 2 * s;
    }
  }
  return f;
}
