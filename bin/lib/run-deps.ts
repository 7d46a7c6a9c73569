import type { Config } from '../../core/config.ts';
import type { Log } from '../../core/log.ts';
import { loadRunInputs } from '../../forecast/inputs.ts';
import type { GroupsRunner, RunDeps } from '../../forecast/run/ports.ts';
import { threadGroups } from '../../forecast/run/workers.ts';
import { queueGroups } from '../../forecast/run/queue.ts';
import { runSharesRepository } from '../../store/run-jobs.repository.ts';
import { openRunQueue, type PgRunQueue } from '../../store/run-queue.repository.ts';
import type { Db } from '../../store/db.ts';
import { shadowScoring, type ShadowScoring } from '../../forecast/run/shadow.service.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { monitorStateRepository } from '../../store/monitor-state.repository.ts';
import { runStoreRepository } from '../../store/run-store.repository.ts';
import { scheduleSource } from '../../store/schedules.repository.ts';
import { transfersRepository } from '../../store/transfers.repository.ts';

/** What reproducing a stored run needs over one store (its settings come from the run, not the configuration). */
export function reproduceDeps(db: Db, config?: Pick<Config, 'queue'>, log?: Log): Pick<RunDeps, 'store' | 'inputs' | 'workers' | 'schedules'> {
  return { store: runStoreRepository(db), inputs: { load: (req) => loadRunInputs(db, req) }, workers: config ? pooledGroups(db, config, log) : threadGroups, schedules: scheduleSource(db) };
}

/** How long the run maker trusts its last look at the pool. */
const POOL_LOOK_MS = 5000;

/**
 * Where a run's groups go (issue 13): on PostgreSQL with queue.mode 'auto' and a `gridcast worker`
 * seen within queue.workerStaleSec, to the pg-boss queue (forecast/run/queue.ts); otherwise, and
 * always on PGlite, to worker threads of this process. The queue is opened on the first queued
 * run, over the store's pool, without timers: nothing to stop when the store closes.
 */
export function pooledGroups(db: Db, config: Pick<Config, 'queue'>, log?: Log): GroupsRunner {
  const q = config.queue;
  if (db.kind !== 'pg' || q.mode === 'off') return threadGroups;
  const shares = runSharesRepository(db);
  let queue: Promise<PgRunQueue> | undefined;
  let look = { at: 0, live: false };
  return async (job, signal, deadline, artifacts) => {
    if (Date.now() - look.at > POOL_LOOK_MS) look = { at: Date.now(), live: (await shares.liveWorkers(q.workerStaleSec)).length > 0 };
    if (!look.live) return threadGroups(job, signal, deadline, artifacts);
    queue ??= openRunQueue(db, { schema: q.schema, supervise: false, ...(log ? { onError: (e: Error) => log.warn({ err: e.message }, 'run queue error') } : {}) });
    let opened: PgRunQueue;
    try {
      opened = await queue;
    } catch (e) {
      queue = undefined;
      log?.warn({ err: (e as Error).message }, 'the run queue cannot be opened: this run uses its own threads');
      return threadGroups(job, signal, deadline, artifacts);
    }
    const runner = queueGroups({
      queue: opened,
      shares,
      local: threadGroups,
      jobTimeoutSec: q.jobTimeoutSec,
      retryLimit: q.retryLimit,
      runTimeoutSec: q.runTimeoutSec,
      workerStaleSec: q.workerStaleSec,
      ...(log ? { log } : {}),
    });
    return runner(job, signal, deadline, artifacts);
  };
}

/**
 * The ports of a forecast run over one store: its repositories, the inputs as stored, worker
 * threads or the queue of `gridcast worker` processes (pooledGroups), the wall clock (or the overrides: a replay's clock, champions and inputs), the event log (out-of-range events), and shadow scoring of the versions in shadow (a command waits for it
 * with `shadows.idle()` before closing the store).
 */
export function runDeps(db: Db, config: Config, log?: Log, overrides: Partial<Pick<RunDeps, 'store' | 'inputs' | 'now' | 'schedules'>> = {}): RunDeps & { shadows: ShadowScoring } {
  const base = { ...reproduceDeps(db, config, log), ...(overrides.store && { store: overrides.store }), ...(overrides.inputs && { inputs: overrides.inputs }), ...(overrides.schedules && { schedules: overrides.schedules }) };
  const now = overrides.now ?? (() => new Date());
  const shadows = shadowScoring({ ...base, events: eventsRepository(db), now, timeoutMs: config.promotion.shadowTimeoutSec * 1000, ...(log ? { log } : {}) });
  return { ...base, config, now, shadows, monitor: monitorStateRepository(db), events: eventsRepository(db), transfers: transfersRepository(db), ...(log ? { log } : {}) };
}
