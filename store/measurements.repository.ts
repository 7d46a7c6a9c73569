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
