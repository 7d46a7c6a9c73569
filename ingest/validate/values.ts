import { checkInstant } from '../../core/time-input.ts';
import type { Issue } from './issues.ts';

type Checked<T> = { ok: true; value: T } | { ok: false; issue: Omit<Issue, 'line'> };

/** Epoch milliseconds of a timestamp that states its offset (the rule of core/time-input.ts). */
export function checkTimestamp(text: string, column: string): Checked<number> {
  const c = checkInstant(text);
  return c.ok ? { ok: true, value: c.ms } : { ok: false, issue: timestampIssue(text, column, c) };
}

/** Why a timestamp cell that checkInstant refused is wrong. */
export const timestampIssue = (text: string, column: string, c: { code: Issue['code']; problem: string }): Omit<Issue, 'line'> => ({ code: c.code, message: `${column} '${clip(text)}' ${c.problem}` });

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** A finite decimal number; the text is kept so that PostgreSQL stores exactly the value written. */
export function checkValue(text: string, column = 'value'): Checked<number> {
  if (text.trim() === '') return { ok: false, issue: { code: 'VALUE_EMPTY', message: `${column} is empty: leave the row out for a missing value` } };
  if (NON_FINITE.test(text.trim())) return { ok: false, issue: { code: 'VALUE_NOT_FINITE', message: `${column} '${clip(text)}' is not a finite number` } };
  if (!DECIMAL.test(text)) return { ok: false, issue: { code: 'VALUE_INVALID', message: `${column} '${clip(text)}' is not a decimal number` } };
  const v = Number(text);
  if (!Number.isFinite(v)) return { ok: false, issue: { code: 'VALUE_NOT_FINITE', message: `${column} '${clip(text)}' overflows a double` } };
  // 1e-400 reads as 0: PostgreSQL refuses it as out of range, and a measurement is not silently zeroed.
  if (v === 0 && /[1-9]/.test(text.split(/[eE]/)[0])) return { ok: false, issue: { code: 'VALUE_INVALID', message: `${column} '${clip(text)}' is too small for a double (it would read as 0)` } };
  return { ok: true, value: v };
}

export const clip = (s: string, n = 40) => (s.length > n ? `${s.slice(0, n)}…` : s);
