import type { Config } from '../../core/config.ts';
import type { Log } from '../../core/log.ts';
import { loadRunInputs } from '../../forecast/inputs.ts';
import type { RunDeps } from '../../forecast/run/ports.ts';
import { threadGroups } from '../../forecast/run/workers.ts';
import type { Db } from '../../store/db.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { runStoreRepository } from '../../store/run-store.repository.ts';

/** What reproducing a stored run needs over one store (its settings come from the run, not the configuration). */
export function reproduceDeps(db: Db): Pick<RunDeps, 'store' | 'inputs' | 'workers'> {
  return { store: runStoreRepository(db), inputs: { load: (req) => loadRunInputs(db, req) }, workers: threadGroups };
}

/**
 * The ports of a forecast run over one store: its repositories, the inputs as stored, worker
 * threads, the wall clock and the event log (out-of-range events; the drift job shares it).
 */
export function runDeps(db: Db, config: Config, log?: Log): RunDeps {
  return { ...reproduceDeps(db), config, now: () => new Date(), events: eventsRepository(db), ...(log ? { log } : {}) };
}
