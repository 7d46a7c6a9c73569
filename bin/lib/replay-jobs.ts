import type { Config, Horizon } from '../../core/config.ts';
import type { Knowledge } from '../../core/knowledge.ts';
import { scheduleSource } from '../../store/schedules.repository.ts';
import { silentLog, type Log } from '../../core/log.ts';
import { DRIFT_JOB } from '../../jobs/drift.job.ts';
import { forecastJobName } from '../../jobs/forecast.job.ts';
import { REVIEW_JOB } from '../../jobs/review.job.ts';
import { RUPTURES_JOB } from '../../jobs/ruptures.job.ts';
import { SCORE_JOB } from '../../jobs/score.job.ts';
import { configuredJobs } from '../../jobs/registry.ts';
import type { ReplayClock } from '../../jobs/replay.ts';
import type { Job } from '../../jobs/scheduler.ts';
import type { Db } from '../../store/db.ts';
import { championsAsOf } from '../../store/registry.repository.ts';
import { runDeps } from './run-deps.ts';
import { runStoreRepository } from '../../store/run-store.repository.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { loadRunInputs, type InputRequest } from '../../forecast/inputs.ts';

/**
 * Jobs a replay runs besides the forecast runs of its horizons: the monitoring that scores,
 * reviews and detects, on the schedules the live system runs them (score every 15 minutes, review
 * monthly). Jobs that write to the store's own data (ingest polls, flushes, imputation, derived
 * series, spikes) are not replayed: a replay reads the data as stored.
 */
export const REPLAYED_MONITORING_JOBS: readonly string[] = [SCORE_JOB, REVIEW_JOB, RUPTURES_JOB, DRIFT_JOB];

/**
 * What a replayed tick may see of the stored data (core/knowledge.ts). `received`: only what had
 * been received by the tick (revisions received later left out) — exact for a store that ingested
 * live. `timestamps`: every stored value with a timestamp before the tick's origin, whenever it was
 * received — what a history imported after the fact allows (received strictly, it would be unknown
 * at every tick). Either way nothing after the origin is read, and weather forecasts are the
 * vintages issued before it. Scoring follows the same policy: an hour's actual is known at a tick
 * once the hour has settled, made of the data received by then (`received`) or of all the hour's
 * stored data (`timestamps`).
 */
export { KNOWLEDGE, type Knowledge } from '../../core/knowledge.ts';

/**
 * The live system's jobs, as configured, over the replay's scope and clock: the runs issue at the
 * replayed tick, read inputs as `knowledge` allows and use the champions of that time; scoring
 * reads the actuals as `knowledge` allows, and the review looks at the champions of that time.
 */
export function replayJobsOf(db: Db, config: Config, clock: ReplayClock, opts: { horizons: readonly Horizon[]; knowledge: Knowledge; log?: Log }): Job[] {
  const log = opts.log ?? silentLog;
  const store = runStoreRepository(db);
  const run = runDeps(db, config, log, {
    now: clock.now,
    store: { ...store, champions: (ids: string[]) => championsAsOf(db, ids, clock.now()) },
    ...(opts.knowledge === 'timestamps' && { inputs: { load: (req: InputRequest) => loadRunInputs(db, { ...req, asOf: undefined }) }, schedules: scheduleSource(db, 'timestamps') }),
  });
  const names = new Set([...opts.horizons.map(forecastJobName), ...REPLAYED_MONITORING_JOBS]);
  // A tick is over once the shadow runs it started are: the next tick's clock must not be theirs.
  return configuredJobs({ db, config, log, run, events: eventsRepository(db), replayClock: clock, replayKnowledge: opts.knowledge })
    .jobs.filter((j) => names.has(j.name))
    .map((j) => ({ ...j, run: async (ctx) => j.run(ctx).finally(() => run.shadows.idle()) }));
}
