import { GRAIN_SECONDS, type AggregateGrain } from '../core/grain.ts';
import { Quality, qualitySeverity } from '../core/quality.ts';
import type { Db, Queryable } from './db.ts';
import { ADVISORY_LOCK } from './locks.ts';

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
 * provisional tells whether any point has status 'provisional' (both for metering). `extra` adds
 * one more aggregate of the points.
 */
export function aggregateSql(grain: AggregateGrain, points: string, extra?: { name: string; expr: string }): string {
  return `SELECT series_id, tz, ${grain === '1d' ? 'k' : 'NULL::date'} AS day, ${bucketStart(grain)} AS bucket,
      ${bucketSpan(grain)} AS span_sec, n, sum / n AS avg, sum, min, max, p95, quality, methods, covered_sec, provisional${extra ? `, ${extra.name}` : ''}
    FROM (SELECT series_id, tz, ${bucketKey(grain)} AS k, count(*)::int AS n, sum(value ORDER BY ts) AS sum,${extra ? ` ${extra.expr} AS ${extra.name},` : ''}
            min(value) AS min, max(value) AS max,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95,
            ${worstQualitySql} AS quality,
            string_agg(DISTINCT method, ',' ORDER BY method) FILTER (WHERE method IS NOT NULL) AS methods,
            sum(interval_sec)::int AS covered_sec,
            coalesce(bool_or(status = 'provisional'), false) AS provisional
          FROM (${points}) AS p
          GROUP BY series_id, tz, k) AS g`;
}

/** The series in $1 (text[]) with their zone. */
const ZONES = `(SELECT sid, coalesce(s.time_zone, 'UTC') AS tz FROM unnest($1::text[]) AS sid LEFT JOIN series s ON s.id = sid)`;

/** SQL: the measurements of the series in $1 with their zone, as aggregateSql points. */
const measurementPoints = (extraWhere: string) => `SELECT m.series_id, m.ts, m.value, m.quality, m.method,
    t.tz, NULL::int AS interval_sec, NULL::text AS status
  FROM measurements m JOIN ${ZONES} AS t ON t.sid = m.series_id
  WHERE ${extraWhere}`;

const COLUMNS = 'n, avg, sum, min, max, p95, quality, methods';

/** Sorts of a bulk recompute (a million points) stay in memory instead of spilling to disk. */
const BULK_WORK_MEM = `SET LOCAL work_mem = '256MB'`;

const lockSeries = (q: Queryable, sortedIds: string[]) =>
  q.query(`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.aggregates}, hashtext(sid)) FROM unnest($1::text[]) AS sid`, [sortedIds]);

type UtcGrain = Exclude<AggregateGrain, '1d'>;
const utcLo = (g: UtcGrain) => `date_bin(${binInterval[g]}, $2::timestamptz, ${EPOCH})`;
const utcHi = (g: UtcGrain) => `(date_bin(${binInterval[g]}, $3::timestamptz, ${EPOCH}) + ${binInterval[g]})`;
// Local days of each series' zone t.tz: [midnight of the day of $2, midnight after the day of $3).
const dayLo = `((($2::timestamptz AT TIME ZONE t.tz)::date)::timestamp AT TIME ZONE t.tz)`;
const dayHi = `(((($3::timestamptz AT TIME ZONE t.tz)::date + 1))::timestamp AT TIME ZONE t.tz)`;

/** A range of aligned buckets [b, e) of one series to recompute. */
interface Range {
  sid: string;
  b: Date;
  e: Date;
}

/** SQL: the ranges passed as three arrays from parameter $`at` on, as relation mk(sid, b, e). */
const rangesSql = (at: number) => `unnest($${at}::text[], $${at + 1}::timestamptz[], $${at + 2}::timestamptz[]) AS mk(sid, b, e)`;
const rangeParams = (ranges: Range[]) => [ranges.map((r) => r.sid), ranges.map((r) => r.b), ranges.map((r) => r.e)];

/** The UTC-aligned buckets of `grain` holding [from, to], as a range (date_bin from 2000-01-01Z, a whole number of hours after 1970). */
const utcRange = (grain: UtcGrain, sid: string, from: Date, to: Date): Range => {
  const ms = GRAIN_SECONDS[grain] * 1000;
  return { sid, b: new Date(Math.floor(from.getTime() / ms) * ms), e: new Date(Math.floor(to.getTime() / ms) * ms + ms) };
};

