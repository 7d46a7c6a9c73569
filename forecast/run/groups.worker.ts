import { GridcastError } from '../../core/errors.ts';
import type { ModelArtifact } from '../../core/types.ts';
import { serveWorker } from '../../core/worker.ts';
import { forecastGroup, type SeriesData, type SeriesForecast, type SeriesPlan } from './series.ts';

/** One share of a run's groups, with the champions' artifacts read by the parent (a worker has no store). */
export interface GroupsJob {
  groups: Array<{ plan: SeriesPlan; series: SeriesData[]; artifact?: ModelArtifact; artifactError?: { code: string; message: string } }>;
  horizonSteps: number;
  levels: number[];
  holidays?: string;
}

void serveWorker(async (job: GroupsJob): Promise<SeriesForecast[]> => {
  const out: SeriesForecast[] = [];
  for (const g of job.groups) {
    const loadArtifact = async () => {
      if (g.artifact) return g.artifact;
      throw new GridcastError(g.artifactError?.code ?? 'ARTIFACT_MISSING', g.artifactError?.message ?? 'the artifact was not loaded');
    };
    const ctx = { horizonSteps: job.horizonSteps, levels: job.levels, ...(job.holidays ? { holidays: job.holidays } : {}), loadArtifact };
    out.push(...(await forecastGroup(g.plan, g.series, ctx)));
  }
  return out;
});
