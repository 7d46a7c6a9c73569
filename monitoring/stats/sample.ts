/** Small helpers on samples shared by the drift statistics. */

/** The finite values, ascending (a typed array: its numeric sort is several times faster than Array#sort with a comparator, which the daily drift job does for every feature). */
export function sortedFinite(a: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) out[n++] = a[i];
  return out.subarray(0, n).sort();
}

/** R's quantile(type = 7) of an ascending sample. */
export function quantile7(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Sample standard deviation (n − 1), as R's sd. */
export function sd(a: ArrayLike<number>): number {
  const xs = Array.from(a).filter(Number.isFinite);
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  return Math.sqrt(xs.reduce((s, v) => s + (v - mean) * (v - mean), 0) / (n - 1));
}
