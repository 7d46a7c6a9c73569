import Holidays from 'date-holidays';
import { DateTime } from 'luxon';

export type DayType = 'workday' | 'saturday' | 'sunday';

export interface LocalTime {
  /** Local clock hour with fraction, 0 ≤ hour < 24. */
  hour: number;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  /** Public holidays behave like Sundays. */
  dayType: DayType;
  holiday: boolean;
  month: number;
  day: number;
}

/**
 * Local calendar of one zone and country: the simulated grid behaves by local clock time
 * (so a DST change moves the UTC position of every peak) and rests on public holidays.
 */
export function createCalendar(timeZone: string, country: string): (tMs: number) => LocalTime {
  const hd = new Holidays(country);
  const byYear = new Map<number, Set<string>>();
  const holidaysOf = (year: number) => {
    let set = byYear.get(year);
    if (!set) {
      set = new Set(hd.getHolidays(year).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
      byYear.set(year, set);
    }
    return set;
  };
  return (tMs) => {
    const d = DateTime.fromMillis(tMs, { zone: timeZone });
    const holiday = holidaysOf(d.year).has(d.toISODate()!);
    const dayType: DayType = holiday || d.weekday === 7 ? 'sunday' : d.weekday === 6 ? 'saturday' : 'workday';
    return { hour: d.hour + d.minute / 60 + d.second / 3600, weekday: d.weekday, dayType, holiday, month: d.month, day: d.day };
  };
}
