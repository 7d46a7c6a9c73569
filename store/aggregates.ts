import { Quality, qualitySeverity } from '../core/quality.ts';
import type { Queryable } from './db.ts';

/**
 * Temporal aggregation of measurements (A5). Semantics, shared by the stored tables
 * (migration 010) and the on-the-fly queries (as-of, metering) so both give the same numbers:
 *  - every grain is computed from the raw points of its bucket, never from finer buckets;
 *  - 5m and 1h buckets are UTC-aligned [start, start + grain) (date_bin from 2000-01-01Z):
 *    local hours would repeat at the DST fall-back and could not be keys;
 *  - 1d buckets are calendar days of the series' time_zone: start = local midnight as UTC,
 *    23 h on the spring-forward day, 25 h on the fall-back day;
 *  - n, sum (added in time order, so the result is bit-for-bit reproducible), avg = sum / n
 *    (arithmetic mean of the points, not time-weighted), min, max, p95 = percentile_cont(0.95)
 *    (linear interpolation at rank 0.95 * (n - 1)), quality = worst point quality, methods =
 *    distinct methods of the points, sorted and comma-separated.
 */
export type AggregateGrain = '5m' | '1h' | '1d';

export const GRAIN_SECONDS: Record<AggregateGrain, number> = { '5m': 300, '1h': 3600, '1d': 86_400 };

const EPOCH = `TIMESTAMPTZ '2000-01-01 00:00:00+00'`;
const binInterval: Record<Exclude<AggregateGrain, '1d'>, string> = { '5m': `INTERVAL '5 minutes'`, '1h': `INTERVAL '1 hour'` };

const bySeverity = [...Quality.options].sort((a, b) => qualitySeverity(a) - qualitySeverity(b));
/** SQL aggregate expression: the worst `quality` of the group. */
const worstQualitySql = `(ARRAY[${bySeverity.map((q) => `'${q}'`).join(', ')}])[max(CASE quality ${bySeverity
  .map((q, i) => `WHEN '${q}' THEN ${i + 1}`)
  .join(' ')} END)]`;

/** SQL: the key of the bucket holding `ts` (a timestamptz for 5m/1h, a local date for 1d). */
const bucketKey = (grain: AggregateGrain) =>
  grain === '1d' ? `(ts AT TIME ZONE tz)::date` : `date_bin(${binInterval[grain]}, ts, ${EPOCH})`;

/** SQL: start and length in seconds of the bucket of key `k` in zone `tz`. */
const bucketStart = (grain: AggregateGrain) => (grain === '1d' ? `(k::timestamp AT TIME ZONE tz)` : 'k');
const bucketSpan = (grain: AggregateGrain) =>
  grain === '1d'
    ? `extract(epoch FROM ((k + 1)::timestamp AT TIME ZONE tz) - (k::timestamp AT TIME ZONE tz))::int`
    : `${GRAIN_SECONDS[grain]}`;

/**
 * SQL aggregating `points` — any relation with columns (series_id, ts, value, quality, method,
 * tz, interval_sec, status) — to rows (series_id, tz, day, bucket, span_sec, n, avg, sum, min,
 * max, p95, quality, methods, covered_sec, provisional). covered_sec sums interval_sec and
 * provisional tells whether any point has status 'provisional' (both for metering).
 */
export function aggregateSql(grain: AggregateGrain, points: string): string {
  return `SELECT series_id, tz, ${grain === '1d' ? 'k' : 'NULL::date'} AS day, ${bucketStart(grain)} AS bucket,
      ${bucketSpan(grain)} AS span_sec, n, sum / n AS avg, sum, min, max, p95, quality, methods, covered_sec, provisional
    FROM (SELECT series_id, tz, ${bucketKey(grain)} AS k, count(*)::int AS n, sum(value ORDER BY ts) AS sum,
            min(value) AS min, max(value) AS max,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95,
            ${worstQualitySql} AS quality,
            string_agg(DISTINCT method, ',' ORDER BY method) FILTER (WHERE method IS NOT NULL) AS methods,
            sum(interval_sec)::int AS covered_sec,
            coalesce(bool_or(status = 'provisional'), false) AS provisional
          FROM (${points}) AS p
          GROUP BY series_id, tz, k) AS g`;
}

