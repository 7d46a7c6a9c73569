import type { Quality } from '../core/quality.ts';
import { refreshAggregates } from './aggregates.ts';
import type { Queryable } from './db.ts';

export interface MeasurementInput {
  seriesId: string;
  ts: Date;
  value: number;
  quality?: Quality;
  method?: string | null;
}

/** Qualities gridcast produces itself; a measured point ('ok', 'suspect') always takes precedence. */
export const MADE_QUALITIES: readonly Quality[] = ['imputed', 'estimated', 'derived'];
const MADE_SQL = MADE_QUALITIES.map((q) => `'${q}'`).join(', ');

/**
 * The merge rule shared by the live write and the CSV merge (`m` = stored row, `excluded` = new):
 *  - a measured row is never replaced (raw telemetry is kept as received, A2);
 *  - a gridcast-made row is replaced by a measured one, or by a newer gridcast-made one that differs;
 *  - an identical row is left untouched, so re-sending changes nothing (not even received_at).
 */
export const MEASUREMENT_MERGE_WHERE = `m.quality IN (${MADE_SQL})
  AND (m.value, m.quality, m.method) IS DISTINCT FROM (excluded.value, excluded.quality, excluded.method)`;

const isMade = (q: Quality | undefined) => q !== undefined && MADE_QUALITIES.includes(q);

/**
 * Points repeated in one call would make ON CONFLICT DO UPDATE fail ("cannot affect row a second
 * time"): keep one per key — a measured point over a gridcast-made one, else the last sent.
 */
function oneByKey(rows: MeasurementInput[]): MeasurementInput[] {
  const byKey = new Map<string, MeasurementInput>();
  for (const r of rows) {
    const key = `${r.seriesId}\u0000${r.ts.getTime()}`;
    const prev = byKey.get(key);
    if (!prev || !(isMade(r.quality) && !isMade(prev.quality))) byKey.set(key, r);
  }
  return [...byKey.values()];
}

/**
 * Idempotent upsert for live paths (MQTT, HTTP poll, simulator, imputation). A measured row
 * ('ok'/'suspect') is never overwritten by a gridcast-made one (imputed/estimated/derived); a
 * gridcast-made row IS replaced when the measured value arrives later. Re-sending the same point
 * changes nothing. Refreshes the aggregates of the touched range in the same transaction, so call
 * it inside db.transaction(). `written` counts rows inserted or replaced.
 */
export async function insertMeasurements(q: Queryable, rows: MeasurementInput[], batchId: number | null = null): Promise<{ written: number }> {
  if (rows.length === 0) return { written: 0 };
  const unique = oneByKey(rows);
  const { rows: out } = await q.query<{ ids: string[] | null; lo: Date | null; hi: Date | null; n: number }>(
    `WITH w AS (
       INSERT INTO measurements AS m (series_id, ts, value, quality, method, batch_id)
       SELECT sid, ts, v, q, meth, $6::bigint
       FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::text[], $5::text[]) AS u(sid, ts, v, q, meth)
       ON CONFLICT (series_id, ts) DO UPDATE
         SET value = excluded.value, quality = excluded.quality, method = excluded.method,
             batch_id = excluded.batch_id, received_at = excluded.received_at
         WHERE ${MEASUREMENT_MERGE_WHERE}
       RETURNING m.series_id, m.ts)
     SELECT array_agg(DISTINCT series_id) AS ids, min(ts) AS lo, max(ts) AS hi, count(*)::int AS n FROM w`,
    [
      unique.map((r) => r.seriesId),
      unique.map((r) => r.ts),
      unique.map((r) => r.value),
      unique.map((r) => r.quality ?? 'ok'),
      unique.map((r) => r.method ?? null),
      batchId,
    ],
  );
  const { ids, lo, hi, n } = out[0];
  if (n > 0 && ids && lo && hi) await refreshAggregates(q, { seriesIds: ids, from: lo, to: hi });
  return { written: n };
}

/** Columns of a staging relation of measurements (TEMP table filled by COPY, see ingest/csv). */
export const MEASUREMENT_STAGE_COLUMNS = ['series_id', 'ts', 'value', 'quality', 'line'] as const;
export const measurementStageDdl = (name: string) =>
  `CREATE TEMP TABLE ${name} (series_id text NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL, quality text NOT NULL, line bigint NOT NULL) ON COMMIT DROP`;

/**
 * Merges a staged batch into `measurements` with the live merge rule. Returns the rows written
 * (inserted or replaced). A key repeated within the staging table makes PostgreSQL raise 21000
 * ("cannot affect row a second time"): callers run it under a savepoint and report duplicates.
 */
