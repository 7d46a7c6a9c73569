// @ts-check
// Times in the grid's zone, in the browser, without a date library: Intl gives the wall clock of an
// instant in any IANA zone; the inverse (a wall time to an instant) is found by correcting the offset.

const partsCache = new Map();
/** @param {string} tz */
function partsFormat(tz) {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    partsCache.set(tz, f);
  }
  return f;
}

/**
 * The wall clock of instant `ms` in `tz`.
 * @param {number} ms @param {string} tz
 * @returns {{ year: number, month: number, day: number, hour: number, minute: number, second: number }}
 */
export function wallClock(ms, tz) {
  /** @type {Record<string, number>} */
  const p = {};
  for (const { type, value } of partsFormat(tz).formatToParts(new Date(ms))) if (type !== 'literal') p[type] = Number(value);
  return { year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute, second: p.second };
}

/** Offset of `tz` from UTC at instant `ms`, in ms (Paris in winter: +3,600,000). @param {number} ms @param {string} tz */
export function offsetMs(ms, tz) {
  const w = wallClock(ms, tz);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a wall time of `tz` names. A repeated time (the clocks go back) is its first
 * occurrence; a skipped one (the clocks go forward) is read with the offset before the change.
 * @param {number} year @param {number} month 1-12 @param {number} day @param {number} hour @param {number} minute @param {string} tz
 */
export function zonedToInstant(year, month, day, hour, minute, tz) {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // The offsets half a day either side bracket any change of that day.
  const before = wall - offsetMs(wall - 43_200_000, tz);
  const after = wall - offsetMs(wall + 43_200_000, tz);
  for (const t of before <= after ? [before, after] : [after, before]) if (t + offsetMs(t, tz) === wall) return t;
  return before;
}

/** 'YYYY-MM-DD' of instant `ms` in `tz`. @param {number} ms @param {string} tz */
export function localDate(ms, tz) {
  const w = wallClock(ms, tz);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/** A calendar date plus `n` days (calendar arithmetic: no zone involved). @param {string} date @param {number} n */
export function addDays(date, n) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The instant of local midnight starting `date` in `tz`. @param {string} date @param {string} tz */
export function midnight(date, tz) {
  const [y, m, d] = date.split('-').map(Number);
  return zonedToInstant(y, m, d, 0, 0, tz);
}

/** 'YYYY-MM-DDTHH:MM' (a datetime-local input's value) read as a wall time of `tz`; NaN when malformed. @param {string} text @param {string} tz */
export function parseLocalDateTime(text, tz) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(text);
  return m ? zonedToInstant(+m[1], +m[2], +m[3], +m[4], +m[5], tz) : NaN;
}

/** The datetime-local value of instant `ms` in `tz`. @param {number} ms @param {string} tz */
export function toLocalDateTime(ms, tz) {
  const w = wallClock(ms, tz);
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${w.year}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}`;
}

/** 'Tue 03 Dec 14:00' style label of `ms` in `tz`. @param {number} ms @param {string} tz @param {{ date?: boolean, time?: boolean }} [opts] */
export function label(ms, tz, opts = { date: true, time: true }) {
  /** @type {Intl.DateTimeFormatOptions} */
  const o = { timeZone: tz, hourCycle: 'h23' };
  if (opts.date !== false) Object.assign(o, { weekday: 'short', day: '2-digit', month: 'short' });
  if (opts.time !== false) Object.assign(o, { hour: '2-digit', minute: '2-digit' });
  return new Intl.DateTimeFormat('en-GB', o).format(new Date(ms));
}
