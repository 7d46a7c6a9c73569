import type { MergeOutcome, RecentLevel, RevisionNote } from '../core/ingest-store.ts';
import type { MeasurementInput, SeriesUnit } from '../core/series.ts';
import { GridcastError } from '../core/errors.ts';
import type { OnConflict } from '../core/revision.ts';
import type { Quality } from '../core/quality.ts';
import { refreshAggregates } from './aggregates.ts';
import type { Queryable } from './db.ts';

/** Qualities gridcast produces itself; a measured point ('ok', 'suspect') always takes precedence. */
export const MADE_QUALITIES: readonly Quality[] = ['imputed', 'estimated', 'derived'];
const MADE_SQL = MADE_QUALITIES.map((q) => `'${q}'`).join(', ');


/**
 * The merge rule shared by every write path (`m` = stored row, `x` = incoming row). The incoming
 * row replaces the stored one when they differ, except that a gridcast-made row never replaces a
 * measured one; the replaced row is kept in measurement_revisions (A2). An identical row changes
 * nothing, so re-sending is a no-op (not even received_at moves). A point validation marked
 * `suspect` (ingest/validate) that comes again as `ok` with the same value is identical too: the
 * mark stays, rather than each re-send flipping it back and forth through revisions.
 */
const replaces = (m: string, x: string) => `((${m}.value, ${m}.method) IS DISTINCT FROM (${x}.value, ${x}.method)
    OR (${m}.quality <> ${x}.quality AND NOT (${m}.quality = 'suspect' AND ${x}.quality = 'ok')))
  AND NOT (${m}.quality NOT IN (${MADE_SQL}) AND ${x}.quality IN (${MADE_SQL}))`;
/** The replacement is a revision of a measured value (as opposed to a gridcast-made one being replaced). */
const revisesMeasured = (m: string) => `${m}.quality NOT IN (${MADE_SQL})`;

/** How many notes on revised rows a report carries (the first ones, in input order). */
export const REVISION_NOTES = 10;

/**
 * Merges `incoming` — a relation with columns (series_id, ts, value, quality, method, ord), one
 * row per key — into measurements under the rule above, moving every replaced row into
 * measurement_revisions first. With onConflict 'reject', a measured value that would be revised
 * throws VALUE_CONFLICT (naming the first ones with `describe(ord)`) before anything is written.
 * Run it inside the batch's transaction.
 */
async function mergeMeasurements(
  q: Queryable,
  incoming: { sql: string; params: unknown[] },
  batchId: number | null,
  onConflict: OnConflict,
  describe: (ord: number) => string,
): Promise<MergeOutcome> {
  const { params } = incoming;
  const withBatch = [...params, batchId];
  const batchParam = `$${withBatch.length}::bigint`;
  // The span of the incoming rows, spelled out so the stored rows are read through the key's
  // range: without statistics (PGlite never analyses) a join of a few thousand rows was planned as
  // a scan of the whole table, 0.5 s per batch on 1 M points.
  const span = `m.series_id = ANY(ARRAY(SELECT DISTINCT series_id FROM ${incoming.sql} AS b))
    AND m.ts >= (SELECT min(ts) FROM ${incoming.sql} AS b) AND m.ts <= (SELECT max(ts) FROM ${incoming.sql} AS b)`;
  const clash = `FROM ${incoming.sql} AS x JOIN measurements m ON m.series_id = x.series_id AND m.ts = x.ts AND ${span} WHERE ${replaces('m', 'x')}`;
  const { rows: notes } = await q.query<RevisionNote & { total: number }>(
    `SELECT x.series_id AS "seriesId", x.ts, m.value AS "oldValue", x.value AS "newValue", m.quality AS "oldQuality",
        x.quality AS "newQuality", x.ord::int8 AS ord, count(*) OVER ()::int8 AS total
     ${clash} AND ${revisesMeasured('m')}
     ORDER BY x.ord LIMIT ${REVISION_NOTES}`,
    params,
  );
  const revised = notes[0]?.total ?? 0;
  const revisions = notes.map(({ total: _, ...n }) => n);
  if (revised > 0 && onConflict === 'reject') throw valueConflict(revised, revisions, describe);
  await q.query(
    `INSERT INTO measurement_revisions (series_id, ts, value, quality, method, batch_id, received_at, superseded_at, superseded_by)
     SELECT m.series_id, m.ts, m.value, m.quality, m.method, m.batch_id, m.received_at, now(), ${batchParam} ${clash}`,
    withBatch,
  );
  const r = await q.query(
    `INSERT INTO measurements AS m (series_id, ts, value, quality, method, batch_id)
     SELECT series_id, ts, value, quality, method, ${batchParam} FROM ${incoming.sql} AS x
     ON CONFLICT (series_id, ts) DO UPDATE
       SET value = excluded.value, quality = excluded.quality, method = excluded.method,
           batch_id = excluded.batch_id, received_at = excluded.received_at
       WHERE ${replaces('m', 'excluded')}`,
    withBatch,
  );
  return { written: r.rowCount, revised, revisions };
}

