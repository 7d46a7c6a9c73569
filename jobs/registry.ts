import type { Config } from '../core/config.ts';
import { GridcastError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import type { CommitRows } from '../ingest/scada/buffer.ts';
import type { PollResult } from '../ingest/scada/http-poll.ts';
import { rangeScreen } from '../ingest/scada/screen.ts';
import type { Log } from '../core/log.ts';
import { aggregatesFlushJob } from './aggregates.job.ts';
import { derivedSeriesJob } from './derived-series.job.ts';
import { driftJob } from './drift.job.ts';
import { forecastJobs } from './forecast.job.ts';
import type { RunDeps } from '../forecast/run/ports.ts';
import { httpPollJobs } from './http-poll.job.ts';
import { imputationJob } from './imputation.job.ts';
import { spikesJob } from './spikes.job.ts';
import { schedulesWatchJob } from './schedules-watch.job.ts';
import { scheduleRepository } from '../store/schedules.repository.ts';
import { rupturesJob } from './ruptures.job.ts';
import { transferChanges } from '../monitoring/planned.ts';
import { scheduleChanges } from '../monitoring/schedule-plans.ts';
import { scheduleSource } from '../store/schedules.repository.ts';
import { transfersRepository } from '../store/transfers.repository.ts';
import type { EventLog } from '../core/events.ts';
import { monitorStateRepository, residualSource } from '../store/monitor-state.repository.ts';
import { scoreJob } from './score.job.ts';
import { accuracyService } from '../monitoring/accuracy.service.ts';
import { reviewJob } from './review.job.ts';
import { reviewService } from '../monitoring/review.service.ts';
import type { Job } from './scheduler.ts';
import type { Knowledge } from '../core/knowledge.ts';
import { recordFallbackSwitches } from '../monitoring/fallback-switches.ts';
import { latestRun, readRun, runSeriesLabels } from '../store/forecasts.repository.ts';
import { cronProblem } from './ticks.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { inlineGroups } from '../forecast/run/workers.ts';
import { deadlineService, type DeadlineService } from '../monitoring/deadline.service.ts';
import { freshnessRepository } from '../store/freshness.repository.ts';

export interface ConfiguredJobs {
  jobs: Job[];
  /** What the HTTP poll jobs last fetched on this instance (for /health); null without httpPoll. */
  polls: { lastResults(): PollResult[] } | null;
}

/**
 * Every job gridcast runs, as configured: the built-in defaults, then `config.jobs` (cron,
 * deadlineSec, enabled: false removes the job). A name in `config.jobs` that is no job, or a
 * cron expression node-cron cannot fire, stops the start with CONFIG_INVALID.
 */
export function configuredJobs(deps: {
  db: Db;
  config: Config;
  log: Log;
  /** The ports of the forecast runs (bin/lib/run-deps.ts). */
  run: RunDeps;
  /** Live SCADA starts here (known once the simulator has started): the imputation leaves older, coarse history alone. */
  liveSince?: () => Date | undefined;
  /** Where polled points go; the poll jobs exist only with it. */
  pollCommit?: CommitRows;
  /** The event log: with it, the forecast jobs run under the deadline policy (monitoring/deadline.service.ts) and the rupture monitor runs. */
  events?: EventLog;
  /** A replay's clock (its waits move the replayed time) instead of the wall clock; the run is then not raced against its budget. */
  replayClock?: Clock;
  /**
   * A replay's knowledge policy: its scoring reads the actuals as it allows (and makes no daily
   * full pass, its store being fixed), its review the champions of the replayed time.
   */
  replayKnowledge?: Knowledge;
}): ConfiguredJobs {
  const { db, config, log } = deps;
  const replay = deps.replayKnowledge && { knownBy: deps.replayKnowledge };
  const { cron, windowSec, ...settings } = config.imputation;
  const polls =
    config.httpPoll.length > 0 && deps.pollCommit ? httpPollJobs(config.httpPoll, deps.pollCommit, log, rangeScreen(db, { log, source: 'http' })) : null;
  const jobs = [
    ...(polls?.jobs ?? []),
    aggregatesFlushJob(db),
    imputationJob(db, log, { since: deps.liveSince, cron, windowSec, settings }),
    derivedSeriesJob(db, log),
    spikesJob(db, log),
    ...(config.schedules.watchDir ? [schedulesWatchJob(scheduleRepository(db), config.schedules.watchDir, config.schedules.cron, log)] : []),
    ...forecastJobs(deps.run, deps.events && forecastDeadlines(db, config, deps.run, deps.events, log, deps.replayClock), deps.events && fallbackSwitchesOf(db, deps.events)),
    // Drift reads what a run reads; its events go to the jobs' event log.
    driftJob({ store: deps.run.store, inputs: deps.run.inputs, config, now: deps.run.now, log, ...((deps.events ?? deps.run.events) && { events: deps.events ?? deps.run.events }) }),
    scoreJob(accuracyService(db, config, undefined, replay), log),
    reviewJob(reviewService(db, config, deps.events, replay), log),
    ...(deps.events ? [rupturesJob({ states: monitorStateRepository(db), residuals: residualSource(db), events: deps.events, settings: config.rupture, planned: plannedChangeSources(db), log }, log)] : []),
  ];
  return { jobs: applyJobConfig(jobs, config.jobs, config.timeZone), polls };
}

/**
 * Where the rupture monitor learns of plans: planned transfers and schedules, both by issue time
 * (a plan issued after the switching began still explains the step it made).
 */
export const plannedChangeSources = (db: Db) => [transferChanges(transfersRepository(db)), scheduleChanges(scheduleSource(db, 'timestamps'))];

/** The jobs with the `config.jobs` overrides applied and every cron expression checked. */
export function applyJobConfig(jobs: Job[], overrides: Config['jobs'], timeZone: string): Job[] {
  const known = jobs.map((j) => j.name);
  const unknown = Object.keys(overrides).filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new GridcastError(
      'CONFIG_INVALID',
      `Invalid configuration: jobs: no job named ${unknown.map((n) => `'${n}'`).join(', ')}. The jobs are: ${known.join(', ')}.`,
      { key: 'jobs', unknown, known },
    );
  }
  return jobs.flatMap((job) => {
    const o = overrides[job.name];
    if (o && !o.enabled) return [];
    const configured = { ...job, cron: o?.cron ?? job.cron, deadlineMs: o?.deadlineSec !== undefined ? o.deadlineSec * 1000 : job.deadlineMs };
    const problem = cronProblem(configured.cron, timeZone);
    if (problem) {
      const key = o?.cron !== undefined ? `jobs.${job.name}.cron` : `the cron of job ${job.name}`;
      throw new GridcastError(
        'CONFIG_INVALID',
        `Invalid configuration: ${key}: '${configured.cron}' is not a cron expression gridcast can schedule (5 fields, or 6 with seconds first): ${problem}.`,
        { key, job: job.name },
      );
    }
    return [configured];
  });
}

/** The deadline policy over the store: the model run's ports, a fallback computed in this thread, the wall clock. */
/** After a run is stored: the fallback-on / fallback-off events of its series against the previous published run. */
export const fallbackSwitchesOf = (db: Db, events: EventLog) => (runId: number) =>
  recordFallbackSwitches({ runs: { readRun: (id) => readRun(db, id), latestRun: (h, before) => latestRun(db, h, before), runSeriesLabels: (id) => runSeriesLabels(db, id) }, events }, runId);

function forecastDeadlines(db: Db, config: Config, run: RunDeps, events: EventLog, log: Log, replayClock?: Clock): DeadlineService {
  return deadlineService({
    run,
    fallbackRun: { ...run, workers: inlineGroups },
    events,
    freshness: freshnessRepository(db),
    clock: replayClock ?? systemClock,
    config,
    log,
    ...(replayClock && { enforceBudget: false }),
  });
}
