import type { Knowledge } from '../core/knowledge.ts';
import { inForce, type ScheduleEntry } from '../core/schedule.ts';
import { claimBatch, findBatchByKey, finishBatch } from './batches.repository.ts';
import type { Db, Queryable } from './db.ts';

/** A schedule interval to store; receivedAt null: received now (the transaction time). */
export type NewScheduleEntry = Omit<ScheduleEntry, 'receivedAt'> & { receivedAt: Date | null };

/** A stored row with the same key (series, source, issued_at, interval_start) and other content. */
export interface ScheduleConflict {
  index: number;
  stored: Pick<ScheduleEntry, 'end' | 'value' | 'unit' | 'reason' | 'p10' | 'p90' | 'sd'>;
}

export type ScheduleWrite =
  | { status: 'committed'; batchId: number; written: number; unchanged: number }
  | { status: 'already-ingested'; batchId: number }
  | { status: 'conflict'; conflicts: ScheduleConflict[] };

interface Row {
  series_id: string;
  source: string;
  issued_at: Date;
  interval_start: Date;
  interval_end: Date;
  value: number;
  unit: string;
  reason: string | null;
  p10: number | null;
  p90: number | null;
  sd: number | null;
  received_at: Date;
}

const COLUMNS = `series_id, source, issued_at, interval_start, interval_end, value, unit, reason, p10, p90, sd, received_at`;
const fromRow = (r: Row): ScheduleEntry => ({
  seriesId: r.series_id,
  source: r.source,
  issuedAt: r.issued_at,
  start: r.interval_start,
  end: r.interval_end,
  value: r.value,
  unit: r.unit,
  reason: r.reason,
  p10: r.p10,
  p90: r.p90,
  sd: r.sd,
  receivedAt: r.received_at,
});

const UNNEST = `unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::float8[], $7::text[], $8::text[],
    $9::float8[], $10::float8[], $11::float8[], $12::timestamptz[]) WITH ORDINALITY
  AS u(series_id, source, issued_at, interval_start, interval_end, value, unit, reason, p10, p90, sd, received_at, ord)`;
const params = (rows: readonly NewScheduleEntry[]) => [
  rows.map((r) => r.seriesId),
  rows.map((r) => r.source),
  rows.map((r) => r.issuedAt),
  rows.map((r) => r.start),
  rows.map((r) => r.end),
  rows.map((r) => r.value),
  rows.map((r) => r.unit),
  rows.map((r) => r.reason),
  rows.map((r) => r.p10),
  rows.map((r) => r.p90),
  rows.map((r) => r.sd),
  rows.map((r) => r.receivedAt),
];

/** Raised inside the transaction so that a batch with a conflict leaves nothing, its claim included. */
class Conflicts extends Error {
  constructor(readonly conflicts: ScheduleConflict[]) {
    super('schedule conflicts');
  }
}

/**
 * Appends a batch of schedule rows in one transaction. The batch key makes a re-sent input a no-op
 * (already-ingested); a row already stored with the same content is skipped (unchanged); a row whose
 * key is stored with other content is a conflict and the whole batch is rolled back.
 */
export async function writeSchedules(db: Db, batch: { batchKey: string; adapter: string }, rows: readonly NewScheduleEntry[]): Promise<ScheduleWrite> {
  try {
    return await db.transaction(async (tx): Promise<ScheduleWrite> => {
      const batchId = await claimBatch(tx, { source: batch.adapter, batchKey: batch.batchKey, kind: 'schedules' });
      if (batchId === null) return { status: 'already-ingested', batchId: (await findBatchByKey(tx, batch.batchKey))!.id };
      const { rows: clash } = await tx.query<{ ord: number; interval_end: Date; value: number; unit: string; reason: string | null; p10: number | null; p90: number | null; sd: number | null }>(
        `SELECT u.ord, s.interval_end, s.value, s.unit, s.reason, s.p10, s.p90, s.sd FROM ${UNNEST}
         JOIN schedules s USING (series_id, source, issued_at, interval_start)
         WHERE (s.interval_end, s.value, s.unit) IS DISTINCT FROM (u.interval_end, u.value, u.unit)
            OR (s.reason, s.p10, s.p90, s.sd) IS DISTINCT FROM (u.reason, u.p10, u.p90, u.sd)
         ORDER BY u.ord`,
        params(rows),
      );
      if (clash.length > 0) {
        throw new Conflicts(clash.map((c) => ({ index: c.ord - 1, stored: { end: c.interval_end, value: c.value, unit: c.unit, reason: c.reason, p10: c.p10, p90: c.p90, sd: c.sd } })));
      }
      const r = await tx.query(
        `INSERT INTO schedules (${COLUMNS}, batch_id)
         SELECT series_id, source, issued_at, interval_start, interval_end, value, unit, reason, p10, p90, sd, coalesce(received_at, now()), $13::bigint
         FROM ${UNNEST}
         ON CONFLICT (series_id, source, issued_at, interval_start) DO NOTHING`,
        [...params(rows), batchId],
      );
      const written = r.rowCount;
      await finishBatch(tx, batchId, { status: 'committed', rowCount: rows.length, report: { written, unchanged: rows.length - written } });
      return { status: 'committed', batchId, written, unchanged: rows.length - written };
    });
  } catch (e) {
    if (e instanceof Conflicts) return { status: 'conflict', conflicts: e.conflicts };
    throw e;
  }
}

