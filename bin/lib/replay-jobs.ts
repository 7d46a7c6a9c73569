import type { Config, Horizon } from '../../core/config.ts';
import { silentLog, type Log } from '../../core/log.ts';
import { forecastJobName } from '../../jobs/forecast.job.ts';
import { configuredJobs } from '../../jobs/registry.ts';
import type { ReplayClock } from '../../jobs/replay.ts';
import type { Job } from '../../jobs/scheduler.ts';
import type { Db } from '../../store/db.ts';
import { championsAsOf } from '../../store/registry.repository.ts';
import { runDeps } from './run-deps.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { loadRunInputs, type InputRequest } from '../../forecast/inputs.ts';

/**
 * Jobs a replay runs besides the forecast runs of its horizons: the monitoring that scores,
 * detects and reviews. Jobs that write to the store's own data (ingest polls, flushes,
 * imputation, derived series, spikes) are not replayed: a replay reads the data as stored.
 */
export const REPLAYED_MONITORING_JOBS: readonly string[] = [];

/**
 * What a replayed tick may see of the stored data. `received`: only what had been received by the
 * tick (revisions received later left out) — exact for a store that ingested live. `timestamps`:
 * every stored value with a timestamp before the tick's origin, whenever it was received — what a
 * history imported after the fact allows (received strictly, it would be unknown at every tick).
 * Either way nothing after the origin is read, and weather forecasts are the vintages issued before it.
 */
export const KNOWLEDGE = ['timestamps', 'received'] as const;
export type Knowledge = (typeof KNOWLEDGE)[number];

/**
 * The live system's jobs, as configured, over the replay's scope and clock: the runs issue at the
 * replayed tick, read inputs as `knowledge` allows and use the champions of that time.
 */
export function replayJobsOf(db: Db, config: Config, clock: ReplayClock, opts: { horizons: readonly Horizon[]; knowledge: Knowledge; log?: Log }): Job[] {
  const log = opts.log ?? silentLog;
  const deps = runDeps(db, config, log);
  const run = {
    ...deps,
    now: clock.now,
    store: { ...deps.store, champions: (ids: string[]) => championsAsOf(db, ids, clock.now()) },
    ...(opts.knowledge === 'timestamps' && { inputs: { load: (req: InputRequest) => loadRunInputs(db, { ...req, asOf: undefined }) } }),
  };
  const names = new Set([...opts.horizons.map(forecastJobName), ...REPLAYED_MONITORING_JOBS]);
  return configuredJobs({ db, config, log, run, events: eventsRepository(db), replayClock: clock }).jobs.filter((j) => names.has(j.name));
}
