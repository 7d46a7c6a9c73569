/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as R 4.2's `ks.test(x, y)`:
 *  - D = max |F_x − F_y| over the pooled sample, evaluated only at the end of each run of tied
 *    values (so ties do not inflate D);
 *  - R's choice rule: the exact p-value when m·n < 10 000 — also with ties, where R (≥ 4.2) counts
 *    lattice paths that may only be checked at the ends of tie runs, i.e. the exact conditional
 *    distribution given the ties — and the asymptotic Kolmogorov limit otherwise (R then warns
 *    "p-value will be approximate in the presence of ties"; `ties` says so here);
 *  - the asymptotic tail uses R's own series with R's tolerance (1e-6), so it agrees with R to
 *    rounding, not to the true limit distribution.
 * Where R's exact count overflows it falls back to a Monte Carlo p-value; this falls back to the
 * asymptotic one (`exact: false`), which needs no random numbers. NaN values are dropped, as R
 * drops NA.
 */
export interface KsResult {
  /** D, the largest distance between the two empirical distribution functions. */
  statistic: number;
  pValue: number;
  /** Whether the p-value is R's exact one (else the asymptotic limit). */
  exact: boolean;
  /** The pooled sample holds tied values. */
  ties: boolean;
  nx: number;
  ny: number;
}

/** R's threshold on m·n below which the exact distribution is used. */
const EXACT_BELOW = 10_000;

export function ksTest(x: ArrayLike<number>, y: ArrayLike<number>, opts: { exact?: boolean } = {}): KsResult {
  const xs = Array.from(x).filter((v) => !Number.isNaN(v));
  const ys = Array.from(y).filter((v) => !Number.isNaN(v));
  const m = xs.length;
  const n = ys.length;
  if (m < 1 || n < 1) throw new RangeError(`ksTest needs at least one value in each sample (got ${m} and ${n})`);
  const pooled = [...xs.map((v) => ({ v, fromX: true })), ...ys.map((v) => ({ v, fromX: false }))].sort((a, b) => a.v - b.v);
  const N = m + n;
  let z = 0;
  let d = 0;
  let ties = false;
  for (let i = 0; i < N; i++) {
    z += pooled[i].fromX ? 1 / m : -1 / n;
    const endOfRun = i === N - 1 || pooled[i + 1].v !== pooled[i].v;
    if (!endOfRun) ties = true;
    else d = Math.max(d, Math.abs(z));
  }
  let exact = opts.exact ?? m * n < EXACT_BELOW;
  let pValue = Number.NaN;
  if (exact) {
    const tieEnds = pooled.map((p, i) => i === N - 1 || pooled[i + 1].v !== p.v);
    pValue = 1 - smirnovPaths(d, m, n, tieEnds) / choose(N, m);
    if (!Number.isFinite(pValue)) exact = false;
  }
  if (!exact) pValue = d < Number.EPSILON ? 1 : 1 - kolmogorovLimit(Math.sqrt((m * n) / N) * d, 1e-6);
  return { statistic: d, pValue: Math.min(1, Math.max(0, pValue)), exact, ties, nx: m, ny: n };
}

/**
 * Lattice paths from (0,0) to (m,n) staying strictly inside |u/m − v/n| < D at every step that
 * ends a run of tied values (R's psmirnov, exact branch, including its rounding of D).
 */
function smirnovPaths(d: number, m: number, n: number, tieEnds: boolean[]): number {
  const q = (0.5 + Math.floor(d * m * n - 1e-7)) / (m * n);
  const N = m + n;
  let u = [0];
  let diag = [1];
  for (let k = 1; k <= N; k++) {
    const uAll = [...u, 1 + u[u.length - 1]];
    const summed = uAll.map((_, j) => (j < diag.length ? diag[j] : 0) + (j > 0 ? diag[j - 1] : 0));
    const nu: number[] = [];
    const nd: number[] = [];
    uAll.forEach((uu, j) => {
      const v = k - uu;
      if (uu > m || v > n || uu < 0 || v < 0) return;
      const dist = Math.abs(uu / m - v / n);
      nu.push(uu);
      nd.push(tieEnds[k - 1] ? (q > dist ? summed[j] : 0) : summed[j]);
    });
    u = nu;
    diag = nd;
  }
  return diag[0];
}

/** C(N, m) as a double (a product, exact for small arguments; Infinity when it overflows). */
function choose(N: number, m: number): number {
  const k = Math.min(m, N - m);
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (N - k + i)) / i;
  return c;
}

/**
 * P(K ≤ x) for the Kolmogorov distribution, computed as R's C_pKS2 (pkstwo): the theta-function
 * form with k_max = ⌊√(2 − log tol)⌋ terms below 1, the alternating series to `tol` above.
 */
export function kolmogorovLimit(x: number, tol: number): number {
  if (x <= 0) return 0;
  const kMax = Math.floor(Math.sqrt(2 - Math.log(tol)));
  if (x < 1) {
    const z = -((Math.PI / 2) * (Math.PI / 4)) / (x * x);
    const w = Math.log(x);
    let s = 0;
    for (let k = 1; k < kMax; k += 2) s += Math.exp(k * k * z - w);
    return s / (1 / Math.sqrt(2 * Math.PI));
  }
  const z = -2 * x * x;
  let s = -1;
  let k = 1;
  let old = 0;
  let next = 1;
  while (Math.abs(old - next) > tol) {
    old = next;
    next += 2 * s * Math.exp(z * k * k);
    s *= -1;
    k++;
  }
  return next;
}
