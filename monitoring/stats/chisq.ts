import { chisqUpper } from './gamma.ts';

/**
 * Chi-square test of homogeneity on a 2 × k table of counts (two samples' counts per category),
 * as R's `chisq.test(rbind(a, b))`: expected counts from the margins, statistic Σ (O − E)² / E,
 * df = (2 − 1)(k − 1) = k − 1, p = P(χ²_df > X²). Yates' continuity correction applies only to a
 * 2 × 2 table, as R does by default (`correct: false` turns it off there too); no correction
 * beyond 2 × 2, as in R. A category empty in both samples carries no information and would make R
 * return NaN (E = 0): it is dropped here, and df counts only the categories kept (`dropped` says
 * how many). R's "approximation may be incorrect" warning (some E < 5) is `smallExpected`.
 */
export interface ChisqResult {
  statistic: number;
  df: number;
  pValue: number;
  /** Categories left out because both counts were zero. */
  dropped: number;
  /** Some expected count is below 5: the χ² approximation is rough (R warns). */
  smallExpected: boolean;
  yates: boolean;
}

export function chisqHomogeneity(a: ArrayLike<number>, b: ArrayLike<number>, opts: { correct?: boolean } = {}): ChisqResult {
  if (a.length !== b.length) throw new RangeError(`chisqHomogeneity needs the same categories in both rows (${a.length} vs ${b.length})`);
  const rows: [number[], number[]] = [[], []];
  let dropped = 0;
  for (let j = 0; j < a.length; j++) {
    if (!(a[j] >= 0 && b[j] >= 0)) throw new RangeError(`counts must be finite and non-negative (category ${j})`);
    if (a[j] + b[j] === 0) {
      dropped++;
      continue;
    }
    rows[0].push(a[j]);
    rows[1].push(b[j]);
  }
  const k = rows[0].length;
  const rowSum = rows.map((r) => r.reduce((s, v) => s + v, 0));
  const total = rowSum[0] + rowSum[1];
  const df = k - 1;
  if (k < 2 || rowSum[0] === 0 || rowSum[1] === 0) return { statistic: Number.NaN, df, pValue: Number.NaN, dropped, smallExpected: true, yates: false };
  const yates = (opts.correct ?? true) && k === 2;
  let statistic = 0;
  let smallExpected = false;
  for (let j = 0; j < k; j++) {
    const col = rows[0][j] + rows[1][j];
    for (let i = 0; i < 2; i++) {
      const e = (rowSum[i] * col) / total;
      if (e < 5) smallExpected = true;
      let diff = Math.abs(rows[i][j] - e);
      if (yates) diff -= Math.min(0.5, diff);
      statistic += (diff * diff) / e;
    }
  }
  return { statistic, df, pValue: chisqUpper(statistic, df), dropped, smallExpected, yates };
}
