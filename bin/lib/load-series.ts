import { z } from 'zod';
import { GridcastError } from '../../core/errors.ts';
import type { Series } from '../../core/types.ts';
import { instantMs, numberOrMissing, readCsv } from './read-csv.ts';

const LoadRow = z.object({ series_id: z.string().min(1, 'series_id is empty'), ts: instantMs, value: numberOrMissing });

/**
 * Regular series from observations at irregular or gappy times: the step is the smallest gap
 * between consecutive timestamps, absent steps are NaN. Timestamps off that grid are an error
 * (the data would need resampling first).
 */
export function toRegularSeries(id: string, points: { ms: number; value: number }[], timeZone: string, source: string): Series {
  if (points.length < 2) throw new GridcastError('TOO_FEW_DATA', `series '${id}' in '${source}' has ${points.length} value(s); a backtest needs a history and targets`, { seriesId: id });
  points.sort((a, b) => a.ms - b.ms);
  let stepMs = Infinity;
  for (let i = 1; i < points.length; i++) {
    const d = points[i].ms - points[i - 1].ms;
    if (d === 0) throw new GridcastError('DUPLICATE_TIMESTAMP', `series '${id}' has two values at ${new Date(points[i].ms).toISOString()} in '${source}'`, { seriesId: id });
    stepMs = Math.min(stepMs, d);
  }
  if (stepMs % 1000 !== 0) throw new GridcastError('UNSUPPORTED_STEP', `series '${id}': the step of ${stepMs} ms is not a whole number of seconds`, { seriesId: id });
  const first = points[0].ms;
  const n = (points[points.length - 1].ms - first) / stepMs + 1;
  const values = new Float64Array(n).fill(Number.NaN);
  for (const p of points) {
    const k = (p.ms - first) / stepMs;
    if (!Number.isInteger(k)) {
      throw new GridcastError('IRREGULAR_TIMESTAMPS', `series '${id}': ${new Date(p.ms).toISOString()} is off the ${stepMs / 1000} s grid starting at ${new Date(first).toISOString()}; resample the data to a regular step`, { seriesId: id });
    }
    values[k] = p.value;
  }
  return { id, start: new Date(first), stepSec: stepMs / 1000, values, timeZone };
}

/** Series of a long-format `series_id,ts,value` CSV (gzip accepted); all of them when `ids` is omitted. */
export function loadSeriesCsv(file: string, opts: { ids?: string[]; timeZone?: string } = {}): Map<string, Series> {
  const wanted = opts.ids ? new Set(opts.ids) : undefined;
  const rows = readCsv(file, ['series_id', 'ts', 'value'], LoadRow, (first) => !wanted || wanted.has(first));
  const byId = new Map<string, { ms: number; value: number }[]>();
  for (const r of rows) {
    let list = byId.get(r.series_id);
    if (!list) byId.set(r.series_id, (list = []));
    list.push({ ms: r.ts, value: r.value });
  }
  for (const id of wanted ?? []) {
    if (!byId.has(id)) throw new GridcastError('UNKNOWN_SERIES', `series '${id}' is not in '${file}'`, { seriesId: id, file });
  }
  const out = new Map<string, Series>();
  for (const [id, points] of byId) out.set(id, toRegularSeries(id, points, opts.timeZone ?? 'UTC', file));
  return out;
}
