/**
 * The grid's local calendar: local clock time of UTC instants (DST-aware through luxon), public
 * holidays (date-holidays), bridge days and configured school vacations. Days are identified by a
 * local day number (days since 1970-01-01 in the local calendar) so that 23 h and 25 h days are
 * still one day each.
 */
import Holidays from 'date-holidays';
import { DateTime } from 'luxon';
import { GridcastError } from './errors.ts';

export interface LocalClock {
  /** Local hour of day including minutes, in [0, 24). */
  hour: Float64Array;
  /** Local calendar day number (days since 1970-01-01, local). */
  day: Int32Array;
  /** 0 = Monday … 6 = Sunday. */
  weekday: Uint8Array;
  /** Position in the local year, in [0, 1): (day of year − 1 + hour/24) / days in year. */
  yearFraction: Float64Array;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Offset of the zone (ms) at an instant; throws a coded error for an unknown zone. */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const dt = DateTime.fromMillis(ms, { zone: timeZone });
  if (!dt.isValid) throw new GridcastError('INVALID_TIME_ZONE', `unknown time zone '${timeZone}'; use an IANA name such as 'Europe/Paris'`, { timeZone });
  return dt.offset * 60_000;
}

/**
 * Local clock of `count` steps from `firstMs`. Zone offsets change on the hour and at most once a
 * day in every zone grid operators use, so the offset is looked up once per UTC day and, where it
 * changed, the switching hour is found by bisection: luxon per step would dominate a model fit.
 */
export function localClock(firstMs: number, stepSec: number, count: number, timeZone = 'UTC'): LocalClock {
  const hour = new Float64Array(count);
  const day = new Int32Array(count);
  const weekday = new Uint8Array(count);
  const yearFraction = new Float64Array(count);
  const offsetAt = offsetLookup(timeZone);
  let yearDay = Number.NaN;
  let yearStart = 0;
  let yearLen = 365;
  for (let i = 0; i < count; i++) {
    const ms = firstMs + i * stepSec * 1000;
    const local = ms + offsetAt(ms);
    const d = Math.floor(local / DAY_MS);
    day[i] = d;
    hour[i] = (local - d * DAY_MS) / HOUR_MS;
    weekday[i] = (((d + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    if (d !== yearDay) {
      const y = new Date(d * DAY_MS).getUTCFullYear();
      yearStart = Date.UTC(y, 0, 1) / DAY_MS;
      yearLen = (Date.UTC(y + 1, 0, 1) - Date.UTC(y, 0, 1)) / DAY_MS;
      yearDay = d;
    }
    yearFraction[i] = (d - yearStart + hour[i] / 24) / yearLen;
  }
  return { hour, day, weekday, yearFraction };
}

/** Offset (ms) of the zone at an instant, memoised per UTC day with the switching hour of a DST day. */
function offsetLookup(timeZone: string): (ms: number) => number {
  zoneOffsetMs(0, timeZone); // validates the zone once
  if (timeZone === 'UTC') return () => 0;
  const days = new Map<number, { start: number; switchHour: number; after: number }>();
  return (ms) => {
    const d = Math.floor(ms / DAY_MS);
    let e = days.get(d);
    if (!e) {
      const start = zoneOffsetMs(d * DAY_MS, timeZone);
      const end = zoneOffsetMs((d + 1) * DAY_MS, timeZone);
      let switchHour = 24;
      if (start !== end) {
        let lo = 0;
        let hi = 24; // offset at hour lo is `start`, at hour hi it is `end`
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (zoneOffsetMs(d * DAY_MS + mid * HOUR_MS, timeZone) === start) lo = mid;
          else hi = mid;
        }
        switchHour = hi;
      }
      e = { start, switchHour, after: end };
      days.set(d, e);
    }
    return ms - d * DAY_MS < e.switchHour * HOUR_MS ? e.start : e.after;
  };
}

/** 'YYYY-MM-DD' of a local day number. */
export function dayKey(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Local day number of 'YYYY-MM-DD', or a coded error. */
export function parseDay(key: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  const ms = m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : Number.NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== key) {
    throw new GridcastError('INVALID_DATE', `'${key}' is not a date in YYYY-MM-DD form`, { date: key });
  }
  return ms / DAY_MS;
}

/** Holidays (local day, name) per 'country|region|year', computed once per process (see publicHolidays). */
const holidayDays = new Map<string, ReadonlyArray<readonly [number, string]>>();

/**
 * Public holidays (type 'public', plus their substitute days when a holiday falls on a weekend)
 * of a country/region for the given years, by local day number, with their names (a substitute
 * day carries the name of the holiday it stands for). Computed once per year and process, because
 * date-holidays takes about 10 ms a year to evaluate its rules and calendar features are built
 * for every fit, prediction and daily drift check of every series.
 */
export function publicHolidayNames(country: string, region: string | undefined, years: number[]): Map<number, string> {
  let hd: Holidays | undefined;
  const open = () => {
    const h = region ? new Holidays(country, region) : new Holidays(country);
    if (!h.getCountries()[country.toUpperCase()]) {
      throw new GridcastError('UNKNOWN_COUNTRY', `no holiday calendar for country '${country}'; use an ISO code such as 'US' or 'FR'`, { country });
    }
    return h;
  };
  if (years.length === 0) open();
  const out = new Map<number, string>();
  for (const y of years) {
    const key = `${country}|${region ?? ''}|${y}`;
    let days = holidayDays.get(key);
    if (!days) {
      hd ??= open();
      days = (hd.getHolidays(y) || [])
        .filter((h) => h.type === 'public' || (h.substitute && h.type === 'bank'))
        .map((h) => [parseDay(h.date.slice(0, 10)), h.substitute ? h.name.replace(/\s*\([^)]*\)\s*$/, '') : h.name] as const);
      holidayDays.set(key, days);
    }
    for (const [d, name] of days) if (!out.has(d)) out.set(d, name);
  }
  return out;
}

/** The days of publicHolidayNames: a fresh set on every call (the caller may add days to it). */
export function publicHolidays(country: string, region: string | undefined, years: number[]): Set<number> {
  return new Set(publicHolidayNames(country, region, years).keys());
}

/**
 * A bridge day is a working weekday squeezed between a holiday and a weekend (Friday after a
 * Thursday holiday, Monday before a Tuesday holiday): many people take it off.
 */
export function isBridgeDay(day: number, holidays: Set<number>): boolean {
  const weekend = (d: number) => (((d + 3) % 7) + 7) % 7 > 4;
  if (weekend(day) || holidays.has(day)) return false;
  return (holidays.has(day - 1) && weekend(day + 1)) || (holidays.has(day + 1) && weekend(day - 1));
}