/**
 * The series, of those with a range in `ranges` and not storing `grain` yet, that have two points
 * in one bucket of a range. Two points share a bucket iff two consecutive ones (in time order) do,
 * so each range is read in key order and the read stops at the first such pair: for hourly
 * buckets of 5-min data, after two points.
 */
async function pairedSeries(q: Queryable, grain: UtcGrain, ranges: Range[]): Promise<string[]> {
  if (ranges.length === 0) return [];
  const bin = (ts: string) => `date_bin(${binInterval[grain]}, ${ts}, ${EPOCH})`;
  // Without statistics (a table just loaded; PGlite never analyses) the planner reads a range
  // through a bitmap and sorts it, which reads all of it before the first pair: read it in key order.
  await q.query('SET LOCAL enable_bitmapscan = off');
  const { rows } = await q.query<{ sid: string }>(
    `SELECT DISTINCT mk.sid FROM ${rangesSql(1)}
     WHERE NOT EXISTS (SELECT 1 FROM aggregate_grains g WHERE g.series_id = mk.sid AND g.grain = '${grain}')
       AND EXISTS (SELECT 1 FROM (SELECT m.ts, lag(m.ts) OVER (ORDER BY m.ts) AS prev FROM measurements m
                                  WHERE m.series_id = mk.sid AND m.ts >= mk.b AND m.ts < mk.e) AS p
                   WHERE ${bin('p.prev')} = ${bin('p.ts')})`,
    rangeParams(ranges),
  );
  await q.query('SET LOCAL enable_bitmapscan = on');
  return rows.map((r) => r.sid);
}

/**
 * Of disjoint `ranges` of `grain`, those to store (migration 051): the ranges of series already
 * storing the grain, and the whole history of the series in `paired` (two points in one bucket:
 * they start storing it now). The other series' buckets are read from their raw points.
 */
async function storedRanges(q: Queryable, grain: UtcGrain, ranges: Range[], paired: string[]): Promise<Range[]> {
  if (ranges.length === 0) return [];
  const bin = (ts: string) => `date_bin(${binInterval[grain]}, ${ts}, ${EPOCH})`;
  const { rows: promoted } = await q.query<{ series_id: string }>(
    `INSERT INTO aggregate_grains (series_id, grain) SELECT sid, '${grain}' FROM unnest($1::text[]) AS sid
     ON CONFLICT DO NOTHING RETURNING series_id`,
    [[...new Set(paired)].sort()],
  );
  const { rows: storing } = await q.query<{ series_id: string }>(
    `SELECT series_id FROM aggregate_grains WHERE grain = '${grain}' AND series_id = ANY($1::text[])`,
    [[...new Set(ranges.map((r) => r.sid))]],
  );
  const starting = new Set(promoted.map((r) => r.series_id));
  const stored = new Set(storing.map((r) => r.series_id));
  const out = ranges.filter((r) => stored.has(r.sid) && !starting.has(r.sid));
  if (starting.size > 0) {
    // min/max through the key, one probe each, rather than a scan of the series' points.
    const { rows } = await q.query<Range>(
      `SELECT sid, ${bin('lo')} AS b, ${bin('hi')} + ${binInterval[grain]} AS e
       FROM (SELECT sid, (SELECT min(ts) FROM measurements WHERE series_id = sid) AS lo,
               (SELECT max(ts) FROM measurements WHERE series_id = sid) AS hi
             FROM unnest($1::text[]) AS sid) AS x`,
      [[...starting].sort()],
    );
    out.push(...rows);
  }
  return out;
}

/**
 * Deletes and recomputes from their raw points the buckets of `grain` in the disjoint `ranges`,
 * all in one statement each: the ranges drive the read, so each reads only its points through
 * the (series_id, ts) key, or the whole table in one scan when that is cheaper. With
 * `pairsOf: '5m'` (hourly buckets), the same read also returns the series having two points in
 * one 5-min bucket of the ranges, which saves a read of every point for pairedSeries('5m').
 */
