import type { Queryable } from './db.ts';
import type { DayType, GapFill, ImputationLogEntry, ImputationMeta, ProfileCell } from '../core/imputation.ts';

/** Reads and the audit write imputation needs; everything else goes through the store's write path. */

export async function seriesImputationMeta(q: Queryable, seriesId: string): Promise<ImputationMeta | null> {
  const r = await q.query<{ time_zone: string; attrs: Record<string, unknown> }>(`SELECT time_zone, attrs FROM series WHERE id = $1`, [seriesId]);
  if (r.rows.length === 0) return null;
  const a = r.rows[0].attrs ?? {};
  const step = Number(a.stepSec);
  const redundancy =
    typeof a.redundantWith === 'string'
      ? { otherId: a.redundantWith, lossFactor: Number(a.lossFactor ?? 0), end: (a.measuredAt !== undefined && a.measuredAt === a.to ? 'to' : 'from') as 'from' | 'to' }
      : null;
  return { timeZone: r.rows[0].time_zone, stepSec: Number.isFinite(step) && step > 0 ? step : null, redundancy };
}

/** Measured points (anything not gridcast-made) and the timestamps already imputed, in [from, to). */
export async function loadWindow(q: Queryable, seriesId: string, from: Date, to: Date) {
  const r = await q.query<{ ts: Date; value: number; quality: string }>(
    `SELECT ts, value, quality FROM measurements WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts`,
    [seriesId, from, to],
  );
  const measured: { ts: number; value: number }[] = [];
  const imputed = new Set<number>();
  for (const row of r.rows) {
    if (row.quality === 'imputed') imputed.add(row.ts.getTime());
    else if (row.quality === 'ok' || row.quality === 'suspect') measured.push({ ts: row.ts.getTime(), value: row.value });
  }
  return { measured, imputed };
}

/** The last measured point in [notBefore, before): the LOCF anchor of a gap starting at the window's edge. */
export async function loadAnchor(q: Queryable, seriesId: string, before: Date, notBefore: Date): Promise<{ ts: number; value: number } | null> {
  const r = await q.query<{ ts: Date; value: number }>(
    `SELECT ts, value FROM measurements WHERE series_id = $1 AND ts < $2 AND ts >= $3 AND quality IN ('ok', 'suspect')
      ORDER BY ts DESC LIMIT 1`,
    [seriesId, before, notBefore],
  );
  return r.rows.length ? { ts: r.rows[0].ts.getTime(), value: r.rows[0].value } : null;
}

/** Series with a measured point in [from, to), found through the (series_id, ts) key. */
export async function seriesMeasuredIn(q: Queryable, from: Date, to: Date): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    `SELECT s.id FROM series s WHERE EXISTS (
       SELECT 1 FROM measurements m WHERE m.series_id = s.id AND m.ts >= $1 AND m.ts < $2 AND m.quality IN ('ok', 'suspect'))
     ORDER BY s.id`,
    [from, to],
  );
  return r.rows.map((x) => x.id);
}

/** Mean of the 'ok' points per local day type and time-of-day slot over [from, to). */
export async function loadProfileCells(q: Queryable, seriesId: string, from: Date, to: Date, slotSec: number, timeZone: string): Promise<ProfileCell[]> {
  const r = await q.query<{ day_type: DayType; slot: number; mean: number; n: number }>(
    `SELECT CASE extract(isodow FROM local) WHEN 6 THEN 'sat' WHEN 7 THEN 'sun' ELSE 'wd' END AS day_type,
            floor(extract(epoch FROM local::time) / $5)::int AS slot,
            avg(value) AS mean, count(*)::int AS n
       FROM (SELECT ts AT TIME ZONE $4 AS local, value FROM measurements
              WHERE series_id = $1 AND ts >= $2 AND ts < $3 AND quality = 'ok') m
      GROUP BY 1, 2`,
    [seriesId, from, to, timeZone, slotSec],
  );
  return r.rows.map((row) => ({ dayType: row.day_type, slot: row.slot, mean: row.mean, n: row.n }));
}

export async function insertGapFills(q: Queryable, fills: GapFill[], batchId: number | null, actor: string): Promise<void> {
  if (fills.length === 0) return;
  await q.query(
    `INSERT INTO imputation_log (batch_id, series_id, gap_start, gap_end, method, points, inputs, actor)
     SELECT $1, f->>'seriesId', (f->>'gapStart')::timestamptz, (f->>'gapEnd')::timestamptz, f->>'method', (f->>'points')::int, f->'inputs', $2
       FROM jsonb_array_elements($3::jsonb) AS f`,
    [batchId, actor, JSON.stringify(fills)],
  );
}

export async function listGapFills(q: Queryable, seriesId: string, from: Date, to: Date): Promise<ImputationLogEntry[]> {
  const r = await q.query<{
    id: number; batch_id: number | null; series_id: string; gap_start: Date; gap_end: Date; method: GapFill['method'];
    points: number; inputs: Record<string, unknown>; actor: string; created_at: Date;
  }>(
    `SELECT id, batch_id, series_id, gap_start, gap_end, method, points, inputs, actor, created_at
       FROM imputation_log WHERE series_id = $1 AND gap_end > $2 AND gap_start < $3 ORDER BY gap_start, id`,
    [seriesId, from, to],
  );
  return r.rows.map((x) => ({
    id: x.id, batchId: x.batch_id, seriesId: x.series_id, gapStart: x.gap_start, gapEnd: x.gap_end, method: x.method,
    points: x.points, inputs: x.inputs, actor: x.actor, createdAt: x.created_at,
  }));
}
