import { DateTime } from 'luxon';
import { HORIZONS, type Horizon } from '../../core/config.ts';
import { GridcastError } from '../../core/errors.ts';

const HOUR_MS = 3_600_000;

/**
 * When a run starts and what it covers, per horizon (B1). Pure: the caller passes the time.
 *
 * - The origin is the as-of time T floored to the hour: the model sees complete hourly buckets
 *   strictly before it (a bucket still filling would bias the last value) and weather forecasts
 *   issued at or before it.
 * - intraday: the hour in progress and the 6 after it (a run at 10:20 covers 10:00–17:00): the
 *   hour an operator is in is forecast too, from the history before it.
 * - day-ahead: the next local day of the grid zone, 23, 24 or 25 hours.
 * - week-ahead: the next 7 local days.
 * - mid-term: the next 52 weeks (364 local days), one model run per climatic scenario year.
 *   52 weeks keep weekdays in place from one year to the next, and keep the whole horizon
 *   within a year of the origin, so last year's temperatures replay on it completely.
 *
 * Windows start at a local midnight (or an hour for intraday) and are whole hours: a zone whose
 * midnight is not on a UTC hour (e.g. UTC+05:30) is refused, as hourly buckets are UTC hours.
 */
export interface RunWindow {
  origin: Date;
  /** First stored hour (inclusive) and end (exclusive). */
  start: Date;
  end: Date;
  /** Hourly steps predicted from the origin: the window is the last `end - start` of them. */
  horizonSteps: number;
  /** Steps from the origin to the window start. */
  offset: number;
}

/** Whole hours an intraday run covers after the hour in progress. */
export const INTRADAY_HOURS = 6;
const DAYS: Record<Exclude<Horizon, 'intraday'>, number> = { 'day-ahead': 1, 'week-ahead': 7, 'mid-term': 364 };

export function runWindow(horizon: Horizon, asOf: Date, timeZone: string): RunWindow {
  if (!HORIZONS.includes(horizon)) throw new GridcastError('RUN_HORIZON_INVALID', `Unknown horizon '${horizon}'; use one of ${HORIZONS.join(', ')}.`, { horizon });
  const t = asOf.getTime();
  if (!Number.isFinite(t)) throw new GridcastError('RUN_AS_OF_INVALID', 'The as-of time is not a valid date.');
  const origin = Math.floor(t / HOUR_MS) * HOUR_MS;
  let start: number;
  let end: number;
  if (horizon === 'intraday') {
    start = origin;
    end = origin + (1 + INTRADAY_HOURS) * HOUR_MS;
  } else {
    const local = DateTime.fromMillis(t, { zone: timeZone });
    if (!local.isValid) throw new GridcastError('INVALID_TIME_ZONE', `unknown time zone '${timeZone}'; use an IANA name such as 'Europe/Paris'`, { timeZone });
    const day = local.startOf('day').plus({ days: 1 });
    start = day.toMillis();
    end = day.plus({ days: DAYS[horizon] }).toMillis();
    if (start % HOUR_MS !== 0 || end % HOUR_MS !== 0) {
      throw new GridcastError('RUN_TIME_ZONE', `Local days of '${timeZone}' do not start on a UTC hour; forecast runs need whole-hour zone offsets.`, { timeZone });
    }
  }
  return {
    origin: new Date(origin),
    start: new Date(start),
    end: new Date(end),
    horizonSteps: (end - origin) / HOUR_MS,
    offset: (start - origin) / HOUR_MS,
  };
}
