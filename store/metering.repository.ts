import type { Queryable } from './db.ts';

export type MeteringStatus = 'provisional' | 'validated' | 'imputed';

export interface MeteringInput {
  seriesId: string;
  intervalStart: Date;
  intervalSec: number;
  value: number;
  status: MeteringStatus;
  method?: string | null;
  /** When the value was received from the metering system; default: now (transaction time). */
  receivedAt?: Date | null;
}

/**
 * SQL appending metering versions from `source`, a relation with columns (series_id,
 * interval_start, interval_sec, value, status, method, received_at, ord). Every version is kept
 * (A4): a row gets the next version number of its interval, in order of receipt then of `ord`.
 * A row identical (length, value, status, method) to a version already stored, or to an earlier
 * row of the same source, is skipped, so re-sending changes nothing. Returns one row per version
 * written (series_id, interval_start).
 */
export function meteringMergeSql(source: string, batchParam: string): string {
  return `WITH src AS (
      SELECT DISTINCT ON (series_id, interval_start, interval_sec, value, status, method) *
      FROM (${source}) AS s
      ORDER BY series_id, interval_start, interval_sec, value, status, method, received_at, ord),
    fresh AS (
      SELECT src.* FROM src
      WHERE NOT EXISTS (SELECT 1 FROM metering e
        WHERE e.series_id = src.series_id AND e.interval_start = src.interval_start AND e.interval_sec = src.interval_sec
          AND e.value = src.value AND e.status = src.status AND e.method IS NOT DISTINCT FROM src.method)),
    numbered AS (
      SELECT f.*, coalesce((SELECT max(version) FROM metering e WHERE e.series_id = f.series_id AND e.interval_start = f.interval_start), 0)
               + row_number() OVER (PARTITION BY f.series_id, f.interval_start ORDER BY f.received_at, f.ord) AS version
      FROM fresh f)
    INSERT INTO metering (series_id, interval_start, interval_sec, value, status, version, method, batch_id, received_at)
    SELECT series_id, interval_start, interval_sec, value, status, version, method, ${batchParam}, received_at FROM numbered
    RETURNING series_id, interval_start`;
}

/**
 * Appends metering values as new versions (provisional, validated, or imputed with its method).
 * Idempotent: a value already stored for the interval with the same status is not added again.
 */
export async function insertMeteringVersions(q: Queryable, rows: MeteringInput[], batchId: number | null = null): Promise<{ written: number }> {
  if (rows.length === 0) return { written: 0 };
  const source = `SELECT sid AS series_id, st AS interval_start, len AS interval_sec, v AS value, status, meth AS method,
      coalesce(rcv, now()) AS received_at, ord
    FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::float8[], $5::text[], $6::text[], $7::timestamptz[])
      WITH ORDINALITY AS u(sid, st, len, v, status, meth, rcv, ord)`;
  const r = await q.query(meteringMergeSql(source, '$8::bigint'), [
    rows.map((r) => r.seriesId),
    rows.map((r) => r.intervalStart),
    rows.map((r) => r.intervalSec),
    rows.map((r) => r.value),
    rows.map((r) => r.status),
    rows.map((r) => r.method ?? null),
    rows.map((r) => r.receivedAt ?? null),
    batchId,
  ]);
  return { written: r.rowCount };
}

export const METERING_STAGE_COLUMNS = ['series_id', 'interval_start', 'interval_sec', 'value', 'status', 'received_at', 'line'] as const;
export const meteringStageDdl = (name: string) =>
  `CREATE TEMP TABLE ${name} (series_id text NOT NULL, interval_start timestamptz NOT NULL, interval_sec int NOT NULL,
     value float8 NOT NULL, status text NOT NULL, received_at timestamptz, line bigint NOT NULL) ON COMMIT DROP`;

/** Appends staged metering rows as new versions; a row without received_at was received now. */
export async function mergeStagedMetering(q: Queryable, stage: string, batchId: number): Promise<number> {
  const source = `SELECT series_id, interval_start, interval_sec, value, status, NULL::text AS method,
      coalesce(received_at, now()) AS received_at, line AS ord FROM ${stage}`;
  return (await q.query(meteringMergeSql(source, '$1::bigint'), [batchId])).rowCount;
}
