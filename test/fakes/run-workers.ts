import type { GroupsRunner } from '../../forecast/run/ports.ts';
import { forecastGroups } from '../../forecast/run/series.ts';

/** The groups worker's work (groups.worker.ts) on the calling thread: the same numbers, no thread to start. */
export const inProcessGroups: GroupsRunner = (job) =>
  forecastGroups(job.groups, { horizonSteps: job.horizonSteps, levels: job.levels, ...(job.holidays ? { holidays: job.holidays } : {}) });
