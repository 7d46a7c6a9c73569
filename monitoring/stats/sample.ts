/** Small helpers on samples shared by the drift statistics. */

/** The finite values, ascending. */
export const sortedFinite = (a: ArrayLike<number>): number[] => Array.from(a).filter(Number.isFinite).sort((x, y) => x - y);

/** R's quantile(type = 7) of an ascending sample. */
export function quantile7(sorted: readonly number[], p: number): number {
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
