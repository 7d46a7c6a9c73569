import { runWorker } from '../../core/worker.ts';
import type { GroupsJob } from './groups.worker.ts';
import type { GroupsRunner } from './ports.ts';
import { forecastGroups, type SeriesForecast } from './series.ts';

const GROUPS_WORKER = new URL('./groups.worker.ts', import.meta.url);
/** A share of a run's series that has not answered in this time gets fallbacks (a hung fit must not hold the run). */
const WORKER_TIMEOUT_MS = 30 * 60_000;

/** A share of groups in its own worker thread (groups.worker.ts), terminated after WORKER_TIMEOUT_MS or on abort. */
export const threadGroups: GroupsRunner = (job: GroupsJob, signal?: AbortSignal) => runWorker<SeriesForecast[]>(GROUPS_WORKER, job, WORKER_TIMEOUT_MS, signal);

/**
 * The same work on the calling thread: for the deadline fallback, whose fast models take
 * milliseconds and must not wait behind a hung or busy worker.
 */
export const inlineGroups: GroupsRunner = (job: GroupsJob) =>
  forecastGroups(job.groups, { horizonSteps: job.horizonSteps, levels: job.levels, ...(job.holidays ? { holidays: job.holidays } : {}) });
