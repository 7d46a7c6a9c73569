import { median } from './robust.ts';

/**
 * Shewhart chart on the mean of the last `w` residuals (as shares of the level): an alarm when
 * that mean is `c` or more from zero. Hourly day-ahead residuals are strongly autocorrelated
 * (lag-1 ≈ 0.9, lag-24 ≈ 0.3–0.6 on GEFCom2012 zones) and their errors come in bursts of hours
 * (a heat afternoon wrong by 30 %) and biased days (a holiday wrong by 15–20 %). A CUSUM on the
 * hourly values accumulates both; the mean over a day is near-independent from one day to the
 * next, weighs a burst by its share of the day, and is what a level shift moves in full after a
 * day. Pure: arrays and plain state in and out.
 */
export interface WindowAlarm {
  /** Index (into the values given) of the value whose window crossed c. */
  index: number;
  side: 'up' | 'down';
  /** The window mean that crossed c. */
  statistic: number;
  /** Values from the estimated change to the alarm, the alarm's included (1…w). */
  run: number;
}

/**
 * Where in the window a shift from zero most likely began: the start τ maximising
 * side · Σ_{t≥τ} r_t / √(n − τ) (the likelihood ratio of a mean shift from a known zero mean
 * beginning at τ, equal variances). Returns the count of values from τ to the end.
 */
export function changeRun(window: ArrayLike<number>, side: 1 | -1): number {
  let best = Number.NEGATIVE_INFINITY;
  let run = window.length;
  let sum = 0;
  for (let j = window.length - 1; j >= 0; j--) {
    sum += side * window[j];
    const n = window.length - j;
    const score = sum / Math.sqrt(n);
    if (score > best) {
      best = score;
      run = n;
    }
  }
  return run;
}

/**
 * Runs the chart over `r` (NaN skipped) from `window` (the last values read, oldest first),
 * stopping at the first alarm. An alarm needs a full window: after a restart the chart reads
 * `w` values before it can fire again.
 */
export function windowMeanRun(r: ArrayLike<number>, w: number, c: number, window: readonly number[] = []): { window: number[]; alarm: WindowAlarm | null; read: number } {
  const buf = window.slice(-w);
  let sum = buf.reduce((a, v) => a + v, 0);
  for (let t = 0; t < r.length; t++) {
    const v = r[t];
    if (!Number.isFinite(v)) continue;
    buf.push(v);
    sum += v;
    if (buf.length > w) sum -= buf.shift()!;
    if (buf.length < w) continue;
    const mean = sum / w;
    if (Math.abs(mean) >= c) {
      const side = mean > 0 ? 'up' : 'down';
      return { window: buf, alarm: { index: t, side, statistic: mean, run: changeRun(buf, side === 'up' ? 1 : -1) }, read: t + 1 };
    }
  }
  return { window: buf, alarm: null, read: r.length };
}

/** How the confirmation judges an alarm (monitoring/stats/confirm.ts), on shares of the level. */
export interface WindowConfirm {
  points: number;
  minRelativeShift: number;
  /** Added to a centred share to give actual − forecast as a share of the level (the centre / level). */
  offset: number;
}

/**
 * Alarms of the chart over `r` that the confirmation would act on, as the monitor runs it: at an
 * alarm, the values from the estimated change to at least `points` after it; the alarm counts
 * when their median share of the level reaches the minimum on the alarm's side; the chart
 * restarts (an empty window) after the last value read either way.
 */
export function confirmedWindowAlarms(r: ArrayLike<number>, w: number, c: number, conf: WindowConfirm): number {
  const v = r instanceof Float64Array && r.every(Number.isFinite) ? r : Float64Array.from(Array.from(r).filter(Number.isFinite));
  let count = 0;
  let sum = 0;
  let from = 0;
  for (let t = 0; t < v.length; t++) {
    sum += v[t];
    if (t - from + 1 > w) sum -= v[t - w];
    if (t - from + 1 < w) continue;
    const mean = sum / w;
    if (Math.abs(mean) < c) continue;
    const side = mean > 0 ? 1 : -1;
    const run = changeRun(v.subarray(t - w + 1, t + 1), side);
    const start = t - run + 1;
    const to = Math.min(v.length - 1, Math.max(t, start + conf.points - 1));
    const shares = Array.from(v.subarray(start, to + 1), (x) => x + conf.offset);
    if (shares.length >= conf.points && side * median(shares) >= conf.minRelativeShift) count++;
    t = to;
    from = to + 1;
    sum = 0;
  }
  return count;
}
