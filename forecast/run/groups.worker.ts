import { serveWorker } from '../../core/worker.ts';
import { forecastGroup, type PreparedGroup, type SeriesForecast } from './series.ts';

/** One share of a run's groups, with the champions' artifacts read by the parent (a worker has no store). */
export interface GroupsJob {
  groups: PreparedGroup[];
  horizonSteps: number;
  levels: number[];
  holidays?: string;
}

void serveWorker(async (job: GroupsJob): Promise<SeriesForecast[]> => {
  const out: SeriesForecast[] = [];
  const ctx = { horizonSteps: job.horizonSteps, levels: job.levels, ...(job.holidays ? { holidays: job.holidays } : {}) };
  for (const g of job.groups) out.push(...(await forecastGroup(g, ctx)));
  return out;
});
