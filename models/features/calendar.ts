/**
 * Calendar features of a forecast series, derived from timestamps, the series' time zone and a
 * CalendarSpec: local hour, day type (weekday, public holiday, bridge day), school vacation,
 * position in the year and a linear time trend.
 */
import { z } from 'zod';
import { dayKey, isBridgeDay, localClock, parseDay, publicHolidayNames } from '../../core/calendar.ts';
import { GridcastError } from '../../core/errors.ts';

export const CalendarSpecSchema = z
  .object({
    /** date-holidays country code, e.g. 'US', 'FR'. */
    country: z.string().min(2).optional(),
    /** date-holidays region (state) code, e.g. 'CA' for US/CA. */
    region: z.string().optional(),
    /** Extra non-working days (YYYY-MM-DD, local), e.g. a utility's own holidays. */
    extraHolidays: z.array(z.string()).optional(),
    /** School vacation periods, inclusive local dates. */
    schoolVacations: z.array(z.object({ from: z.string(), to: z.string() })).optional(),
  })
  .strict();

export type CalendarSpec = z.infer<typeof CalendarSpecSchema>;

/** Day-type codes: 0 … 6 = Monday … Sunday, then public holiday and bridge day. */
export const DAY_TYPE = { HOLIDAY: 7, BRIDGE: 8 } as const;
export const DAY_TYPE_LEVELS = 9;
export const DAY_TYPE_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'Holiday', 'Bridge'] as const;

export interface CalendarFeatures {
  /** Local hour of day in [0, 24). */
  hour: Float64Array;
  dayType: Float64Array;
  /** 1 inside a configured school vacation, else 0. */
  vacation: Float64Array;
  /** Position in the local year in [0, 1). */
  doy: Float64Array;
  /** Years since 2000-01-01 UTC (absolute, so a reloaded model extrapolates the same trend). */
  trend: Float64Array;
  /** Local day number of each step (days since 1970-01-01). */
  day: Int32Array;
  /** The name of each public holiday by local day number (extra holidays have none). */
  holidayNames: Map<number, string>;
}

const YEAR_MS = 365.25 * 86_400_000;
const TREND_ORIGIN_MS = Date.UTC(2000, 0, 1);

export function parseCalendarSpec(spec: unknown): CalendarSpec {
  const r = CalendarSpecSchema.safeParse(spec ?? {});
  if (!r.success) throw new GridcastError('INVALID_CALENDAR', `calendar spec is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { issues: r.error.issues });
  return r.data;
}

export function calendarFeatures(firstMs: number, stepSec: number, count: number, timeZone: string, spec: CalendarSpec): CalendarFeatures {
  const clock = localClock(firstMs, stepSec, count, timeZone);
  const days = count > 0 ? [clock.day[0], clock.day[count - 1]] : [0, 0];
  const years: number[] = [];
  // One year of margin either side: a bridge day looks at its neighbours.
  for (let y = new Date((days[0] - 1) * 86_400_000).getUTCFullYear(); y <= new Date((days[1] + 1) * 86_400_000).getUTCFullYear(); y++) years.push(y);
  const holidayNames = spec.country ? publicHolidayNames(spec.country, spec.region, years) : new Map<number, string>();
  const holidays = new Set(holidayNames.keys());
  for (const d of spec.extraHolidays ?? []) holidays.add(parseDay(d));
  const vacations = (spec.schoolVacations ?? []).map((v) => {
    const from = parseDay(v.from);
    const to = parseDay(v.to);
    if (to < from) throw new GridcastError('INVALID_CALENDAR', `school vacation ends (${v.to}) before it starts (${v.from})`, { vacation: v });
    return [from, to] as const;
  });
  const dayType = new Float64Array(count);
  const vacation = new Float64Array(count);
  const trend = new Float64Array(count);
  let lastDay = Number.NaN;
  let type = 0;
  let inVacation = 0;
  for (let i = 0; i < count; i++) {
    const d = clock.day[i];
    if (d !== lastDay) {
      type = holidays.has(d) ? DAY_TYPE.HOLIDAY : isBridgeDay(d, holidays) ? DAY_TYPE.BRIDGE : clock.weekday[i];
      inVacation = vacations.some(([f, t]) => d >= f && d <= t) ? 1 : 0;
      lastDay = d;
    }
    dayType[i] = type;
    vacation[i] = inVacation;
    trend[i] = (firstMs + i * stepSec * 1000 - TREND_ORIGIN_MS) / YEAR_MS;
  }
  return { hour: clock.hour, dayType, vacation, doy: clock.yearFraction, trend, day: clock.day, holidayNames };
}

/** Human-readable day type of a local day, for reports and tests. */
export function describeDay(day: number, type: number): string {
  return `${dayKey(day)} ${DAY_TYPE_NAMES[type]}`;
}
