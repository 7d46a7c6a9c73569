/**
 * Two-sided tabular CUSUM (Page 1954; Montgomery, Introduction to Statistical Quality Control,
 * §9.1) on standardised values z: S⁺ₜ = max(0, S⁺ₜ₋₁ + zₜ − k), S⁻ₜ = max(0, S⁻ₜ₋₁ − zₜ − k),
 * an alarm when either exceeds h. The step after the last zero of the side that alarmed estimates
 * where the shift began (Montgomery's N⁺/N⁻ counters). Pure: arrays and plain state in and out.
 */
export interface CusumParams {
  /** Allowance in standard deviations (half the shift the chart is tuned for). */
  k: number;
  /** Decision interval in standard deviations. */
  h: number;
}

export interface CusumState {
  up: number;
  down: number;
  /** Steps since each side was last zero (the run length of the current excursion). */
  upRun: number;
  downRun: number;
}

export const CUSUM_START: CusumState = { up: 0, down: 0, upRun: 0, downRun: 0 };

export interface CusumAlarm {
  /** Index (into the values given) of the step that crossed h. */
  index: number;
  side: 'up' | 'down';
  /** The statistic that crossed h. */
  statistic: number;
  /** Index of the first step of the excursion: the estimated start of the shift (may be < 0: before these values). */
  changeIndex: number;
}

/** One step of the recursion. A missing value (NaN) leaves the state as it was. */
export function cusumStep(s: CusumState, z: number, k: number): CusumState {
  if (!Number.isFinite(z)) return s;
  const up = Math.max(0, s.up + z - k);
  const down = Math.max(0, s.down - z - k);
  return { up, down, upRun: up > 0 ? s.upRun + 1 : 0, downRun: down > 0 ? s.downRun + 1 : 0 };
}

/**
 * Runs the chart over `z` from `state`, stopping at the first alarm. Returns the state after the
 * last step read (the alarm step included) and the alarm, if any.
 */
export function cusumRun(z: ArrayLike<number>, p: CusumParams, state: CusumState = CUSUM_START): { state: CusumState; alarm: CusumAlarm | null; read: number } {
  let s = state;
  for (let t = 0; t < z.length; t++) {
    s = cusumStep(s, z[t], p.k);
    const side = s.up > p.h ? 'up' : s.down > p.h ? 'down' : null;
    if (side) {
      const run = side === 'up' ? s.upRun : s.downRun;
      return { state: s, alarm: { index: t, side, statistic: side === 'up' ? s.up : s.down, changeIndex: t - run + 1 }, read: t + 1 };
    }
  }
  return { state: s, alarm: null, read: z.length };
}

/**
 * Alarms over a long series with the chart restarted after each (what a monitor that resets
 * after a dismissed alarm sees): the count of alarms and the run lengths between them.
 */
export function cusumAlarms(z: ArrayLike<number>, p: CusumParams): { count: number; runLengths: number[] } {
  let up = 0;
  let down = 0;
  let since = 0;
  const runLengths: number[] = [];
  for (let t = 0; t < z.length; t++) {
    const v = z[t];
    if (!Number.isFinite(v)) continue;
    since++;
    up = Math.max(0, up + v - p.k);
    down = Math.max(0, down - v - p.k);
    if (up > p.h || down > p.h) {
      runLengths.push(since);
      up = 0;
      down = 0;
      since = 0;
    }
  }
  return { count: runLengths.length, runLengths };
}
