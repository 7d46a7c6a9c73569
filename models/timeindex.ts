import { DateTime } from 'luxon';
import { GridcastError } from '../core/errors.ts';
import type { Series } from '../core/types.ts';

/** Day types of the fallbacks: 0 = Monday–Friday, 1 = Saturday, 2 = Sunday. Holidays are not a type here (the GAM's calendar has them). */
export type DayType = 0 | 1 | 2;
export const DAY_TYPES = 3;

export const DAY_SEC = 86_400;

export function stepsPerDay(stepSec: number): number {
  const n = DAY_SEC / stepSec;
  if (!Number.isInteger(n) || n < 1) {
    throw new GridcastError('UNSUPPORTED_STEP', `step of ${stepSec} s does not divide a day; resample the series to a step such as 300, 900 or 3600 s`, { stepSec });
  }
  return n;
}

/**
 * Local slot of the day and day type of each step from `firstMs`. The zone offset is looked up
 * once per UTC hour: offsets change on the hour in every zone used by grid operators.
 */
export function localSlots(firstMs: number, stepSec: number, count: number, timeZone = 'UTC'): { slot: Int32Array; dayType: Uint8Array } {
  const perDay = stepsPerDay(stepSec);
  const slot = new Int32Array(count);
  const dayType = new Uint8Array(count);
  let cachedHour = Number.NaN;
  let offsetMs = 0;
  for (let i = 0; i < count; i++) {
    const ms = firstMs + i * stepSec * 1000;
    const hour = Math.floor(ms / 3_600_000);
    if (hour !== cachedHour) {
      const dt = DateTime.fromMillis(ms, { zone: timeZone });
      if (!dt.isValid) throw new GridcastError('INVALID_TIME_ZONE', `unknown time zone '${timeZone}'; use an IANA name such as 'Europe/Paris'`, { timeZone });
      offsetMs = dt.offset * 60_000;
      cachedHour = hour;
    }
    const local = ms + offsetMs;
    const secOfDay = ((local / 1000) % DAY_SEC + DAY_SEC) % DAY_SEC;
    slot[i] = Math.min(perDay - 1, Math.floor(secOfDay / stepSec));
    const weekday = (Math.floor(local / 86_400_000) + 3) % 7; // 1970-01-01 was a Thursday; 0 = Monday
    dayType[i] = weekday < 5 ? 0 : weekday === 5 ? 1 : 2;
  }
  return { slot, dayType };
}

/** Time of the step right after the last value of `s`. */
export function endOf(s: Series): Date {
  return new Date(s.start.getTime() + s.values.length * s.stepSec * 1000);
}

export function finiteCount(values: Float64Array, from = 0, to = values.length): number {
  let n = 0;
  for (let i = Math.max(0, from); i < to; i++) if (Number.isFinite(values[i])) n++;
  return n;
}

/** Mean and standard deviation of the finite values (NaN when there are none). */
export function meanSd(values: ArrayLike<number>): { mean: number; sd: number; n: number } {
  let n = 0;
  let s = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) { s += values[i]; n++; }
  if (n === 0) return { mean: Number.NaN, sd: Number.NaN, n };
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) ss += (values[i] - mean) ** 2;
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}
