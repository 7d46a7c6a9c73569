/**
 * Excursions of a daily statistic beyond ±c: how many a year, counted on a sample or expected of a
 * stationary Gaussian series. An alarm evaluated every day on a sliding window is a run of days,
 * and what a person has to look at is each run (an episode), not each day: the false-alarm rate
 * of such an alarm is the rate of its episodes, which depends on how smooth the statistic is from
 * one day to the next as much as on its spread.
 */

/**
 * Owen's T function T(h, a) = (1/2π) ∫₀ᵃ exp(−h²(1 + x²)/2) / (1 + x²) dx, by composite Simpson
 * on 200 intervals (the integrand is smooth and bounded by 1 on [0, a]; the drift calibration
 * uses 0 ≤ a ≤ 1, where this agrees with R's bivariate normal to 1e-10).
 */
export function owenT(h: number, a: number): number {
  if (a === 0) return 0;
  if (a < 0) return -owenT(h, -a);
  const n = 200;
  const step = a / n;
  const f = (x: number) => Math.exp((-h * h * (1 + x * x)) / 2) / (1 + x * x);
  let s = f(0) + f(a);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(i * step);
  return (s * step) / 3 / (2 * Math.PI);
}

/**
 * Expected episodes per year of |X| ≥ c for a stationary Gaussian series with mean 0, standard
 * deviation `sd` and lag-one correlation `rho`, observed `stepsPerYear` times a year. An episode
 * of X ≥ c starts at each step from below c to c or above: P(X_t < c ≤ X_{t+1}) = Φ(c/σ) −
 * Φ₂(c/σ, c/σ; ρ) = 2 T(c/σ, √((1 − ρ)/(1 + ρ))) (Owen 1956), exact for any Gaussian series,
 * whatever its correlations beyond one step; and as many below −c by symmetry. At c = 0 it is
 * the rate of sign changes, arccos(ρ)/π a step (the discrete form of Rice's formula).
 */
export function gaussianExcursionsPerYear(c: number, sd: number, rho: number, stepsPerYear: number): number {
  if (!(sd > 0)) return 0;
  const r = Math.min(1, Math.max(-1, rho));
  return 2 * stepsPerYear * 2 * owenT(c / sd, Math.sqrt((1 - r) / (1 + r)));
}

/** The smallest c ≥ 0 with at most `perYear` expected episodes a year (bisection to 1e-6 sd; the rate falls as c grows). */
export function gaussianExcursionThreshold(perYear: number, sd: number, rho: number, stepsPerYear: number): number {
  if (!(sd > 0)) return 0;
  const rate = (c: number) => gaussianExcursionsPerYear(c, sd, rho, stepsPerYear);
  if (rate(0) <= perYear) return 0;
  let lo = 0;
  let hi = 40 * sd;
  while (hi - lo > 1e-6 * sd) {
    const mid = (lo + hi) / 2;
    if (rate(mid) <= perYear) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Runs of consecutive values with |x| ≥ c; a NaN (no value that day) ends a run. */
export function excursions(x: ArrayLike<number>, c: number): number {
  let n = 0;
  let inside = false;
  for (let i = 0; i < x.length; i++) {
    const over = Math.abs(x[i]) >= c; // false for NaN
    if (over && !inside) n++;
    inside = over;
  }
  return n;
}

/**
 * The smallest c such that no threshold from c up raises more than `allowed` runs of |x| ≥ c on
 * the sample: just above the highest level of |x| that raises more (the count is not monotone
 * in c: raising c can split a run in two), 0 when none does.
 */
export function inSampleThreshold(x: ArrayLike<number>, allowed: number): number {
  const levels = [...new Set(Array.from(x, Math.abs).filter(Number.isFinite))].sort((a, b) => b - a);
  for (const v of levels) if (excursions(x, v) > allowed) return nextUp(v);
  return 0;
}

const nextUp = (v: number) => v + Math.max(Math.abs(v) * 1e-12, 1e-12);

/** Root mean square about zero, and the lag-one correlation about zero of consecutive finite pairs (the statistic's null mean is zero). */
export function spreadAndPersistence(x: ArrayLike<number>): { rms: number; rho: number; n: number } {
  let ss = 0;
  let n = 0;
  let cross = 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) continue;
    ss += x[i] * x[i];
    n++;
    if (i + 1 < x.length && Number.isFinite(x[i + 1])) {
      cross += x[i] * x[i + 1];
      a += x[i] * x[i];
      b += x[i + 1] * x[i + 1];
    }
  }
  return { rms: n > 0 ? Math.sqrt(ss / n) : Number.NaN, rho: a > 0 && b > 0 ? cross / Math.sqrt(a * b) : Number.NaN, n };
}
