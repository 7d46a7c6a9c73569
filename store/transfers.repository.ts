import { GridcastError } from '../core/errors.ts';
import type { PlannedTransfer, TransferInput, TransferStore } from '../core/planned.ts';
import type { Db } from './db.ts';

interface Row {
  source: string;
  ref: string;
  version: number;
  from_node: string;
  to_node: string;
  start_ts: Date;
  end_ts: Date;
  share: number;
  status: PlannedTransfer['status'];
  reason: string | null;
  issued_at: Date;
  received_at: Date;
}

const COLUMNS = 'source, ref, version, from_node, to_node, start_ts, end_ts, share, status, reason, issued_at, received_at';

const toTransfer = (r: Row): PlannedTransfer => ({
  source: r.source,
  ref: r.ref,
  version: Number(r.version),
  fromNode: r.from_node,
  toNode: r.to_node,
  start: r.start_ts,
  end: r.end_ts,
  share: Number(r.share),
  status: r.status,
  reason: r.reason,
  issuedAt: r.issued_at,
  receivedAt: r.received_at,
});

/** The same plan content: what a repeated send of a version must carry. */
const sameContent = (r: Row, t: TransferInput) =>
  r.from_node === t.from_node &&
  r.to_node === t.to_node &&
  r.start_ts.getTime() === Date.parse(t.start) &&
  r.end_ts.getTime() === Date.parse(t.end) &&
  Number(r.share) === t.share &&
  r.status === t.status &&
  (r.reason ?? null) === (t.reason ?? null);

/** planned_transfers (migration 105) on either backend: versions appended, read as of a time. */
export function transfersRepository(db: Db): TransferStore {
  return {
    append(rows) {
      return db.transaction(async (tx) => {
        // Versions are numbered per (source, ref) in receipt order: one writer at a time.
        await tx.query('LOCK TABLE planned_transfers IN SHARE ROW EXCLUSIVE MODE');
        const added: PlannedTransfer[] = [];
        let unchanged = 0;
        for (const t of rows) {
          const same = await tx.query<Row>(`SELECT ${COLUMNS} FROM planned_transfers WHERE source = $1 AND ref = $2 AND issued_at = $3::timestamptz`, [t.source, t.ref, t.issued_at]);
          if (same.rows.length > 0) {
            if (sameContent(same.rows[0], t)) {
              unchanged++;
              continue;
            }
            throw new GridcastError(
              'TRANSFER_VERSION_CONFLICT',
              `Plan '${t.ref}' of '${t.source}' already has a different version issued at ${t.issued_at} (version ${same.rows[0].version}): send the revision with a later issued_at.`,
              { source: t.source, ref: t.ref, issuedAt: t.issued_at, version: Number(same.rows[0].version) },
            );
          }
          const { rows: ins } = await tx.query<Row>(
            `INSERT INTO planned_transfers (source, ref, version, from_node, to_node, start_ts, end_ts, share, status, reason, issued_at, received_at)
             SELECT $1::text, $2::text, coalesce(max(version), 0) + 1, $3::text, $4::text, $5::timestamptz, $6::timestamptz, $7::float8, $8::text, $9::text, $10::timestamptz, coalesce($11::timestamptz, now())
             FROM planned_transfers WHERE source = $1 AND ref = $2
             RETURNING ${COLUMNS}`,
            [t.source, t.ref, t.from_node, t.to_node, t.start, t.end, t.share, t.status, t.reason ?? null, t.issued_at, t.received_at ?? null],
          );
          added.push(toTransfer(ins[0]));
        }
        return { added, unchanged };
      });
    },

    async inForce(q) {
      const { rows } = await db.query<Row>(
        `SELECT ${COLUMNS} FROM (
           SELECT DISTINCT ON (source, ref) ${COLUMNS} FROM planned_transfers
           WHERE issued_at <= $1::timestamptz AND ($2::timestamptz IS NULL OR received_at <= $2)
           ORDER BY source, ref, issued_at DESC, version DESC
         ) v
         WHERE status = 'planned' AND start_ts < $4::timestamptz AND end_ts > $3::timestamptz
           AND ($5::text[] IS NULL OR from_node = ANY($5::text[]) OR to_node = ANY($5::text[]))
         ORDER BY issued_at, source, ref`,
        [q.knownAt, q.receivedBy ?? null, q.from, q.to, q.seriesIds ?? null],
      );
      return rows.map(toTransfer);
    },

    async versions(q) {
      const { rows } = await db.query<Row>(
        `SELECT ${COLUMNS} FROM planned_transfers
         WHERE ($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR ref = $2) AND ($3::text IS NULL OR from_node = $3 OR to_node = $3)
         ORDER BY issued_at DESC, source, ref, version DESC`,
        [q.source ?? null, q.ref ?? null, q.seriesId ?? null],
      );
      return rows.map(toTransfer);
    },
  };
}
