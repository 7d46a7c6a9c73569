import type { Config } from '../../core/config.ts';
import type { Log } from '../../core/log.ts';
import { loadRunInputs } from '../../forecast/inputs.ts';
import type { RunDeps } from '../../forecast/run/ports.ts';
import { threadGroups } from '../../forecast/run/workers.ts';
import type { Db } from '../../store/db.ts';
import { shadowScoring, type ShadowScoring } from '../../forecast/run/shadow.service.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { monitorStateRepository } from '../../store/monitor-state.repository.ts';
import { runStoreRepository } from '../../store/run-store.repository.ts';
import { scheduleSource } from '../../store/schedules.repository.ts';
import { transfersRepository } from '../../store/transfers.repository.ts';

/** What reproducing a stored run needs over one store (its settings come from the run, not the configuration). */
export function reproduceDeps(db: Db): Pick<RunDeps, 'store' | 'inputs' | 'workers' | 'schedules'> {
  return { store: runStoreRepository(db), inputs: { load: (req) => loadRunInputs(db, req) }, workers: threadGroups, schedules: scheduleSource(db) };
}

/**
 * The ports of a forecast run over one store: its repositories, the inputs as stored, worker
 * threads, the wall clock (or the overrides: a replay's clock, champions and inputs), the event log (out-of-range events), and shadow scoring of the versions in shadow (a command waits for it
 * with `shadows.idle()` before closing the store).
 */
export function runDeps(db: Db, config: Config, log?: Log, overrides: Partial<Pick<RunDeps, 'store' | 'inputs' | 'now' | 'schedules'>> = {}): RunDeps & { shadows: ShadowScoring } {
  const base = { ...reproduceDeps(db), ...(overrides.store && { store: overrides.store }), ...(overrides.inputs && { inputs: overrides.inputs }), ...(overrides.schedules && { schedules: overrides.schedules }) };
  const now = overrides.now ?? (() => new Date());
  const shadows = shadowScoring({ ...base, events: eventsRepository(db), now, timeoutMs: config.promotion.shadowTimeoutSec * 1000, ...(log ? { log } : {}) });
  return { ...base, config, now, shadows, monitor: monitorStateRepository(db), events: eventsRepository(db), transfers: transfersRepository(db), ...(log ? { log } : {}) };
}
