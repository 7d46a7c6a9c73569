/**
 * Days a load model should not learn from: an outage, a storm, a plant trip — a few days whose
 * level sits far from what the model makes of them, after which the load comes back. Fitted on,
 * one such day pulls every effect it shares (a hurricane on a Columbus Day makes every Columbus Day
 * low). Found from the in-sample fit: each day's mean residual against the median of all days, in
 * units of their MAD; a day beyond `threshold` starts an event, which takes in the days next to it
 * beyond two thirds of it on the same side (the day the load came back, partly). Judged on a fit
 * the event pulls, normal days beside it can look abnormal: the caller judges again on the fit
 * without the event (withoutAbnormal).
 *
 * Kept: an event longer than `maxEventDays` or still running at the end of the history (the load
 * may have moved to a new level, which the model must follow), and every day when there would be
 * more than one event per `daysPerEvent` days of history (one is always allowed): a load that is
 * that often far from its model (a plant stopped one day a month) behaves so, and its bands must
 * know it. Pure.
 */

export interface AbnormalDayRule {
  /** MADs from the median a day's mean residual must reach to start an event; 0: nothing is left out. */
  threshold: number;
  /** Longest event left out, in days. */
  maxEventDays: number;
  /** Days of history per event left out at most; more judged abnormal, none is. */
  daysPerEvent: number;
}

/** A week: longer, the load has more likely moved than failed. */
export const MAX_EVENT_DAYS = 7;
/** Two months: GEFCom2012's zone 9, an industrial load stopped about one day a month, is far from its model about every 30 days. */
export const DAYS_PER_EVENT = 60;

/** Days needed for the median and MAD to say what a normal day is. */
const MIN_DAYS = 28;

/** Centre and scale of the days' mean residuals: what a later day is judged against. */
export interface DayScale {
  median: number;
  mad: number;
}

/**
 * Mean residual of each day: days are blocks of `perDay` steps from the first step; a day with
 * fewer than half its steps observed is NaN.
 */
export function dailyMeans(residuals: ArrayLike<number>, perDay: number): Float64Array {
  const days = Math.floor(residuals.length / perDay);
  const out = new Float64Array(days);
  for (let d = 0; d < days; d++) {
    let sum = 0;
    let n = 0;
    for (let i = d * perDay; i < (d + 1) * perDay; i++) {
      const r = residuals[i];
      if (Number.isFinite(r)) {
        sum += r;
        n++;
      }
    }
    out[d] = n * 2 >= perDay ? sum / n : Number.NaN;
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median and MAD (scaled to a normal's sd) of the finite daily means, the MAD at least `minMad`
 * (a series the model fits almost exactly has no day far from normal by rounding errors);
 * undefined below MIN_DAYS.
 */
export function dayScale(means: Float64Array, minMad: number): DayScale | undefined {
  const xs = Array.from(means).filter(Number.isFinite);
  if (xs.length < MIN_DAYS) return undefined;
  const m = median(xs);
  const mad = Math.max(minMad, 1.4826 * median(xs.map((x) => Math.abs(x - m))));
  return mad > 0 ? { median: m, mad } : undefined;
}

/**
 * Indices of the days to leave out (ascending), by the rule, judged against `scale`. `history`:
 * the days of the whole history and the events it already left out, where `means` are a refit's
 * new days only (NaN before them); by default the days of `means`, none left out.
 */
export function abnormalDays(means: Float64Array, scale: DayScale, rule: AbnormalDayRule, history?: { days: number; events: number }): number[] {
  if (!(rule.threshold > 0)) return [];
  const z = Array.from(means, (m) => (Number.isFinite(m) ? (m - scale.median) / scale.mad : 0));
  const out: number[] = [];
  const beside = (2 * rule.threshold) / 3;
  let events = 0;
  let d = 0;
  while (d < z.length) {
    if (Math.abs(z[d]) < rule.threshold) {
      d++;
      continue;
    }
    const sign = Math.sign(z[d]);
    const near = (k: number) => k >= 0 && k < z.length && sign * z[k] >= beside;
    let first = d;
    while (first > (out.length ? out[out.length - 1] + 1 : 0) && near(first - 1)) first--;
    let last = d;
    while (near(last + 1)) last++;
    if (last - first + 1 <= rule.maxEventDays && last < z.length - 1) {
      for (let k = first; k <= last; k++) out.push(k);
      events++;
    }
    d = last + 1;
  }
  const h = history ?? { days: means.filter(Number.isFinite).length, events: 0 };
  return events + h.events > Math.max(1, h.days / rule.daysPerEvent) ? [] : out;
}

/** Events (runs of consecutive days) among ascending day indices. */
export function eventCount(days: readonly number[]): number {
  return days.filter((d, k) => k === 0 || d !== days[k - 1] + 1).length;
}

/** `y` with the steps of the given days (blocks of perDay steps from the first) missing. */
export function withoutDays(y: Float64Array, days: number[], perDay: number): Float64Array {
  const out = y.slice();
  for (const d of days) out.fill(Number.NaN, d * perDay, (d + 1) * perDay);
  return out;
}

/** Rounds of judging after the fit on every day (a fit without the days judged abnormal each). */
const ABNORMAL_ROUNDS = 3;

/**
 * A fit without the abnormal days: fitted on every day, then without the days `judge` finds
 * abnormal on that fit, then judged again on the new fit (every day, those left out included) until
 * the days judged are those left out: a normal day an outage pulled off its fit comes back in. A
 * judgement already fitted ends it there (rounds that go round: a day that makes a second event
 * once the first is out, over the events allowed, and none is left out). Undefined when `fitOn`
 * cannot fit without the days asked (a refit whose layout would change).
 */
export function withoutAbnormal<R>(y: Float64Array, perDay: number, fitOn: (y: Float64Array) => R | undefined, judge: (fit: R) => number[]): { result: R; abnormal: number[] } | undefined {
  const first = fitOn(y);
  if (!first) return undefined;
  const fits = new Map<string, { result: R; abnormal: number[] }>([['', { result: first, abnormal: [] }]]);
  let current = fits.get('')!;
  for (let round = 0; round < ABNORMAL_ROUNDS; round++) {
    const abnormal = judge(current.result);
    const key = abnormal.join(',');
    const seen = fits.get(key);
    if (seen) return seen;
    const result = fitOn(withoutDays(y, abnormal, perDay));
    if (!result) return undefined;
    fits.set(key, (current = { result, abnormal }));
  }
  return current;
}
