import { isConnectionLost } from '../core/errors.ts';
import { retryOnConnectionLoss } from '../core/retry.ts';
import type { Db, Queryable } from './db.ts';
import { ADVISORY_LOCK } from './locks.ts';
import type { JobRunsRepository, LastJobRun, RunOutcome } from '../core/job-runs.ts';

/** Second key of a job's advisory lock (FNV-1a of its name). */
export function jobLockKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Thrown inside the claim transaction to roll it back, withdrawing the claim. */
class Withdraw extends Error {}

async function claim(q: Queryable, job: string, tick: Date, instance: string): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO job_runs (job, scheduled_at, instance, status) VALUES ($1, $2, $3, 'running') ON CONFLICT DO NOTHING RETURNING job`,
    [job, tick, instance],
  );
  return r.rows.length === 1;
}

const record = (q: Queryable, job: string, tick: Date, r: RunOutcome) =>
  q.query(`UPDATE job_runs SET status = $3, attempts = $4, error = $5, finished_at = now() WHERE job = $1 AND scheduled_at = $2`, [
    job, tick, r.status, r.attempts, r.error,
  ]);

/** The outcome of a run whose claim was lost with its connection, unless another instance recorded the tick meanwhile. */
const recordUnclaimed = (q: Queryable, job: string, tick: Date, instance: string, started: Date, r: RunOutcome) =>
  q.query(
    `INSERT INTO job_runs (job, scheduled_at, instance, started_at, status, attempts, error, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now()) ON CONFLICT DO NOTHING`,
    [job, tick, instance, started, r.status, r.attempts, r.error],
  );

/**
 * job_runs on either backend.
 *
 * On PostgreSQL a tick is claimed inside a transaction that first takes
 * pg_try_advisory_xact_lock(namespace, hash(job)) — so two instances never run the same job at
 * the same time — and then inserts the (job, tick) row — so a tick an instance already ran is
 * not run again by one whose timer fired a little later. The transaction stays open while `fn`
 * runs and commits the outcome: if the runner dies, both the lock and the claim vanish and
 * another instance may catch the tick up. PGlite is one process holding one transaction at a
 * time, so there the claim row (committed at once) plus the scheduler's in-process guard give
 * the same rule, and an interrupted run deletes its row.
 *
 * A PostgreSQL restart during the run takes the claim's connection, its lock and its uncommitted
 * row with it, while the run itself (on other connections) retries and completes: its outcome is
 * then recorded on a new connection, unless another instance recorded the tick meanwhile.
 */
export function jobRunsRepository(db: Db): JobRunsRepository {
  return {
    async withClaim(job, tick, instance, fn) {
      if (db.kind === 'pg') {
        let withdrawn: RunOutcome | null = null;
        let ran: RunOutcome | null = null;
        const started = new Date();
        return db
          .transaction(async (tx) => {
            const lock = await tx.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS got', [ADVISORY_LOCK.jobs, jobLockKey(job)]);
            if (!lock.rows[0].got || !(await claim(tx, job, tick, instance))) return null;
            const r = await fn();
            ran = r;
            if (r.status === 'interrupted') {
              withdrawn = r;
              throw new Withdraw();
            }
            await record(tx, job, tick, r);
            return r;
          })
          .catch(async (e: unknown) => {
            if (e instanceof Withdraw && withdrawn) return withdrawn;
            const r: RunOutcome | null = ran;
            if (!r || !isConnectionLost(e)) throw e;
            // Interrupted with its claim gone: nothing to withdraw, the tick can be caught up.
            if (r.status !== 'interrupted') await retryOnConnectionLoss(() => recordUnclaimed(db, job, tick, instance, started, r));
            return r;
          });
      }
      if (!(await claim(db, job, tick, instance))) return null;
      const r = await fn();
      if (r.status === 'interrupted') await db.query('DELETE FROM job_runs WHERE job = $1 AND scheduled_at = $2', [job, tick]);
      else await record(db, job, tick, r);
      return r;
    },
    async lastTick(job) {
      return (await db.query<{ t: Date | null }>('SELECT max(scheduled_at) AS t FROM job_runs WHERE job = $1', [job])).rows[0].t;
    },
    async recordMissed(job, ticks, instance, error) {
      if (ticks.length === 0) return [];
      const r = await db.query<{ scheduled_at: Date }>(
        `INSERT INTO job_runs (job, scheduled_at, instance, status, finished_at, error)
         SELECT $1, t, $3, 'missed', now(), $4 FROM unnest($2::timestamptz[]) AS t
         ON CONFLICT DO NOTHING RETURNING scheduled_at`,
        [job, ticks, instance, error],
      );
      return r.rows.map((x) => x.scheduled_at);
    },
    async releaseStaleClaims() {
      // One process owns a PGlite store: a 'running' row is a run this instance never finished
      // before it died. On PostgreSQL a running claim is uncommitted and vanishes with its runner.
      if (db.kind === 'pglite') await db.query(`DELETE FROM job_runs WHERE status = 'running'`);
    },
    async lastRuns() {
      const r = await db.query<{
        job: string; scheduled_at: Date; instance: string; status: LastJobRun['status']; attempts: number;
        started_at: Date; finished_at: Date | null; error: string | null;
      }>(
        `SELECT DISTINCT ON (job) job, scheduled_at, instance, status, attempts, started_at, finished_at, error
         FROM job_runs ORDER BY job, scheduled_at DESC`,
      );
      return r.rows.map((x) => ({
        job: x.job, scheduledAt: x.scheduled_at, instance: x.instance, status: x.status, attempts: x.attempts,
        startedAt: x.started_at, finishedAt: x.finished_at, error: x.error,
      }));
    },
  };
}
