import { tCdf, tQuantile, tSurvival } from './t-dist.ts';

export type DmAlternative = 'two.sided' | 'less' | 'greater';

export interface DmOptions {
  /** Forecast lead in steps: autocovariances of lags 0..h−1 enter the variance (R: h). Default 1. */
  h?: number;
  /** Loss |e|^power (R: power). Default 2. */
  power?: number;
  /** 'less': the first forecasts are more accurate (their loss is smaller). Default 'two.sided'. */
  alternative?: DmAlternative;
  /** Level of the interval of the mean loss difference. Default 0.95. */
  level?: number;
}

export interface DmResult {
  /** The HLN-corrected statistic (R: statistic); NaN when the loss differences have no variance. */
  statistic: number;
  pValue: number;
  /** The lead the variance and the correction used: the requested one, or 1 when R falls back. */
  h: number;
  hRequested: number;
  n: number;
  power: number;
  alternative: DmAlternative;
  /** mean(|e1|^power − |e2|^power): negative when the first forecasts are better. */
  meanLossDiff: number;
  /** meanLossDiff ∓ t(n−1) quantile × the standard error the statistic divides by. */
  ci: [number, number];
  level: number;
}

/** Autocovariances of lags 0..maxLag with R acf's divisor n (demeaned). */
function autocovariances(d: readonly number[], maxLag: number): number[] {
  const n = d.length;
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const out: number[] = [];
  for (let lag = 0; lag <= maxLag; lag++) {
    let s = 0;
    for (let i = 0; i + lag < n; i++) s += (d[i] - mean) * (d[i + lag] - mean);
    out.push(s / n);
  }
  return out;
}

/**
 * Diebold–Mariano test with the Harvey–Leybourne–Newbold correction, as R forecast::dm.test
 * with varestimator = 'acf': loss differential d = |e1|^power − |e2|^power, variance of its
 * mean from the autocovariances of lags 0..h−1, statistic × sqrt((n + 1 − 2h + h(h−1)/n)/n),
 * t distribution with n − 1 degrees of freedom. Like R, a variance estimate that is not
 * positive at h > 1 makes the test proceed with h = 1 (the result says which h it used); a
 * zero variance at h = 1 (R stops) gives NaN statistic and p-value. Errors must be paired and
 * finite (pairing is the caller's job).
 */
export function dmTest(e1: readonly number[], e2: readonly number[], opts: DmOptions = {}): DmResult {
  if (e1.length !== e2.length) throw new RangeError(`dmTest: ${e1.length} and ${e2.length} errors are not paired`);
  const hRequested = opts.h ?? 1;
  const power = opts.power ?? 2;
  const alternative = opts.alternative ?? 'two.sided';
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(hRequested) || hRequested < 1) throw new RangeError(`dmTest: h must be a positive integer, not ${hRequested}`);
  const n = e1.length;
  const d = e1.map((x, i) => Math.abs(x) ** power - Math.abs(e2[i]) ** power);
  const meanLossDiff = d.reduce((s, x) => s + x, 0) / n;
  const variance = (h: number) => {
    const c = autocovariances(d, Math.min(h - 1, n - 1));
    return (c[0] + 2 * c.slice(1).reduce((s, x) => s + x, 0)) / n;
  };
  let h = hRequested;
  let dv = variance(h);
  if (!(dv > 0) && h > 1) {
    h = 1;
    dv = variance(1);
  }
  const k = Math.sqrt((n + 1 - 2 * h + (h / n) * (h - 1)) / n);
  const se = dv > 0 ? Math.sqrt(dv) / k : NaN;
  const statistic = meanLossDiff / se;
  const df = n - 1;
  const pValue = alternative === 'two.sided' ? 2 * tCdf(-Math.abs(statistic), df) : alternative === 'less' ? tCdf(statistic, df) : tSurvival(statistic, df);
  const q = tQuantile(1 - (1 - level) / 2, df);
  return { statistic, pValue, h, hRequested, n, power, alternative, meanLossDiff, ci: [meanLossDiff - q * se, meanLossDiff + q * se], level };
}