async function storeRanges(q: Queryable, grain: AggregateGrain, ranges: Range[], opts: { pairsOf?: '5m' } = {}): Promise<string[]> {
  if (ranges.length === 0) return [];
  const table = `measurements_${grain}`;
  // The zone joins the ranges (one row each), not the points, which then need no re-sort to meet it.
  const markedPoints = `SELECT m.series_id, m.ts, m.value, m.quality, m.method, mk.tz, NULL::int AS interval_sec, NULL::text AS status
    FROM (SELECT mk.*, coalesce(s.time_zone, 'UTC') AS tz FROM ${rangesSql(1)} LEFT JOIN series s ON s.id = mk.sid) AS mk
    JOIN measurements m ON m.series_id = mk.sid AND m.ts >= mk.b AND m.ts < mk.e`;
  await q.query(`DELETE FROM ${table} a USING ${rangesSql(1)} WHERE a.series_id = mk.sid AND a.bucket >= mk.b AND a.bucket < mk.e`, rangeParams(ranges));
  const insert = (from: string) => `INSERT INTO ${table} (series_id, ${grain === '1d' ? 'day, time_zone, ' : ''}bucket, ${COLUMNS})
     SELECT series_id, ${grain === '1d' ? 'day, tz, ' : ''}bucket, ${COLUMNS} FROM ${from}`;
  if (!opts.pairsOf) {
    await q.query(`${insert(`(${aggregateSql(grain, markedPoints)}) AS a`)}`, rangeParams(ranges));
    return [];
  }
  // A bucket holds two points of one 5-min slot iff it has fewer slots than points.
  const slots = { name: 'slots', expr: `count(DISTINCT date_bin(${binInterval[opts.pairsOf]}, ts, ${EPOCH}))::int` };
  const { rows } = await q.query<{ series_id: string }>(
    `WITH a AS (${aggregateSql(grain, markedPoints, slots)}), stored AS (${insert('a')})
     SELECT DISTINCT series_id FROM a WHERE slots < n`,
    rangeParams(ranges),
  );
  return rows.map((r) => r.series_id);
}

async function recomputeUtc(q: Queryable, grain: UtcGrain, params: [string[], Date, Date]): Promise<void> {
  const [ids, from, to] = params;
  const ranges = ids.map((sid) => utcRange(grain, sid, from, to));
  await storeRanges(q, grain, await storedRanges(q, grain, ranges, await pairedSeries(q, grain, ranges)));
}

/** Whether `grain` of the series is stored (else its buckets are computed from the raw points: migration 051). */
export async function grainStored(q: Queryable, seriesId: string, grain: AggregateGrain): Promise<boolean> {
  if (grain === '1d') return true;
  const { rows } = await q.query('SELECT 1 FROM aggregate_grains WHERE series_id = $1 AND grain = $2', [seriesId, grain]);
  return rows.length > 0;
}

