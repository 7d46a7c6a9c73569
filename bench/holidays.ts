import Holidays from 'date-holidays';

/**
 * 1 on the local days of US federal public holidays (both datasets are US utilities), else 0,
 * for every hour of a series written in local clock hours. Used by the R reference, which cannot
 * read gridcast's calendar.
 */
export function usHolidayFlags(startMs: number, stepSec: number, n: number): Uint8Array {
  const hd = new Holidays('US');
  const days = new Set<string>();
  const y0 = new Date(startMs).getUTCFullYear();
  const y1 = new Date(startMs + n * stepSec * 1000).getUTCFullYear();
  for (let y = y0; y <= y1; y++) {
    for (const h of hd.getHolidays(y)) if (h.type === 'public') days.add(h.date.slice(0, 10));
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = days.has(new Date(startMs + i * stepSec * 1000).toISOString().slice(0, 10)) ? 1 : 0;
  return out;
}
