import { DateTime } from 'luxon';
import { CronExpressionParser } from 'cron-parser';
import cron from 'node-cron';

/** Why an expression cannot be scheduled, or null when both node-cron and cron-parser accept it. */
export function cronProblem(expression: string, timeZone: string): string | null {
  const detail = cron.validateDetailed(expression);
  if (!detail.valid) return detail.errors.map((e) => e.message).join('; ');
  try {
    CronExpressionParser.parse(expression, { tz: timeZone });
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/**
 * Past ticks of a cron expression, newest first: the ticks in (after, at], at most `max`.
 *
 * node-cron fires the ticks but cannot go backwards, so cron-parser walks back and node-cron's
 * own matcher keeps only the instants node-cron fires at. The two read a day-of-month plus a
 * day-of-week differently (cron-parser: either; node-cron: both), and node-cron's ticks are a
 * subset of cron-parser's, so the filter makes the list exactly node-cron's.
 */
export function ticksBack(
  expression: string,
  timeZone: string,
  firesAt: (d: Date) => boolean,
  at: Date,
  opts: { after?: Date | null; max: number },
): Date[] {
  // prev() is strictly before currentDate: start a millisecond after `at` to include it.
  const it = CronExpressionParser.parse(expression, { tz: timeZone, currentDate: new Date(at.getTime() + 1) });
  const after = opts.after?.getTime() ?? -Infinity;
  const ticks: Date[] = [];
  // Bounded so an expression node-cron almost never fires (e.g. Friday the 13th) cannot loop long.
  for (let seen = 0; ticks.length < opts.max && seen < 10_000; seen++) {
    let d: Date;
    try {
      d = it.prev().toDate();
    } catch {
      break; // before the earliest date cron-parser represents
    }
    if (d.getTime() <= after) break;
    if (firesAt(d)) ticks.push(d);
  }
  return ticks;
}

/** The first instant after `after` at which node-cron fires `expression` in `timeZone` (null if none within 10,000 candidates). */
export function nextTick(expression: string, timeZone: string, after: Date): Date | null {
  // A stopped task is only node-cron's matcher: it never fires.
  const task = cron.createTask(expression, () => {}, { timezone: timeZone });
  try {
    const it = CronExpressionParser.parse(expression, { tz: timeZone, currentDate: after });
    for (let seen = 0; seen < 10_000; seen++) {
      let d: Date;
      try {
        d = it.next().toDate();
      } catch {
        return null; // past the latest date cron-parser represents
      }
      if (task.match(d)) return d;
    }
    return null;
  } finally {
    void task.destroy();
  }
}

/** A tick as people read it in the grid's zone: `2026-12-06T17:05:00+01:00`. */
export function localTick(d: Date, timeZone: string): string {
  return DateTime.fromJSDate(d, { zone: timeZone }).toISO({ suppressMilliseconds: true }) ?? d.toISOString();
}
