import type { LiveWorker, RunShares, ShareAnswer, ShareRef } from '../core/run-queue.ts';
import type { Db } from './db.ts';

/** Rows per INSERT of shares: large binary inputs, a bounded statement. */
const PUT_CHUNK = 200;

const bytes = (v: unknown): Uint8Array | null => (v == null ? null : v instanceof Uint8Array ? v : new Uint8Array(v as ArrayBuffer));

/** run_job_shares and run_workers (migration 110) on either backend. */
export function runSharesRepository(db: Db): RunShares {
  return {
    async put(token, shares) {
      for (let i = 0; i < shares.length; i += PUT_CHUNK) {
        const chunk = shares.slice(i, i + PUT_CHUNK);
        const params: unknown[] = [token];
        const rows = chunk.map((s) => {
          params.push(s.key, s.input);
          return `($1, $${params.length - 1}, $${params.length})`;
        });
        await db.query(`INSERT INTO run_job_shares (run_token, key, input) VALUES ${rows.join(', ')}`, params);
      }
    },
    async input(ref: ShareRef) {
      const r = await db.query<{ input: unknown }>('SELECT input FROM run_job_shares WHERE run_token = $1 AND key = $2 AND done_at IS NULL', [ref.token, ref.key]);
      return r.rows.length ? bytes(r.rows[0].input) : null;
    },
    async answer(ref, a, worker) {
      const r = await db.query(
        `UPDATE run_job_shares SET output = $3, error = $4, worker = $5, done_at = now() WHERE run_token = $1 AND key = $2 AND done_at IS NULL`,
        [ref.token, ref.key, 'output' in a ? a.output : null, 'error' in a ? a.error : null, worker],
      );
      return r.rowCount === 1;
    },
    async takeAnswers(token) {
      const r = await db.query<{ key: string; output: unknown; error: string | null; worker: string | null }>(
        `UPDATE run_job_shares SET collected = true WHERE run_token = $1 AND done_at IS NOT NULL AND NOT collected RETURNING key, output, error, worker`,
        [token],
      );
      return r.rows.map((x): ShareAnswer => ({ key: x.key, output: bytes(x.output), error: x.error, worker: x.worker }));
    },
    async drop(token) {
      await db.query('DELETE FROM run_job_shares WHERE run_token = $1', [token]);
    },
    async liveWorkers(withinSec) {
      const r = await db.query<LiveWorker>(`SELECT id, host, pid FROM run_workers WHERE seen_at > now() - make_interval(secs => $1) ORDER BY id`, [withinSec]);
      return r.rows;
    },
    async workerSeen(w) {
      await db.query(
        `INSERT INTO run_workers (id, host, pid) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET seen_at = now()`,
        [w.id, w.host, w.pid],
      );
    },
    async workerGone(id) {
      await db.query('DELETE FROM run_workers WHERE id = $1', [id]);
    },
    async dropStale(olderThanSec) {
      const r = await db.query(`DELETE FROM run_job_shares WHERE created_at < now() - make_interval(secs => $1)`, [olderThanSec]);
      await db.query(`DELETE FROM run_workers WHERE seen_at < now() - make_interval(secs => $1)`, [olderThanSec]);
      return r.rowCount;
    },
  };
}
