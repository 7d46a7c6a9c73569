import type { BatchRecord, BatchStatus } from '../core/ingest-store.ts';
import type { Queryable } from './db.ts';

/**
 * Claims `batchKey` inside the caller's transaction. Returns the new batch id, or null when the
 * key is already recorded (the same input was ingested before). On PostgreSQL a concurrent claim
 * of the same key waits for the first transaction and then returns null, so two processes
 * ingesting the same file write it once.
 */
export async function claimBatch(q: Queryable, b: { source: string; batchKey: string; kind: string }): Promise<number | null> {
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO ingest_batches (source, batch_key, kind, status) VALUES ($1, $2, $3, 'committed')
     ON CONFLICT (batch_key) DO NOTHING RETURNING id`,
    [b.source, b.batchKey, b.kind],
  );
  return rows[0]?.id ?? null;
}

export async function finishBatch(q: Queryable, id: number, r: { status: BatchStatus; rowCount: number; report: Record<string, unknown> }): Promise<void> {
  await q.query(`UPDATE ingest_batches SET status = $2, row_count = $3, report = $4::jsonb, finished_at = now() WHERE id = $1`, [
    id,
    r.status,
    r.rowCount,
    JSON.stringify(r.report),
  ]);
}

const SELECT_BATCH = `SELECT id, source, batch_key AS "batchKey", kind, status, row_count AS "rowCount", report,
  started_at AS "startedAt", finished_at AS "finishedAt" FROM ingest_batches`;

export async function findBatchByKey(q: Queryable, batchKey: string): Promise<BatchRecord | null> {
  return (await q.query<BatchRecord>(`${SELECT_BATCH} WHERE batch_key = $1`, [batchKey])).rows[0] ?? null;
}

export async function findBatch(q: Queryable, id: number): Promise<BatchRecord | null> {
  return (await q.query<BatchRecord>(`${SELECT_BATCH} WHERE id = $1`, [id])).rows[0] ?? null;
}
