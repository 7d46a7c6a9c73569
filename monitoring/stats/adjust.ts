/**
 * Multiple-testing corrections as R's `p.adjust`: Holm (family-wise error, valid under any
 * dependence — the default for drift, whose features are correlated) and Benjamini–Hochberg
 * (false discovery rate). NaN p-values are left as NaN and not counted in n, as R does with NA.
 */
export type AdjustMethod = 'holm' | 'BH';

export function pAdjust(p: ArrayLike<number>, method: AdjustMethod): number[] {
  const out = Array.from(p, () => Number.NaN);
  const idx = Array.from(p, (_, i) => i).filter((i) => !Number.isNaN(p[i]));
  const n = idx.length;
  if (n === 0) return out;
  if (method === 'holm') {
    idx.sort((a, b) => p[a] - p[b] || a - b);
    let run = 0;
    idx.forEach((i, r) => {
      run = Math.max(run, (n - r) * p[i]);
      out[i] = Math.min(1, run);
    });
  } else {
    idx.sort((a, b) => p[b] - p[a] || b - a);
    let run = Infinity;
    idx.forEach((i, r) => {
      run = Math.min(run, (n / (n - r)) * p[i]);
      out[i] = Math.min(1, run);
    });
  }
  return out;
}
