/** Median of the finite values (NaN when there are none). */
export function median(a: ArrayLike<number>): number {
  const v = Array.from(a).filter(Number.isFinite).sort((x, y) => x - y);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

