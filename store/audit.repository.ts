import type { AuditEntry, AuditQuery, NewAuditEntry } from '../core/audit.ts';
import type { Queryable } from './db.ts';

interface DbRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  from_status: string | null;
  to_status: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}

const COLUMNS = 'id, at, actor, action, entity, entity_id, from_status, to_status, reason, details';

const fromDb = (r: DbRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  action: r.action,
  entity: r.entity,
  entityId: r.entity_id,
  fromStatus: r.from_status,
  toStatus: r.to_status,
  reason: r.reason,
  details: r.details ?? {},
});

/** Appends one entry; call it in the transaction of the change it records, so both commit or neither. */
export async function appendAudit(q: Queryable, e: NewAuditEntry): Promise<AuditEntry> {
  const { rows } = await q.query<DbRow>(
    `INSERT INTO audit_log (actor, action, entity, entity_id, from_status, to_status, reason, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) RETURNING ${COLUMNS}`,
    [e.actor, e.action, e.entity, e.entityId, e.fromStatus ?? null, e.toStatus ?? null, e.reason ?? null, JSON.stringify(e.details ?? {})],
  );
  return fromDb(rows[0]);
}

/**
 * Entries oldest first, optionally of one entity (and id), at most `limit` of the most recent;
 * with `beforeId`, of those older than that entry (the next page back).
 */
export async function listAudit(q: Queryable, filter: AuditQuery = {}): Promise<AuditEntry[]> {
  const { rows } = await q.query<DbRow>(
    `SELECT * FROM (
       SELECT ${COLUMNS} FROM audit_log
       WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR entity_id = $2)
         AND ($3::text IS NULL OR starts_with(entity_id, $3)) AND ($5::bigint IS NULL OR id < $5)
       ORDER BY id DESC LIMIT $4) AS recent
     ORDER BY id`,
    [filter.entity ?? null, filter.entityId ?? null, filter.entityPrefix ?? null, filter.limit ?? 1000, filter.beforeId ?? null],
  );
  return rows.map(fromDb);
}

/** The champion a version replaced, as recorded by its latest promotion ('previousChampion'); null if none. */
export async function replacedChampionId(q: Queryable, versionId: string): Promise<string | null> {
  const { rows } = await q.query<{ id: string | null }>(
    `SELECT details->>'previousChampion' AS id FROM audit_log
     WHERE entity = 'model_version' AND entity_id = $1 AND action = 'promote' ORDER BY id DESC LIMIT 1`,
    [versionId],
  );
  return rows[0]?.id ?? null;
}