/** The error of a strict batch that would revise stored values; `describe` names where each row came from. */
export function valueConflict(revised: number, revisions: RevisionNote[], describe: (ord: number) => string): GridcastError {
  const first = revisions.map(
    (n) => `${describe(n.ord)}: ${n.seriesId} ${n.ts.toISOString()} is stored as ${n.oldValue} (${n.oldQuality}), received ${n.newValue} (${n.newQuality})`,
  );
  const more = revised > first.length ? `\n... and ${revised - first.length} more` : '';
  return new GridcastError(
    'VALUE_CONFLICT',
    `${revised} row(s) would change a stored value and the conflict rule is reject (--on-conflict reject, ?onConflict=reject), so nothing was written; send them with the rule revise to keep both versions:\n${first.join('\n')}${more}`,
    { revised, revisions },
  );
}

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
 * The live write path (MQTT, HTTP poll, simulator, imputation, derived series) under the merge
 * rule. Refreshes the aggregates of the touched range in the same transaction, so call it inside
 * db.transaction(). `written` counts rows inserted or replaced; revision notes give the position
 * of the point in `rows`.
 */
export async function insertMeasurements(
  q: Queryable,
  rows: MeasurementInput[],
  batchId: number | null = null,
  onConflict: OnConflict = 'revise',
): Promise<MergeOutcome> {
  if (rows.length === 0) return { written: 0, revised: 0, revisions: [] };
  const unique = oneByKey(rows);
  const position = new Map(rows.map((r, i) => [r, i]));
  const incoming = `(SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::text[], $5::text[], $6::int8[])
    AS u(series_id, ts, value, quality, method, ord))`;
  const params = [
    unique.map((r) => r.seriesId),
    unique.map((r) => r.ts),
    unique.map((r) => r.value),
    unique.map((r) => r.quality ?? 'ok'),
    unique.map((r) => r.method ?? null),
    unique.map((r) => position.get(r)!),
  ];
  const out = await mergeMeasurements(q, { sql: incoming, params }, batchId, onConflict, (i) => `point ${i}`);
  if (out.written > 0) {
    let [lo, hi] = [Infinity, -Infinity];
    for (const r of unique) [lo, hi] = [Math.min(lo, r.ts.getTime()), Math.max(hi, r.ts.getTime())];
    await refreshAggregates(q, { seriesIds: [...new Set(unique.map((r) => r.seriesId))].sort(), from: new Date(lo), to: new Date(hi) });
  }
  return out;
}

/** Columns of a staging relation of measurements (TEMP table filled by COPY, see ingest/csv). */
/**
 * The fast path of a batch of measurements: COPY straight into measurements (with the batch id)
 * under a savepoint, abandoned when a key is already stored or the batch must be staged after all.
 */
export const MEASUREMENT_DIRECT_COPY = { table: 'measurements', columns: ['series_id', 'ts', 'value', 'quality', 'batch_id'] } as const;
export async function beginDirectCopy(tx: Queryable): Promise<void> {
  await tx.query('SAVEPOINT ingest_direct');
}
export async function abandonDirectCopy(tx: Queryable): Promise<void> {
  await tx.query('ROLLBACK TO SAVEPOINT ingest_direct');
}

export const MEASUREMENT_STAGE_COLUMNS = ['series_id', 'ts', 'value', 'quality', 'line'] as const;
export const measurementStageDdl = (name: string) =>
  `CREATE TEMP TABLE ${name} (series_id text NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL, quality text NOT NULL, line bigint NOT NULL) ON COMMIT DROP`;

