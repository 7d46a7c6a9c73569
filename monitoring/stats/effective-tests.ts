import { symEigen } from '../../core/linalg.ts';

/**
 * Effective number of independent tests among k correlated ones (Galwey, Genetic Epidemiology
 * 33(7), 2009): M_eff = (Σᵢ √λᵢ)² / Σᵢ λᵢ over the non-negative eigenvalues λᵢ of their
 * correlation matrix; k uncorrelated tests count k, k identical ones 1, and it moves continuously
 * in between (Li & Ji's count of eigenvalue parts jumps by one as an eigenvalue crosses an
 * integer). A false-alarm budget split over M_eff instead of k (Bonferroni) keeps the family's
 * rate without paying k times for features that move together (the temperature, its lag and its
 * daily maximum and minimum). `corr`: row-major k × k.
 */
export function effectiveTests(corr: ArrayLike<number>, k: number): number {
  if (k === 0) return 0;
  const { values } = symEigen(Float64Array.from(corr), k);
  let roots = 0;
  let sum = 0;
  for (const v of values) {
    const x = Math.max(0, v); // rounding leaves the zero eigenvalues of a singular matrix a hair negative
    roots += Math.sqrt(x);
    sum += x;
  }
  return sum > 0 ? (roots * roots) / sum : k;
}

/** Pearson correlation matrix (row-major k × k) of k series over the positions where all are finite; NaN where a series is constant there. */
export function correlationMatrix(series: ReadonlyArray<ArrayLike<number>>): { corr: Float64Array; n: number } {
  const k = series.length;
  const len = Math.min(...series.map((s) => s.length));
  const rows: number[] = [];
  for (let t = 0; t < len; t++) if (series.every((s) => Number.isFinite(s[t]))) rows.push(t);
  const mean = series.map((s) => rows.reduce((a, t) => a + s[t], 0) / rows.length);
  const corr = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let sij = 0;
      let sii = 0;
      let sjj = 0;
      for (const t of rows) {
        const a = series[i][t] - mean[i];
        const b = series[j][t] - mean[j];
        sij += a * b;
        sii += a * a;
        sjj += b * b;
      }
      corr[i * k + j] = corr[j * k + i] = sij / Math.sqrt(sii * sjj);
    }
  }
  return { corr, n: rows.length };
}