/** SQL: the measurements of the series in $1 (text[]) with their zone, as aggregateSql points. */
const measurementPoints = (extraWhere: string) => `SELECT m.series_id, m.ts, m.value, m.quality, m.method,
    t.tz, NULL::int AS interval_sec, NULL::text AS status
  FROM measurements m
  JOIN (SELECT sid, coalesce(s.time_zone, 'UTC') AS tz FROM unnest($1::text[]) AS sid LEFT JOIN series s ON s.id = sid) AS t
    ON t.sid = m.series_id
  WHERE ${extraWhere}`;

const COLUMNS = 'n, avg, sum, min, max, p95, quality, methods';

/**
 * Brings the 5-min / hourly / local-day aggregates up to date for the given series over
 * [from, to]. Called by ingestion (and imputation) inside the same transaction as the raw
 * write, so a committed batch always has consistent aggregates. Every bucket touching the
 * range is deleted and recomputed from the raw points: cost is proportional to the span of
 * the batch (in buckets) and the points in it, not to the history.
 */
export async function refreshAggregates(q: Queryable, range: { seriesIds: string[]; from: Date; to: Date }): Promise<void> {
  const ids = [...new Set(range.seriesIds)];
  if (ids.length === 0) return;
  const params = [ids, range.from, range.to];
  for (const grain of ['5m', '1h'] as const) {
    const table = `measurements_${grain}`;
    const lo = `date_bin(${binInterval[grain]}, $2::timestamptz, ${EPOCH})`;
    const hi = `(date_bin(${binInterval[grain]}, $3::timestamptz, ${EPOCH}) + ${binInterval[grain]})`;
    await q.query(`DELETE FROM ${table} WHERE series_id = ANY($1::text[]) AND bucket >= ${lo} AND bucket < ${hi}`, params);
    await q.query(
      `INSERT INTO ${table} (series_id, bucket, ${COLUMNS})
       SELECT series_id, bucket, ${COLUMNS}
       FROM (${aggregateSql(grain, measurementPoints(`m.ts >= ${lo} AND m.ts < ${hi}`))}) AS a`,
      params,
    );
  }
  // Local days of each series' zone: [midnight of the day of `from`, midnight after the day of `to`).
  const dayLo = `((($2::timestamptz AT TIME ZONE t.tz)::date)::timestamp AT TIME ZONE t.tz)`;
  const dayHi = `(((($3::timestamptz AT TIME ZONE t.tz)::date + 1))::timestamp AT TIME ZONE t.tz)`;
  await q.query(
    `DELETE FROM measurements_1d d
     USING (SELECT sid, coalesce(s.time_zone, 'UTC') AS tz FROM unnest($1::text[]) AS sid LEFT JOIN series s ON s.id = sid) AS t
     WHERE d.series_id = t.sid AND d.bucket >= ${dayLo} AND d.bucket < ${dayHi}`,
    params,
  );
  await q.query(
    `INSERT INTO measurements_1d (series_id, day, time_zone, bucket, ${COLUMNS})
     SELECT series_id, day, tz, bucket, ${COLUMNS}
     FROM (${aggregateSql('1d', measurementPoints(`m.ts >= ${dayLo} AND m.ts < ${dayHi}`))}) AS a`,
    params,
  );
}

/**
 * Recomputes every aggregate of the given series from all their raw points: after a change of
 * a series' time_zone, or to repair aggregates written before this code existed.
 */
export async function rebuildAggregates(q: Queryable, seriesIds: string[]): Promise<void> {
  for (const id of new Set(seriesIds)) {
    for (const table of ['measurements_5m', 'measurements_1h', 'measurements_1d']) {
      await q.query(`DELETE FROM ${table} WHERE series_id = $1`, [id]);
    }
    const { rows } = await q.query<{ lo: Date | null; hi: Date | null }>(
      'SELECT min(ts) AS lo, max(ts) AS hi FROM measurements WHERE series_id = $1',
      [id],
    );
    const { lo, hi } = rows[0];
    if (lo && hi) await refreshAggregates(q, { seriesIds: [id], from: lo, to: hi });
  }
}
