import { sd, sortedFinite } from './sample.ts';

/**
 * 1-D Wasserstein-1 distance between two samples' empirical distributions, ∫ |F(t) − G(t)| dt
 * (equal to ∫₀¹ |F⁻¹(u) − G⁻¹(u)| du), in the feature's unit.
 */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = sortedFinite(a);
  const y = sortedFinite(b);
  if (x.length === 0 || y.length === 0) return Number.NaN;
  let i = 0;
  let j = 0;
  let prev = Math.min(x[0], y[0]);
  let total = 0;
  while (i < x.length || j < y.length) {
    const t = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
    total += Math.abs(i / x.length - j / y.length) * (t - prev);
    prev = t;
    while (i < x.length && x[i] === t) i++;
    while (j < y.length && y[j] === t) j++;
  }
  return total;
}

/**
 * W1 divided by the reference's standard deviation. Chosen over the IQR because a pure shift of
 * the mean by δ gives W1 = δ, so W1/σ reads as a standardised mean difference (Cohen's d): the
 * default business threshold 0.5 is "half a reference standard deviation". The IQR would be more
 * robust to outliers, but the drift inputs (hourly load and temperature) have few. A constant
 * reference (σ = 0) gives 0 when the samples agree and Infinity otherwise.
 */
export function normalisedWasserstein(reference: ArrayLike<number>, recent: ArrayLike<number>): number {
  const w = wasserstein1(reference, recent);
  const s = sd(reference);
  if (!(s > 0)) return w === 0 ? 0 : Number.isNaN(w) || Number.isNaN(s) ? Number.NaN : Infinity;
  return w / s;
}