export async function mergeStagedMeasurements(q: Queryable, stage: string, batchId: number): Promise<number> {
  const r = await q.query(
    `INSERT INTO measurements AS m (series_id, ts, value, quality, batch_id)
     SELECT series_id, ts, value, quality, $1::bigint FROM ${stage}
     ON CONFLICT (series_id, ts) DO UPDATE
       SET value = excluded.value, quality = excluded.quality, method = excluded.method,
           batch_id = excluded.batch_id, received_at = excluded.received_at
       WHERE ${MEASUREMENT_MERGE_WHERE}`,
    [batchId],
  );
  return r.rowCount;
}

/** Keys present more than once in a staging relation, with their lines, first ones first. */
export async function stagedDuplicates(q: Queryable, stage: string, key: string[], limit: number): Promise<Array<{ key: string; lines: number[] }>> {
  const { rows } = await q.query<{ key: string; lines: number[] }>(
    `SELECT concat_ws(' ', ${key.map((k) => `${k}::text`).join(', ')}) AS key, array_agg(line ORDER BY line) AS lines
     FROM ${stage} GROUP BY ${key.join(', ')} HAVING count(*) > 1 ORDER BY min(line) LIMIT ${Number(limit)}`,
  );
  return rows.map((r) => ({ key: r.key, lines: r.lines.map(Number) }));
}

export interface RecentLevel {
  seriesId: string;
  n: number;
  mean: number;
  sd: number;
}

/**
 * Level of each series' measured points in the `days` before a given time: the reference a new
 * batch is compared with to catch sudden jumps (unit or scaling errors, a swapped id).
 */
export async function recentLevels(q: Queryable, before: Array<{ seriesId: string; ts: Date }>, days: number): Promise<RecentLevel[]> {
  if (before.length === 0) return [];
  const { rows } = await q.query<RecentLevel>(
    `SELECT b.sid AS "seriesId", count(*)::int AS n, avg(m.value) AS mean, coalesce(stddev_pop(m.value), 0) AS sd
     FROM unnest($1::text[], $2::timestamptz[]) AS b(sid, t0)
     JOIN measurements m ON m.series_id = b.sid AND m.ts < b.t0 AND m.ts >= b.t0 - make_interval(days => $3::int)
       AND m.quality IN ('ok', 'suspect')
     GROUP BY b.sid`,
    [before.map((b) => b.seriesId), before.map((b) => b.ts), days],
  );
  return rows;
}

/** Holds a staged batch back in ingest_quarantine instead of measurements. */
export async function quarantineStaged(q: Queryable, stage: string, batchId: number): Promise<number> {
  const r = await q.query(
    `INSERT INTO ingest_quarantine (batch_id, line, series_id, ts, value, quality)
     SELECT $1::bigint, line, series_id, ts, value, quality FROM ${stage}`,
    [batchId],
  );
  return r.rowCount;
}

/**
 * Moves a quarantined batch into measurements (same merge rule as any write) and refreshes the
 * aggregates; returns the rows written and the range touched.
 */
export async function releaseQuarantined(q: Queryable, batchId: number): Promise<{ rows: number; written: number }> {
  const { rows } = await q.query<{ ids: string[] | null; lo: Date | null; hi: Date | null; n: number }>(
    `SELECT array_agg(DISTINCT series_id) AS ids, min(ts) AS lo, max(ts) AS hi, count(*)::int AS n FROM ingest_quarantine WHERE batch_id = $1`,
    [batchId],
  );
  const { ids, lo, hi, n } = rows[0];
  const written = await mergeStagedMeasurements(q, `(SELECT * FROM ingest_quarantine WHERE batch_id = ${Number(batchId)}) AS qb`, batchId);
  await q.query('DELETE FROM ingest_quarantine WHERE batch_id = $1', [batchId]);
  if (ids && lo && hi) await refreshAggregates(q, { seriesIds: ids, from: lo, to: hi });
  return { rows: n, written };
}

export interface SeriesUnit {
  id: string;
  kind: string;
  unit: string;
  attrs: Record<string, unknown>;
}

/** What ingestion validates ids, units and ranges against (topology owns the rows). */
export async function loadSeriesUnits(q: Queryable): Promise<Map<string, SeriesUnit>> {
  const { rows } = await q.query<SeriesUnit>('SELECT id, kind, unit, attrs FROM series');
  return new Map(rows.map((r) => [r.id, r]));
}
