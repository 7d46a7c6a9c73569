import { runWorker } from '../../core/worker.ts';
import type { GroupsJob } from './groups.worker.ts';
import type { GroupsRunner } from './ports.ts';
import { forecastGroups, resolveArtifacts, type ArtifactSource, type SeriesForecast } from './series.ts';

const GROUPS_WORKER = new URL('./groups.worker.ts', import.meta.url);
/** A share of a run's series that has not answered in this time gets fallbacks (a hung fit must not hold the run). */
const WORKER_TIMEOUT_MS = 30 * 60_000;

/** A share of groups in its own worker thread (groups.worker.ts), terminated after WORKER_TIMEOUT_MS or on abort. */
export const threadGroups: GroupsRunner = async (job, signal, _deadline, artifacts) =>
  runWorker<SeriesForecast[]>(GROUPS_WORKER, await withArtifacts(job, artifacts), WORKER_TIMEOUT_MS, signal);

/**
 * The same work on the calling thread: for the deadline fallback, whose fast models take
 * milliseconds and must not wait behind a hung or busy worker.
 */
export const inlineGroups: GroupsRunner = async (job, _signal, _deadline, artifacts) => {
  const { groups } = await withArtifacts(job, artifacts);
  return forecastGroups(groups, { horizonSteps: job.horizonSteps, levels: job.levels, ...(job.holidays ? { holidays: job.holidays } : {}) });
};

/** The job with its champions' artifacts read (a thread has no store); without a source, as it came. */
const withArtifacts = async (job: GroupsJob, artifacts?: ArtifactSource): Promise<GroupsJob> => (artifacts ? { ...job, groups: await resolveArtifacts(job.groups, artifacts) } : job);