/**
 * Merges a staged batch (one row per key: check stagedDuplicates first) into `measurements`
 * under the merge rule; revision notes carry the file line. `file` names the lines of a
 * VALUE_CONFLICT.
 */
export async function mergeStagedMeasurements(q: Queryable, stage: string, batchId: number, onConflict: OnConflict = 'revise', file = 'batch'): Promise<MergeOutcome> {
  const incoming = `(SELECT series_id, ts, value, quality, NULL::text AS method, line AS ord FROM ${stage})`;
  return mergeMeasurements(q, { sql: incoming, params: [] }, batchId, onConflict, (line) => `${file}:${line}`);
}

/**
 * The measurements known at `asOf` (a SQL parameter such as '$4'): each key's current row if it
 * was received by then, else the revision that was the latest then. Columns (series_id, ts,
 * value, quality, method); filter it on series_id and ts like the table itself.
 */
export const measurementsKnownAt = (asOf: string) => `(SELECT series_id, ts, value, quality, method FROM measurements WHERE received_at <= ${asOf}
  UNION ALL
  SELECT series_id, ts, value, quality, method FROM measurement_revisions WHERE received_at <= ${asOf} AND superseded_at > ${asOf})`;

/** Keys present more than once in a staging relation, with their lines, first ones first. */
export async function stagedDuplicates(q: Queryable, stage: string, key: string[], limit: number): Promise<Array<{ key: string; lines: number[] }>> {
  const { rows } = await q.query<{ key: string; lines: number[] }>(
    `SELECT concat_ws(' ', ${key.map((k) => `${k}::text`).join(', ')}) AS key, array_agg(line ORDER BY line) AS lines
     FROM ${stage} GROUP BY ${key.join(', ')} HAVING count(*) > 1 ORDER BY min(line) LIMIT ${Number(limit)}`,
  );
  return rows.map((r) => ({ key: r.key, lines: r.lines.map(Number) }));
}

/**
 * Level of each series' measured points in the `days` before a given time: the reference a new
 * batch is compared with to catch sudden jumps (unit or scaling errors, a swapped id).
 */
export async function recentLevels(q: Queryable, before: Array<{ seriesId: string; ts: Date }>, days: number): Promise<RecentLevel[]> {
  if (before.length === 0) return [];
  const { rows } = await q.query<RecentLevel>(
    // Each series' window read through the key: a join planned without statistics (a table just
    // loaded) scanned every point, seconds per million before a bulk import could commit.
    `SELECT b.sid AS "seriesId", r.n, r.mean, r.sd
     FROM unnest($1::text[], $2::timestamptz[]) AS b(sid, t0)
     CROSS JOIN LATERAL (SELECT count(*)::int AS n, avg(m.value) AS mean, coalesce(stddev_pop(m.value), 0) AS sd
       FROM measurements m WHERE m.series_id = b.sid AND m.ts < b.t0 AND m.ts >= b.t0 - make_interval(days => $3::int)
         AND m.quality IN ('ok', 'suspect')) AS r
     WHERE r.n > 0`,
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
export async function releaseQuarantined(q: Queryable, batchId: number): Promise<{ rows: number } & MergeOutcome> {
  const { rows } = await q.query<{ ids: string[] | null; lo: Date | null; hi: Date | null; n: number }>(
    `SELECT array_agg(DISTINCT series_id) AS ids, min(ts) AS lo, max(ts) AS hi, count(*)::int AS n FROM ingest_quarantine WHERE batch_id = $1`,
    [batchId],
  );
  const { ids, lo, hi, n } = rows[0];
  const merged = await mergeStagedMeasurements(q, `(SELECT * FROM ingest_quarantine WHERE batch_id = ${Number(batchId)}) AS qb`, batchId);
  await q.query('DELETE FROM ingest_quarantine WHERE batch_id = $1', [batchId]);
  if (ids && lo && hi) await refreshAggregates(q, { seriesIds: ids, from: lo, to: hi });
  return { rows: n, ...merged };
}

// ingest/csv/rows.ts, reworked by the API write routes of issue 9, still imports SeriesUnit from here.

/** What ingestion validates ids, units and ranges against (topology owns the rows). */
export async function loadSeriesUnits(q: Queryable): Promise<Map<string, SeriesUnit>> {
  const { rows } = await q.query<SeriesUnit>('SELECT id, kind, unit, attrs FROM series');
  return new Map(rows.map((r) => [r.id, r]));
}
