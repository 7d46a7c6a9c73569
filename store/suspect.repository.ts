import type { PointColumns, SuspectMark } from '../core/ingest-store.ts';
import type { Queryable } from './db.ts';

/**
 * Reads and writes of the point checks (ingest/validate/suspect.ts): the measured points around
 * and inside a span, and marking points suspect with their audit row (suspect_log). Measured =
 * quality 'ok' or 'suspect'; gridcast-made points (imputed, estimated, derived) are not data to judge.
 */

const MEASURED = `quality IN ('ok', 'suspect')`;

/**
 * Runs f with PostgreSQL's JIT off in the caller's transaction, then restores the setting: these
 * are index probes of a few milliseconds whose cost estimate (a thousand series right after a
 * bulk COPY, before any ANALYZE) passes the JIT thresholds, and compiling took 300 ms.
 */
async function withoutJit<T>(q: Queryable, f: () => Promise<T>): Promise<T> {
  const before = (await q.query<{ jit: string }>(`SELECT current_setting('jit') AS jit`)).rows[0].jit;
  await q.query(`SET LOCAL jit = off`);
  try {
    return await f();
  } finally {
    await q.query(`SELECT set_config('jit', $1, true)`, [before]);
  }
}

const columns = (rows: Array<{ ts: Date; value: number }>): PointColumns => ({
  t: Float64Array.from(rows, (r) => r.ts.getTime()),
  v: Float64Array.from(rows, (r) => r.value),
});

/**
 * For each span of a series: up to `before` measured points just before `from` (oldest first) and
 * up to `after` just after `to`, through the (series_id, ts) key.
 */
export async function measuredAround(
  q: Queryable,
  spans: Array<{ seriesId: string; from: Date; to: Date; before: number; after: number }>,
): Promise<Map<string, { before: PointColumns; after: PointColumns }>> {
  const out = new Map<string, { before: PointColumns; after: PointColumns }>();
  if (spans.length === 0) return out;
  const { rows } = await withoutJit(q, () =>
    q.query<{ sid: string; ts: Date; value: number; side: number }>(
      `SELECT s.sid, p.ts, p.value, p.side
       FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::int[], $5::int[]) AS s(sid, lo, hi, nb, na)
       CROSS JOIN LATERAL (
         (SELECT m.ts, m.value, -1 AS side FROM measurements m
           WHERE m.series_id = s.sid AND m.ts < s.lo AND m.${MEASURED} ORDER BY m.ts DESC LIMIT s.nb)
         UNION ALL
         (SELECT m.ts, m.value, 1 AS side FROM measurements m
           WHERE m.series_id = s.sid AND m.ts > s.hi AND m.${MEASURED} ORDER BY m.ts LIMIT s.na)
       ) AS p
       ORDER BY s.sid, p.ts`,
      [spans.map((s) => s.seriesId), spans.map((s) => s.from), spans.map((s) => s.to), spans.map((s) => s.before), spans.map((s) => s.after)],
    ),
  );
  const bySeries = new Map<string, typeof rows>();
  for (const r of rows) {
    let list = bySeries.get(r.sid);
    if (!list) bySeries.set(r.sid, (list = []));
    list.push(r);
  }
  for (const s of spans) {
    const list = bySeries.get(s.seriesId) ?? [];
    out.set(s.seriesId, { before: columns(list.filter((r) => r.side < 0)), after: columns(list.filter((r) => r.side > 0)) });
  }
  return out;
}

/**
 * The measured points of a series in [from, to], in time order, `limit` at a time: a span of any
 * length is read in pages, keyed on the exact stored time (microseconds included).
 */
export async function* measuredPages(q: Queryable, seriesId: string, from: Date, to: Date, limit: number): AsyncGenerator<PointColumns> {
  let after: string | null = null;
  for (;;) {
    const { rows }: { rows: Array<{ ts: Date; exact: string; value: number }> } = await withoutJit(q, () =>
      q.query(
        `SELECT ts, ts::text AS exact, value FROM measurements
         WHERE series_id = $1 AND ts >= $2 AND ts <= $3 AND ($4::timestamptz IS NULL OR ts > $4::timestamptz) AND ${MEASURED}
         ORDER BY ts LIMIT $5`,
        [seriesId, from, to, after, limit],
      ),
    );
    if (rows.length > 0) yield columns(rows);
    if (rows.length < limit) return;
    after = rows[rows.length - 1].exact;
  }
}

/**
 * Marks measured points suspect — only a stored 'ok' point with exactly the value judged — and
 * writes one suspect_log row for each point changed. Returns the marks applied (the others found
 * their point already suspect, or replaced), in series and time order.
 */
export async function markSuspect(q: Queryable, marks: SuspectMark[], by: { batchId: number | null; actor: string }): Promise<SuspectMark[]> {
  if (marks.length === 0) return [];
  const { rows } = await withoutJit(q, () =>
    q.query<{ i: number }>(
      `WITH f AS (
         SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::text[], $5::text[]) WITH ORDINALITY AS f(sid, ms, v, reason, detail, i)),
       u AS (
         UPDATE measurements m SET quality = 'suspect' FROM f
          WHERE m.series_id = f.sid AND m.ts >= to_timestamp(f.ms / 1000) AND m.ts < to_timestamp((f.ms + 1) / 1000)
            AND m.value = f.v AND m.quality = 'ok'
         RETURNING m.series_id, m.ts, m.value, f.reason, f.detail, f.i),
       logged AS (
         INSERT INTO suspect_log (batch_id, series_id, ts, value, reason, detail, actor)
         SELECT $6::bigint, series_id, ts, value, reason, detail::jsonb, $7 FROM u)
       SELECT i::int FROM u`,
      [
        marks.map((m) => m.seriesId),
        marks.map((m) => m.ts),
        marks.map((m) => m.value),
        marks.map((m) => m.reason),
        marks.map((m) => JSON.stringify(m.detail)),
        by.batchId,
        by.actor,
      ],
    ),
  );
  return rows
    .map((r) => marks[r.i - 1])
    .sort((a, b) => (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : a.ts - b.ts));
}

/** The span of each series of a quarantined batch (read before its release empties the quarantine). */
export async function quarantinedSpans(q: Queryable, batchId: number): Promise<Array<{ seriesId: string; from: Date; to: Date }>> {
  const { rows } = await q.query<{ seriesId: string; from: Date; to: Date }>(
    `SELECT series_id AS "seriesId", min(ts) AS "from", max(ts) AS "to" FROM ingest_quarantine WHERE batch_id = $1 GROUP BY series_id ORDER BY series_id`,
    [batchId],
  );
  return rows;
}