/** Every stored row of these series overlapping [from, to), all versions. */
export async function scheduleEntries(q: Queryable, seriesIds: readonly string[], from: Date, to: Date): Promise<ScheduleEntry[]> {
  if (seriesIds.length === 0) return [];
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM schedules WHERE series_id = ANY($1::text[]) AND interval_start < $3 AND interval_end > $2
     ORDER BY series_id, issued_at, interval_start`,
    [seriesIds, from, to],
  );
  return rows.map(fromRow);
}

/**
 * The schedule in force at `asOf` over [from, to) for each series: pieces of time with the entry
 * that holds there (the latest issued by `asOf` among rows received by `asOf`), clipped to the piece;
 * time no schedule covers has no piece. Sorted by series then time.
 */
export async function schedulesInForce(q: Queryable, seriesIds: readonly string[], from: Date, to: Date, asOf: Date, knowledge: Knowledge = 'received'): Promise<ScheduleEntry[]> {
  return inForce(await scheduleEntries(q, seriesIds, from, to), from, to, asOf, { knowledge });
}

/**
 * Over past time [from, to): for each instant, the schedule as it stood before that instant (issued
 * at or before the piece's start, received by `asOf`): what schedule-vs-actual errors compare with.
 */
export async function schedulesAsPlanned(q: Queryable, seriesIds: readonly string[], from: Date, to: Date, asOf: Date, knowledge: Knowledge = 'received'): Promise<ScheduleEntry[]> {
  return inForce(await scheduleEntries(q, seriesIds, from, to), from, to, asOf, { planned: true, knowledge });
}

/** Unit and declared cadence (attrs.stepSec) of each of these series that exists. */
export async function scheduleTargets(q: Queryable, seriesIds: readonly string[]): Promise<Map<string, { unit: string; stepSec: number | null }>> {
  const { rows } = await q.query<{ id: string; unit: string; step: number | null }>(
    `SELECT id, unit, CASE WHEN jsonb_typeof(attrs->'stepSec') = 'number' THEN (attrs->>'stepSec')::float8 END AS step FROM series WHERE id = ANY($1::text[])`,
    [seriesIds],
  );
  return new Map(rows.map((r) => [r.id, { unit: r.unit, stepSec: r.step }]));
}

/** The store side of schedule ingestion (ingest/schedules/schedules.service.ts). */
export const scheduleRepository = (db: Db) => ({
  targets: (ids: string[]) => scheduleTargets(db, ids),
  write: (batch: { batchKey: string; adapter: string }, rows: NewScheduleEntry[]) => writeSchedules(db, batch, rows),
});

/** The schedule reads of a forecast run (forecast/run/ports.ts ScheduleSource); a replay over an imported history reads by issue time only. */
export const scheduleSource = (q: Queryable, knowledge: Knowledge = 'received') => ({
  inForce: (ids: string[], from: Date, to: Date, asOf: Date) => schedulesInForce(q, ids, from, to, asOf, knowledge),
  asPlanned: (ids: string[], from: Date, to: Date, asOf: Date) => schedulesAsPlanned(q, ids, from, to, asOf, knowledge),
});

/** The series with a schedule row overlapping [from, to) (any version). */
export async function scheduledSeries(q: Queryable, from: Date, to: Date): Promise<string[]> {
  const { rows } = await q.query<{ series_id: string }>(
    `SELECT DISTINCT series_id FROM schedules WHERE interval_start < $2 AND interval_end > $1 ORDER BY series_id`,
    [from, to],
  );
  return rows.map((r) => r.series_id);
}
