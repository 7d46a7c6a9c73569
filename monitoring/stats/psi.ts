import { quantile7, sortedFinite } from './sample.ts';

/**
 * Population stability index Σ (rᵢ − qᵢ) ln(rᵢ / qᵢ) of a recent sample's shares r against a
 * reference's shares q.
 * Numeric features: bins cut at the reference's deciles (R's quantile type 7; tied cut points
 * merged), bins (−∞, c₁], (c₁, c₂], …, (c_last, ∞), so every value lands in a bin and the
 * reference puts ≈ 1/B in each. Categorical features: the category shares, via `psiFromCounts`.
 * An empty bin would make the log infinite: its share is replaced by EPSILON = 1e-4 (no
 * renormalisation), the usual convention, which caps one empty bin's contribution near
 * 0.1 · ln(0.1/1e-4) ≈ 0.69 for a decile bin.
 * Conventional reading: < 0.1 stable, 0.1–0.2 moderate, ≥ 0.2 a significant shift.
 */
export const PSI_EPSILON = 1e-4;
export const PSI_BINS = 10;

export function psi(reference: ArrayLike<number>, recent: ArrayLike<number>, bins = PSI_BINS): number {
  const ref = sortedFinite(reference);
  const cur = sortedFinite(recent);
  if (ref.length === 0 || cur.length === 0) return Number.NaN;
  const cuts = [...new Set(Array.from({ length: bins - 1 }, (_, i) => quantile7(ref, (i + 1) / bins)))];
  const count = (xs: Float64Array) => {
    const c = new Array<number>(cuts.length + 1).fill(0);
    for (const x of xs) {
      let b = 0;
      while (b < cuts.length && x > cuts[b]) b++;
      c[b]++;
    }
    return c;
  };
  return psiFromCounts(count(ref), count(cur));
}

export function psiFromCounts(reference: ArrayLike<number>, recent: ArrayLike<number>): number {
  const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
  const nr = sum(reference);
  const nc = sum(recent);
  if (nr === 0 || nc === 0) return Number.NaN;
  let total = 0;
  for (let j = 0; j < reference.length; j++) {
    const q = Math.max(reference[j] / nr, PSI_EPSILON);
    const r = Math.max(recent[j] / nc, PSI_EPSILON);
    total += (r - q) * Math.log(r / q);
  }
  return total;
}