async function recomputeDays(q: Queryable, params: unknown[]): Promise<void> {
  await q.query(
    `DELETE FROM measurements_1d d USING ${ZONES} AS t
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

// A re-mark never shrinks a mark: both ranges are aligned to the grain, so the union is one range.
const UPSERT_MARK = `ON CONFLICT (series_id, grain, bucket) DO UPDATE
  SET token = excluded.token, bucket_end = greatest(aggregates_dirty.bucket_end, excluded.bucket_end)`;

/** Marks the hourly or daily buckets touching [$2, $3] of the series in $1 for a later recompute. */
async function markDirty(q: Queryable, grain: '1h' | '1d', params: unknown[]): Promise<void> {
  const buckets =
    grain === '1h'
      ? `SELECT sid, b AS bucket, b + INTERVAL '1 hour' AS bucket_end
         FROM unnest($1::text[]) AS sid, generate_series(${utcLo('1h')}, ${utcHi('1h')} - INTERVAL '1 hour', INTERVAL '1 hour') AS b`
      : `SELECT t.sid, d AT TIME ZONE t.tz AS bucket, (d + INTERVAL '1 day') AT TIME ZONE t.tz AS bucket_end
         FROM ${ZONES} AS t,
           generate_series(($2::timestamptz AT TIME ZONE t.tz)::date::timestamp, ($3::timestamptz AT TIME ZONE t.tz)::date::timestamp, INTERVAL '1 day') AS d`;
  await q.query(
    `INSERT INTO aggregates_dirty (series_id, grain, bucket, bucket_end, token)
     SELECT sid, '${grain}', bucket, bucket_end, nextval('aggregates_dirty_token') FROM (${buckets}) AS x
     ${UPSERT_MARK}`,
    params,
  );
}

/**
 * Marks every 5-min, hourly and daily bucket touching [from, to] of the given series as dirty:
 * one range mark per series and grain, whatever the size of the batch. For a bulk import that
 * wants its rows committed first: queries compute marked buckets from the raw points (exact
 * numbers at once), and flushAggregates() (run right after the commit by `gridcast ingest csv`,
 * else by the aggregates-flush job) stores them. Call it in the transaction of the raw write.
 */
export async function markAggregates(q: Queryable, range: { seriesIds: string[]; from: Date; to: Date }): Promise<void> {
  const ids = [...new Set(range.seriesIds)].sort();
  if (ids.length === 0) return;
  await lockSeries(q, ids);
  await q.query(
    `INSERT INTO aggregates_dirty (series_id, grain, bucket, bucket_end, token)
     SELECT t.sid, g.grain, g.lo, g.hi, nextval('aggregates_dirty_token')
     FROM ${ZONES} AS t, LATERAL (VALUES ('5m', ${utcLo('5m')}, ${utcHi('5m')}), ('1h', ${utcLo('1h')}, ${utcHi('1h')}),
       ('1d', ${dayLo}, ${dayHi})) AS g(grain, lo, hi)
     ${UPSERT_MARK}`,
    [ids, range.from, range.to],
  );
}

/**
 * Brings the aggregates up to date for the given series over [from, to] (both inclusive: every
 * bucket holding a point of the batch). Called by ingestion (and imputation) inside the same
 * transaction as the raw write, so a committed batch always reads back consistent aggregates.
 * 5-min buckets are deleted and recomputed from their raw points. Hourly and daily buckets are
 * recomputed too when the batch spans at least one such bucket (cost proportional to the batch);
 * a shorter batch (a live flush) only marks them in aggregates_dirty: queries then compute them
 * from the raw points, and flushAggregates() stores them later. A bulk import that wants its
 * rows committed first calls markAggregates() instead.
 */
export async function refreshAggregates(q: Queryable, range: { seriesIds: string[]; from: Date; to: Date }): Promise<void> {
  const ids = [...new Set(range.seriesIds)].sort();
  if (ids.length === 0) return;
  // Serialises refreshes of one series: two concurrent batches would otherwise each recompute a
  // shared bucket without the other's uncommitted points (or collide on its key). Locks are
  // taken in the sorted array's order, the same in every caller, so refreshes do not deadlock.
  await lockSeries(q, ids);
  const params: [string[], Date, Date] = [ids, range.from, range.to];
  const span = range.to.getTime() - range.from.getTime();
  if (span >= GRAIN_SECONDS['1d'] * 1000) await q.query(BULK_WORK_MEM);
  await recomputeUtc(q, '5m', params);
  if (span >= GRAIN_SECONDS['1h'] * 1000) await recomputeUtc(q, '1h', params);
  else await markDirty(q, '1h', params);
  if (span >= GRAIN_SECONDS['1d'] * 1000) await recomputeDays(q, params);
  else await markDirty(q, '1d', params);
}

interface DirtyMark {
  series_id: string;
  grain: AggregateGrain;
  bucket: Date;
  bucket_end: Date;
  token: number;
}

/** The ranges of marks of one grain, overlapping ones merged, so each point is read once. */
function disjointRanges(marks: DirtyMark[]): Range[] {
  const sorted = [...marks].sort((x, y) => (x.series_id < y.series_id ? -1 : x.series_id > y.series_id ? 1 : x.bucket.getTime() - y.bucket.getTime()));
  const out: Range[] = [];
  for (const m of sorted) {
    const last = out.at(-1);
    if (last && last.sid === m.series_id && m.bucket <= last.e) {
      if (m.bucket_end > last.e) last.e = m.bucket_end;
    } else out.push({ sid: m.series_id, b: m.bucket, e: m.bucket_end });
  }
  return out;
}

/**
 * Recomputes and stores the buckets of up to `limit` dirty marks, oldest marks first, and clears
 * the marks it handled (a mark renewed meanwhile by a new batch stays). Returns how many it
 * handled; call it until it returns 0, e.g. from a job every minute or after a bulk import.
 */
export async function flushAggregates(db: Db, limit = 5000, part: { index: number; of: number } = { index: 0, of: 1 }): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<DirtyMark>(
      `SELECT series_id, grain, bucket, bucket_end, token FROM aggregates_dirty
       WHERE (hashtext(series_id) & 2147483647) % $2 = $3 ORDER BY token LIMIT $1`,
      [limit, part.of, part.index],
    );
    if (rows.length === 0) return 0;
    await tx.query(BULK_WORK_MEM);
    await lockSeries(tx, [...new Set(rows.map((r) => r.series_id))].sort());
    const [r5m, r1h, r1d] = (['5m', '1h', '1d'] as const).map((g) => disjointRanges(rows.filter((r) => r.grain === g)));
    // Marks of series that do not store a grain only need clearing.
    const paired5m = await storeRanges(tx, '1h', await storedRanges(tx, '1h', r1h, await pairedSeries(tx, '1h', r1h)), { pairsOf: '5m' });
    // A 5-min range inside this flush's hourly ranges is settled: either its series stores hours
    // and the hourly read found its 5-min pairs, or no hour of it holds two points. Others are read.
    const settled = (r: Range) => r1h.some((h) => h.sid === r.sid && h.b <= r.b && r.e <= h.e);
    const with5m = new Set(r5m.map((r) => r.sid));
    const paired = [...paired5m.filter((sid) => with5m.has(sid)), ...(await pairedSeries(tx, '5m', r5m.filter((r) => !settled(r))))];
    await storeRanges(tx, '5m', await storedRanges(tx, '5m', r5m, paired));
    await storeRanges(tx, '1d', r1d);
    await tx.query(
      `DELETE FROM aggregates_dirty d USING unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[]) AS mk(sid, g, b, token)
       WHERE d.series_id = mk.sid AND d.grain = mk.g AND d.bucket = mk.b AND d.token = mk.token`,
      [rows.map((r) => r.series_id), rows.map((r) => r.grain), rows.map((r) => r.bucket), rows.map((r) => r.token)],
    );
    return rows.length;
  });
}

/** How many transactions flushAllAggregates() runs at once on PostgreSQL: one per core of the reference machine. */
const FLUSH_PARTS = 2;

/**
 * Stores the buckets of every dirty mark (after a bulk import). On PostgreSQL the series are
 * split in FLUSH_PARTS disjoint parts flushed in concurrent transactions, so the recompute uses
 * every core (an INSERT ... SELECT gets no parallel workers); PGlite has one connection.
 * Returns how many marks were stored.
 */
export async function flushAllAggregates(db: Db): Promise<number> {
  const of = db.kind === 'pg' ? FLUSH_PARTS : 1;
  const parts = Array.from({ length: of }, async (_, index) => {
    let total = 0;
    for (let n; (n = await flushAggregates(db, 5000, { index, of })) > 0; ) total += n;
    return total;
  });
  return (await Promise.all(parts)).reduce((a, b) => a + b, 0);
}

/**
 * Recomputes every aggregate of the given series from all their raw points: after a change of
 * a series' time_zone, or to repair aggregates written before this code existed.
 */
export async function rebuildAggregates(q: Queryable, seriesIds: string[]): Promise<void> {
  for (const id of new Set(seriesIds)) {
    for (const table of ['measurements_5m', 'measurements_1h', 'measurements_1d', 'aggregate_grains']) {
      await q.query(`DELETE FROM ${table} WHERE series_id = $1`, [id]);
    }
    const { rows } = await q.query<{ lo: Date | null; hi: Date | null }>(
      'SELECT min(ts) AS lo, max(ts) AS hi FROM measurements WHERE series_id = $1',
      [id],
    );
    const { lo, hi } = rows[0];
    if (!lo || !hi) continue;
    // A full-range refresh recomputes every grain in place (a short history only gets marks).
    await refreshAggregates(q, { seriesIds: [id], from: lo, to: new Date(Math.max(hi.getTime(), lo.getTime() + 86_400_000)) });
  }
}

/** How many dirty marks wait for flushAggregates(). */
export async function pendingAggregateMarks(q: Queryable): Promise<number> {
  return (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM aggregates_dirty')).rows[0].n;
}
