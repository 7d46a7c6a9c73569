import type { GroupsRunner } from '../../forecast/run/ports.ts';
import { forecastGroups, resolveArtifacts } from '../../forecast/run/series.ts';

/** The groups worker's work (groups.worker.ts) on the calling thread, artifacts read first: the same numbers, no thread to start. */
export const inProcessGroups: GroupsRunner = async (job, _signal, _deadline, artifacts) =>
  forecastGroups(artifacts ? await resolveArtifacts(job.groups, artifacts) : job.groups, { horizonSteps: job.horizonSteps, levels: job.levels, ...(job.holidays ? { holidays: job.holidays } : {}) });
