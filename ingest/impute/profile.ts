import { DateTime } from 'luxon';
import type { DayType, ProfileCell } from '../../core/imputation.ts';

/**
 * The typical profile of a series: mean measured value per (day type, time-of-day slot) in
 * the grid's local time, over recent weeks. Day types are weekday / Saturday / Sunday;
 * public holidays are not told apart here (they are rare in a few weeks of history and the
 * forecast models handle them).
 */
export interface Profile {
  slotSec: number;
  timeZone: string;
  /** The history the means come from, for the audit log. */
  window: { from: string; to: string; weeks: number };
  cells: Map<string, ProfileCell>;
}

export function dayTypeOf(isoWeekday: number): DayType {
  return isoWeekday === 6 ? 'sat' : isoWeekday === 7 ? 'sun' : 'wd';
}

export function profileKey(tsMs: number, slotSec: number, timeZone: string): { dayType: DayType; slot: number; key: string } {
  const local = DateTime.fromMillis(tsMs, { zone: timeZone });
  const secOfDay = local.hour * 3600 + local.minute * 60 + local.second;
  const dayType = dayTypeOf(local.weekday);
  const slot = Math.floor(secOfDay / slotSec);
  return { dayType, slot, key: `${dayType}:${slot}` };
}

export function buildProfile(cells: ProfileCell[], slotSec: number, timeZone: string, window: Profile['window']): Profile {
  return { slotSec, timeZone, window, cells: new Map(cells.map((c) => [`${c.dayType}:${c.slot}`, c])) };
}

export function profileValue(p: Profile, tsMs: number): ProfileCell | undefined {
  return p.cells.get(profileKey(tsMs, p.slotSec, p.timeZone).key);
}
