import type { Config } from '../core/config.ts';
import { GridcastError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import type { CommitRows } from '../ingest/scada/buffer.ts';
import type { PollResult } from '../ingest/scada/http-poll.ts';
import { rangeScreen } from '../ingest/scada/screen.ts';
import type { Log } from '../core/log.ts';
import { aggregatesFlushJob } from './aggregates.job.ts';
import { derivedSeriesJob } from './derived-series.job.ts';
import { forecastJobs } from './forecast.job.ts';
import type { RunDeps } from '../forecast/run/ports.ts';
import { httpPollJobs } from './http-poll.job.ts';
import { imputationJob } from './imputation.job.ts';
import { spikesJob } from './spikes.job.ts';
import { scoreJob } from './score.job.ts';
import { accuracyService } from '../monitoring/accuracy.service.ts';
import { reviewJob } from './review.job.ts';
import { reviewService } from '../monitoring/review.service.ts';
import type { Job } from './scheduler.ts';
import { cronProblem } from './ticks.ts';

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
}): ConfiguredJobs {
  const { db, config, log } = deps;
  const { cron, windowSec, ...settings } = config.imputation;
  const polls =
    config.httpPoll.length > 0 && deps.pollCommit ? httpPollJobs(config.httpPoll, deps.pollCommit, log, rangeScreen(db, { log, source: 'http' })) : null;
  const jobs = [
    ...(polls?.jobs ?? []),
    aggregatesFlushJob(db),
    imputationJob(db, log, { since: deps.liveSince, cron, windowSec, settings }),
    derivedSeriesJob(db, log),
    spikesJob(db, log),
    ...forecastJobs(deps.run),
    scoreJob(accuracyService(db, config), log),
    reviewJob(reviewService(db, config), log),
  ];
  return { jobs: applyJobConfig(jobs, config.jobs, config.timeZone), polls };
}

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
