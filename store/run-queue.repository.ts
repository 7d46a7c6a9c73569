import PgBoss from 'pg-boss';
import type { QueueJobOptions, RunJobQueue, ShareRef } from '../core/run-queue.ts';
import type { Db } from './db.ts';

/** The pg-boss queue of the jobs of distributed forecast runs. */
export const RUN_QUEUE = 'forecast-groups';

export interface PgRunQueue extends RunJobQueue {
  /** Jobs of `ids` whose retries are spent. */
  failed(ids: string[]): Promise<string[]>;
  /**
   * Answers jobs one at a time (a fit is synchronous CPU work: one job per process at a time),
   * fetching up to `batchSize` per round trip, asking for more every `pollSec` while the queue is empty.
   */
  work(opts: { pollSec: number; batchSize: number }, handler: (ref: ShareRef) => Promise<void>): Promise<void>;
  /** Stops fetching, waits for the job under way (up to `timeoutMs`), then stops pg-boss. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * pg-boss 10 over the store's own connection pool (its `db` option), its tables in `schema`
 * (created and migrated by pg-boss on first start). A run maker starts it without supervision:
 * it only inserts, cancels and reads jobs, and holds no timer. A worker supervises (`maintenanceSec`):
 * pg-boss's maintenance takes back jobs whose worker died and retries them elsewhere.
 */
export async function openRunQueue(db: Db, o: { schema: string; supervise: boolean; maintenanceSec?: number; onError?: (e: Error) => void }): Promise<PgRunQueue> {
  if (db.kind !== 'pg') throw new Error('the run queue needs PostgreSQL');
  // pg-boss 10 completes and fails a job without awaiting it (manager.onFetch), and a fetch in
  // flight when the stop begins can still deliver a batch, which the handler hands back (a fail):
  // such a statement can start after stop() returned and the caller closed the pool — a rejection
  // nobody handles, which ended a stopping worker with exit 1 on a loaded CI run. After stop() its
  // statements answer nothing (pg-boss reads that as no job fetched, nothing affected): a job left
  // active is retried on another worker after its expiry, as when a worker dies.
  let closed = false;
  const pending = new Set<Promise<unknown>>();
  const executeSql = (text: string, values?: unknown[]) => {
    if (closed) return Promise.resolve({} as { rows: never[] });
    const q = db.query(text, values);
    const settled = q.catch(() => {});
    pending.add(settled);
    void settled.then(() => pending.delete(settled));
    return q;
  };
  const boss = new PgBoss({
    db: { executeSql },
    schema: o.schema,
    supervise: o.supervise,
    schedule: false,
    ...(o.maintenanceSec ? { maintenanceIntervalSeconds: o.maintenanceSec } : {}),
  });
  boss.on('error', (e: Error) => o.onError?.(e));
  await boss.start();
  if (!(await boss.getQueue(RUN_QUEUE))) {
    // 'stately': at most one job per (run, series) key waiting and one running.
    await boss.createQueue(RUN_QUEUE, { name: RUN_QUEUE, policy: 'stately' }).catch(async (e: Error) => {
      if (!(await boss.getQueue(RUN_QUEUE))) throw e;
    });
  }
  // Every batch under way, not only the last: a fetch in flight when the stop begins can still
  // deliver a batch, and the pool must outlive its answer.
  const busy = new Set<Promise<void>>();
  let stopping = false;
  return {
    async send(refs: ShareRef[], opts: QueueJobOptions) {
      const ids: string[] = [];
      for (let i = 0; i < refs.length; i += 1000) {
        const chunk = refs.slice(i, i + 1000).map((r) => ({ id: crypto.randomUUID(), name: RUN_QUEUE, data: r, singletonKey: `${r.token}:${r.key}`, expireInSeconds: opts.expireInSeconds, retryLimit: opts.retryLimit, retryDelay: 0 }));
        await boss.insert(chunk);
        ids.push(...chunk.map((c) => c.id));
      }
      return ids;
    },
    async cancel(ids) {
      for (let i = 0; i < ids.length; i += 1000) await boss.cancel(RUN_QUEUE, ids.slice(i, i + 1000));
    },
    async failed(ids) {
      if (ids.length === 0) return [];
      const r = await db.query<{ id: string }>(`SELECT id::text FROM ${o.schema}.job WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'failed'`, [RUN_QUEUE, ids]);
      return r.rows.map((x) => x.id);
    },
    async work({ pollSec, batchSize }, handler) {
      // pg-boss 10 sorts every waiting job of the queue on each fetch: with thousands queued a
      // fetch costs milliseconds, so a batch spreads it. A batch is completed (or, its worker
      // dead, retried) as a whole; a share already answered is skipped by the retry.
      const id = await boss.work<ShareRef>(RUN_QUEUE, { batchSize, pollingIntervalSeconds: pollSec }, async (jobs) => {
        // Delivered after the stop began: failed at once, so pg-boss retries it on another worker.
        if (stopping) throw new Error('worker stopping: job handed back');
        const p = (async () => {
          for (const job of jobs) await handler(job.data);
        })();
        const settled = p.catch(() => {});
        busy.add(settled);
        void settled.then(() => busy.delete(settled));
        await p;
        // After a batch, ask for the next at once: pg-boss would otherwise wait out its polling interval.
        boss.notifyWorker(id);
      });
    },
    async stop(timeoutMs) {
      stopping = true;
      await boss.offWork(RUN_QUEUE);
      await Promise.race([Promise.all(busy), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
      await boss.stop({ graceful: true, wait: true, timeout: Math.max(1000, timeoutMs) });
      closed = true;
      await Promise.all(pending);
    },
  };
}
