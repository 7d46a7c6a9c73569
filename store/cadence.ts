import { localDate } from '../core/time-input.ts';
import type { Queryable } from './db.ts';

/**
 * How many points a bucket should hold (item: completeness of served buckets).
 *
 * The nominal cadence of a series is `attrs.stepSec` when the topology declares it. Otherwise it
 * is inferred per local calendar day: the median spacing of the day's first 51 points. Per day,
 * because a cadence can change (a coarse history, then a 10-s live feed) and one figure for the
 * whole series would mark every bucket of the other period partial or complete wrongly; from the
 * first points, so reading a year costs one short index scan per day, whatever the cadence. A day
 * with fewer than 3 points says nothing about the cadence: it takes the nearest earlier day's (or
 * later day's) figure, else the median spacing of the series' last 51 points before the range.
 * A bucket of span S then expects floor(S / step) points (at least 1), e.g. 360 per hour at 10 s,
 * 23 or 25 per local day of hourly data on DST days.
 */

/** SQL selecting the times (column `ts`) of one series' points in [lo, hi); it may use $1..$k of the caller's params. */
export type PointTimesSql = (lo: string, hi: string) => string;

const SAMPLE = 51;
/** The median spacing of the points selected by `points` (ordered, limited), when they show at least two spacings. */
const median = (points: string) =>
  `(SELECT CASE WHEN count(*) >= 2 THEN percentile_disc(0.5) WITHIN GROUP (ORDER BY gap) END FROM (
     SELECT extract(epoch FROM ts - lag(ts) OVER (ORDER BY ts))::float8 AS gap FROM (${points}) AS p) AS g WHERE gap > 0)`;

/** The cadence in seconds at the start of any bucket in [from, to) (null when no two points tell it). */
export type StepAt = (bucketStart: Date) => number | null;

export async function cadence(
  q: Queryable,
  opts: { pointTimes: PointTimesSql; params: unknown[]; declaredSec: number | null; zone: string; from: Date; to: Date },
): Promise<StepAt> {
  if (opts.declaredSec) return () => opts.declaredSec;
  const k = opts.params.length;
  const [from, to, tz] = [`$${k + 1}::timestamptz`, `$${k + 2}::timestamptz`, `$${k + 3}::text`];
  // Only the days holding points are sampled: a query over decades costs what its data costs.
  const { rows: span } = await q.query<{ lo: Date | null; hi: Date | null }>(
    `SELECT min(ts) AS lo, max(ts) AS hi FROM (${opts.pointTimes(`$${k + 1}::timestamptz`, `$${k + 2}::timestamptz`)}) AS p`,
    [...opts.params, opts.from, opts.to],
  );
  const lo = span[0].lo ?? opts.from;
  const hi = span[0].hi ? new Date(span[0].hi.getTime() + 1) : opts.to;
  const { rows } = await q.query<{ day: string; step: number | null }>(
    `SELECT to_char(d, 'YYYY-MM-DD') AS day,
       ${median(`${opts.pointTimes(`(d::date::timestamp AT TIME ZONE ${tz})`, `((d::date + 1)::timestamp AT TIME ZONE ${tz})`)} ORDER BY ts LIMIT ${SAMPLE}`)} AS step
     FROM generate_series((${from} AT TIME ZONE ${tz})::date, ((${to} - INTERVAL '1 millisecond') AT TIME ZONE ${tz})::date, INTERVAL '1 day') AS d
     ORDER BY d`,
    [...opts.params, lo, hi, opts.zone],
  );
  const steps = rows.map((r) => (r.step === null ? null : Number(r.step)));
  // Days without a figure take the nearest earlier one, leading ones the first later one.
  for (let i = 1; i < steps.length; i++) steps[i] ??= steps[i - 1];
  const first = steps.find((s) => s !== null) ?? null;
  let fallback = first;
  if (fallback === null) {
    const { rows: last } = await q.query<{ step: number | null }>(
      `SELECT ${median(`${opts.pointTimes(`'-infinity'::timestamptz`, `$${k + 1}::timestamptz`)} ORDER BY ts DESC LIMIT ${SAMPLE}`)} AS step`,
      [...opts.params, opts.to],
    );
    fallback = last[0].step === null ? null : Number(last[0].step);
  }
  const byDay = new Map(rows.map((r, i) => [r.day, steps[i] ?? fallback]));
  return (bucketStart) => byDay.get(localDate(bucketStart, opts.zone)) ?? fallback;
}

/** Points a bucket of spanSec should hold at stepSec; null when the cadence is unknown. */
export const expectedCount = (spanSec: number, stepSec: number | null): number | null =>
  stepSec ? Math.max(1, Math.floor(spanSec / stepSec + 1e-9)) : null;
