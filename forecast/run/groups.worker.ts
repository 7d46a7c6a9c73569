import { serveWorker } from '../../core/worker.ts';
import { forecastGroups, type PreparedGroup, type SeriesForecast } from './series.ts';

/** One share of a run's groups, with the champions' artifacts read by the parent (a worker has no store). */
export interface GroupsJob {
  groups: PreparedGroup[];
  horizonSteps: number;
  levels: number[];
  holidays?: string;
}

void serveWorker((job: GroupsJob): Promise<SeriesForecast[]> =>
  forecastGroups(job.groups, { horizonSteps: job.horizonSteps, levels: job.levels, ...(job.holidays ? { holidays: job.holidays } : {}) }),
);
