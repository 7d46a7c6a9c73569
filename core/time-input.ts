import { DateTime } from 'luxon';
import { GridcastError } from './errors.ts';

/**
 * The one rule for times given to gridcast (CLI options, API parameters, CSV cells):
 *  - an instant states its offset: `2026-12-03T00:00:00Z`, `2026-12-03T01:00+01:00`;
 *  - a date alone (`2026-12-03`) is a calendar day of the series' zone: it stands for the local
 *    midnight that starts the day (23:00Z the day before in Paris in winter), DST-aware;
 *  - a time without an offset (`2026-12-03T00:00`) is refused with TS_NO_OFFSET: its zone would be
 *    a guess, and a local 02:30 happens twice on the autumn DST day.
 * CSV cells are points in time, so there a date alone is refused too (checkInstant).
 */

// ISO 8601 extended format. Only forms PostgreSQL reads identically are accepted, so CSV text can
// be passed on unchanged (keeping sub-millisecond digits).
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

export type TimeCode = 'TS_NO_OFFSET' | 'TS_INVALID';
/** `problem` completes a sentence starting with the quoted text, e.g. "'2026-12-03T00:00' has no UTC offset…". */
/** `us`: the microseconds within `ms` (0–999) written after the third decimal of the seconds. */
export type InstantCheck = { ok: true; ms: number; us: number } | { ok: false; code: TimeCode; problem: string };

// A file of many series usually lists every series at one time before the next time: the same
// text comes many times in a row, and is read once.
let last: { text: string; check: InstantCheck } | undefined;

/** Epoch milliseconds of an ISO 8601 time that states its offset; no exception (CSV checks millions of cells). */
export function checkInstant(text: string): InstantCheck {
  if (last?.text === text) return last.check;
  const check = readInstant(text);
  last = { text, check };
  return check;
}

function readInstant(text: string): InstantCheck {
  const m = INSTANT.exec(text);
  if (!m) return { ok: false, code: 'TS_INVALID', problem: 'is not an ISO 8601 time such as 2026-03-29T01:00:00Z' };
  const [, ys, mos, ds, hs, mis, ss, frac, off] = m;
  if (!off) return { ok: false, code: 'TS_NO_OFFSET', problem: 'has no UTC offset: add Z or e.g. +01:00' };
  const [y, mo, d, h, mi, s] = [ys, mos, ds, hs, mis, ss ?? '0'].map(Number);
  let offMin = 0;
  if (off !== 'Z' && off !== 'z') {
    const digits = off.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 15 || om > 59) return { ok: false, code: 'TS_INVALID', problem: 'has an impossible offset' };
    offMin = (off[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) {
    return { ok: false, code: 'TS_INVALID', problem: 'is not a valid date and time' };
  }
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  const us = frac && frac.length > 3 ? Number(frac.slice(3).padEnd(3, '0')) : 0;
  return { ok: true, ms: Date.UTC(y, mo - 1, d, h, mi, s, ms) - offMin * 60_000, us };
}

/** A user's time before the zone it is read in is known: an instant, or a local calendar day. */
export type TimeInput = { instant: Date } | { date: string };

/**
 * Parses a user-given time by the rule above. `what` names it in errors (e.g. `--from`).
 * Throws TS_NO_OFFSET for a time without an offset, TS_INVALID for anything else unreadable.
 */
export function parseTimeInput(text: string, what: string): TimeInput {
  const d = DATE.exec(text);
  if (d) {
    const [y, m, day] = d.slice(1).map(Number);
    if (m < 1 || m > 12 || day < 1 || day > daysIn(y, m)) {
      throw new GridcastError('TS_INVALID', `${what} '${text}' is not a valid date.`, { option: what, value: text });
    }
    return { date: text };
  }
  const c = checkInstant(text);
  if (c.ok) return { instant: new Date(c.ms) };
  const hint =
    c.code === 'TS_NO_OFFSET'
      ? ` (or give a date alone, e.g. ${text.slice(0, 10)}, for that calendar day in the series' time zone)`
      : INSTANT.test(text)
        ? ''
        : " or a date such as 2026-12-03 (a calendar day in the series' time zone)";
  throw new GridcastError(c.code, `${what} '${text.length > 60 ? `${text.slice(0, 60)}…` : text}' ${c.problem}${hint}.`, { option: what, value: text });
}

/** The instant a parsed time stands for in `zone` (IANA): a date is that day's local midnight (DST-aware). */
export function resolveTimeInput(t: TimeInput, zone: string): Date {
  if ('instant' in t) return t.instant;
  const day = DateTime.fromISO(t.date, { zone });
  if (!day.isValid) throw new GridcastError('TIME_ZONE_INVALID', `Cannot read ${t.date} in time zone '${zone}': ${day.invalidExplanation ?? day.invalidReason}.`, { zone });
  return day.startOf('day').toJSDate();
}

/** parseTimeInput then resolveTimeInput: for callers that know the zone up front. */
export const timeInZone = (text: string, zone: string, what: string): Date => resolveTimeInput(parseTimeInput(text, what), zone);

/** The calendar date (YYYY-MM-DD) of an instant in `zone`. */
export const localDate = (at: Date, zone: string): string => DateTime.fromJSDate(at, { zone }).toISODate()!;

/** The next local midnight after the day starting at `dayStart` in `zone` (23 h or 25 h later on DST days). */
export const nextLocalMidnight = (dayStart: Date, zone: string): Date => DateTime.fromJSDate(dayStart, { zone }).startOf('day').plus({ days: 1 }).toJSDate();
