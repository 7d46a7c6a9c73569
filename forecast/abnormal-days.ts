/**
 * The warnings that name the days GAMs were fitted without as abnormal (models/gam/abnormal-days.ts):
 * a fit that is not the one asked of every day says so, in a trained version's record, in a run's,
 * and in a backtest's output.
 */
const SERIES_NAMED = 5;
const DAYS_NAMED = 5;
const WHY = "a daily mean far from a normal day's: an outage, a storm, a holiday too rare in the history for an effect of its own";
const UNDO = 'abnormalDayThreshold: 0 fits on every day';

/** Per series, for training and runs; `see`: where the full list is kept. */
export function abnormalDaysWarning(bySeries: ReadonlyArray<readonly [string, readonly string[]]>, see: string): string[] {
  const left = bySeries.filter(([, days]) => days.length > 0);
  if (left.length === 0) return [];
  const named = left.slice(0, SERIES_NAMED).map(([id, days]) => `${id}: ${days.length} (${days.slice(0, DAYS_NAMED).map((d) => d.slice(0, 10)).join(', ')}${days.length > DAYS_NAMED ? ', …' : ''})`);
  return [`GAM_ABNORMAL_DAYS: ${left.length} series ${left.length === 1 ? 'was' : 'were'} fitted without days judged abnormal (${WHY}), ${named.join('; ')}${left.length > SERIES_NAMED ? '; …' : ''}; ${see}; ${UNDO}.`];
}

/** One series over the fits of a backtest: each day with the number of fits that left it out. */
export function abnormalDaysOverFits(timesLeftOut: ReadonlyMap<string, number>, fits: number): string[] {
  if (timesLeftOut.size === 0) return [];
  const days = [...timesLeftOut].map(([d, n]) => `${d.slice(0, 10)} (${n} of ${fits} fits)`).join(', ');
  return [`GAM_ABNORMAL_DAYS: the GAM was fitted without ${timesLeftOut.size} day(s) judged abnormal (${WHY}): ${days}; the GAM parameter ${UNDO}`];
}
