import type { Log } from '../../core/log.ts';
import type { Queryable } from '../../store/db.ts';
import { loadSeriesUnits } from '../../store/measurements.repository.ts';
import type { SeriesUnit } from '../../core/series.ts';
import type { Issue } from '../validate/issues.ts';
import { outOfRange, outOfRangeIssue, seriesRange, type Range } from '../validate/ranges.ts';
import type { MeasurementRow } from './point.ts';

export interface RejectedPoint {
  row: MeasurementRow;
  issue: Omit<Issue, 'line'>;
}

/** Splits live points into those to write and those refused, with the reason for each. */
export type ScreenRows = (rows: MeasurementRow[]) => Promise<{ accepted: MeasurementRow[]; rejected: RejectedPoint[] }>;

/**
 * The physical range check of live points (the CSV path checks the same ranges line by line):
 * a point outside its series' range is never written; it is logged with its code (the first 10,
 * then every 1000th: a misconfigured device sends every few seconds) and counted by the caller.
 * The topology is read from the store and re-read at most every `refreshMs`, so a topology
 * reload reaches a running server within that time. A point of a series the store does not know
 * passes, as before: its range is unknown.
 */
export function rangeScreen(q: Queryable, opts: { log: Log; source: string; refreshMs?: number }): ScreenRows {
  const refreshMs = opts.refreshMs ?? 30_000;
  let catalog = new Map<string, SeriesUnit & { range?: Range }>();
  let loadedAt = -Infinity;
  let soFar = 0;
  return async (rows) => {
    if (performance.now() - loadedAt > refreshMs) {
      catalog = new Map([...(await loadSeriesUnits(q))].map(([id, s]) => [id, { ...s, range: seriesRange(s) }]));
      loadedAt = performance.now();
    }
    const accepted: MeasurementRow[] = [];
    const rejected: RejectedPoint[] = [];
    for (const row of rows) {
      const s = catalog.get(row.seriesId);
      if (!s || !outOfRange(row.value, s.range)) {
        accepted.push(row);
        continue;
      }
      const issue = outOfRangeIssue(row.seriesId, s, s.range, String(row.value));
      rejected.push({ row, issue });
      if (++soFar <= 10 || soFar % 1000 === 0) {
        opts.log.warn(
          { source: opts.source, code: issue.code, seriesId: row.seriesId, ts: row.ts.toISOString(), value: row.value, reason: issue.message, rejectedSoFar: soFar },
          'rejected point',
        );
      }
    }
    return { accepted, rejected };
  };
}

