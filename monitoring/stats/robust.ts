/** Median of the finite values (NaN when there are none). */
export function median(a: ArrayLike<number>): number {
  const v = Array.from(a).filter(Number.isFinite).sort((x, y) => x - y);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Location and scale that a few spikes cannot move: the median and 1.4826 × MAD (σ for normal data). */
export function robustStandardise(a: ArrayLike<number>): { center: number; scale: number } {
  const center = median(a);
  const scale = 1.4826 * median(Array.from(a, (x) => Math.abs(x - center)));
  return { center, scale };
}
