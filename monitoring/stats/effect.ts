import { sd } from './sample.ts';

/**
 * Standardised difference of means (Glass's Δ): (mean(recent) − mean(reference)) / sd(reference),
 * signed (a heatwave is positive), NaN values ignored. Divided by the reference's spread, not a
 * pooled one, so that a recent window that is also more variable does not shrink its own effect.
 * A constant reference (sd 0) gives 0 when the means agree and ±Infinity otherwise.
 */
export function standardisedDifference(reference: ArrayLike<number>, recent: ArrayLike<number>): number {
  const r = finiteMean(reference);
  const c = finiteMean(recent);
  const s = sd(reference);
  if (Number.isNaN(r) || Number.isNaN(c) || Number.isNaN(s)) return Number.NaN;
  if (s > 0) return (c - r) / s;
  return c === r ? 0 : c > r ? Infinity : -Infinity;
}

function finiteMean(a: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isFinite(a[i])) {
      s += a[i];
      n++;
    }
  }
  return n > 0 ? s / n : Number.NaN;
}
