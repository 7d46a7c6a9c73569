import type { Issue } from './issues.ts';

type Checked<T> = { ok: true; value: T } | { ok: false; issue: Omit<Issue, 'line'> };

// ISO 8601 extended format with a mandatory offset. Only forms PostgreSQL reads identically are
// accepted, so the text can be passed on unchanged (keeping sub-millisecond digits).
const TS = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** Epoch milliseconds of a timestamp that states its offset; a local time without one is ambiguous (DST). */
export function checkTimestamp(text: string, column: string): Checked<number> {
  const m = TS.exec(text);
  if (!m) return { ok: false, issue: { code: 'TS_INVALID', message: `${column} '${clip(text)}' is not an ISO 8601 time such as 2026-03-29T01:00:00Z` } };
  const [, ys, mos, ds, hs, mis, ss, frac, off] = m;
  if (!off) return { ok: false, issue: { code: 'TS_NO_OFFSET', message: `${column} '${clip(text)}' has no UTC offset: add Z or e.g. +01:00` } };
  const [y, mo, d, h, mi, s] = [ys, mos, ds, hs, mis, ss ?? '0'].map(Number);
  let offMin = 0;
  if (off !== 'Z' && off !== 'z') {
    const digits = off.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 15 || om > 59) return { ok: false, issue: { code: 'TS_INVALID', message: `${column} '${clip(text)}' has an impossible offset` } };
    offMin = (off[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) {
    return { ok: false, issue: { code: 'TS_INVALID', message: `${column} '${clip(text)}' is not a valid date and time` } };
  }
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  return { ok: true, value: Date.UTC(y, mo - 1, d, h, mi, s, ms) - offMin * 60_000 };
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** A finite decimal number; the text is kept so that PostgreSQL stores exactly the value written. */
export function checkValue(text: string, column = 'value'): Checked<number> {
  if (text.trim() === '') return { ok: false, issue: { code: 'VALUE_EMPTY', message: `${column} is empty: leave the row out for a missing value` } };
  if (NON_FINITE.test(text.trim())) return { ok: false, issue: { code: 'VALUE_NOT_FINITE', message: `${column} '${clip(text)}' is not a finite number` } };
  if (!DECIMAL.test(text)) return { ok: false, issue: { code: 'VALUE_INVALID', message: `${column} '${clip(text)}' is not a decimal number` } };
  const v = Number(text);
  if (!Number.isFinite(v)) return { ok: false, issue: { code: 'VALUE_NOT_FINITE', message: `${column} '${clip(text)}' overflows a double` } };
  return { ok: true, value: v };
}

export const clip = (s: string, n = 40) => (s.length > n ? `${s.slice(0, n)}…` : s);
