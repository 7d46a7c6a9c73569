import { GridcastError } from '../../core/errors.ts';
import type { ForecastRow, ForecastValue, NewRun, RunRecord } from '../../core/forecast-run.ts';
import type { ModelVersion } from '../../core/registry.ts';
import type { RunStore } from '../../core/run-store.ts';
import type { Topology } from '../../core/topology/schema.ts';
import { validateTopology } from '../../core/topology/validate.ts';
import type { ModelArtifact } from '../../core/types.ts';

export interface FakeRunStoreInit {
  topology: Topology;
  versions?: Array<{ version: ModelVersion; artifact: ModelArtifact; companion?: ModelArtifact }>;
}

/**
 * The tables a run reads and writes, in memory, with the real repositories' rules: the champion
 * of a series is the latest promoted champion covering it, a run and its values are stored
 * together or not at all, values come back keyed by quantile level and ordered by series, grain
 * and time. `failSave` makes the next save throw, as a failing transaction would.
 */
export function fakeRunStore(init: FakeRunStoreInit): RunStore & { runs: Map<number, RunRecord>; values: Map<number, ForecastRow[]>; saves: number; failSave?: Error } {
  const versions = new Map((init.versions ?? []).map((v) => [v.version.id, v]));
  const known = (id: string) => versions.get(id) ?? Promise.reject(new GridcastError('VERSION_NOT_FOUND', `no model version '${id}'`, { id }));
  const self = {
    runs: new Map<number, RunRecord>(),
    values: new Map<number, ForecastRow[]>(),
    saves: 0,
    failSave: undefined as Error | undefined,
    async topology(defaultTimeZone: string) {
      // Read back as the series table lists them (by id), then put parents first again.
      const nodes = [...init.topology.nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return validateTopology({ timeZone: defaultTimeZone, nodes }, 'stored topology');
    },
    async champions(seriesIds: string[]) {
      const champions = [...versions.values()].map((v) => v.version).filter((v) => v.status === 'champion').sort((a, b) => b.statusAt.getTime() - a.statusAt.getTime());
      const out = new Map<string, ModelVersion>();
      for (const id of seriesIds) {
        const v = champions.find((c) => c.seriesIds.includes(id));
        if (v) out.set(id, v);
      }
      return out;
    },
    async shadows(seriesIds: string[]) {
      return [...versions.values()]
        .map((v) => v.version)
        .filter((v) => v.status === 'shadow' && v.seriesIds.some((id) => seriesIds.includes(id)))
        .sort((a, b) => a.statusAt.getTime() - b.statusAt.getTime());
    },
    async version(id: string) {
      return versions.get(id)?.version ?? null;
    },
    async artifact(id: string) {
      return (await known(id)).artifact;
    },
    async companion(id: string) {
      return (await known(id)).companion ?? null;
    },
    async saveRun(run: NewRun, values: readonly ForecastValue[]) {
      self.saves++;
      const failure = self.failSave;
      self.failSave = undefined;
      if (failure) throw failure;
      const id = self.runs.size + 1;
      const levels = run.settings.quantiles.map(String);
      const rows = values.map(({ q, ...v }): ForecastRow => ({ ...v, flags: v.flags ?? [], quantiles: Object.fromEntries(levels.map((l, i) => [l, q[i]])) }));
      rows.sort((a, b) => (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : a.grain < b.grain ? -1 : a.grain > b.grain ? 1 : a.targetTs.getTime() - b.targetTs.getTime()));
      self.runs.set(id, { ...structuredClone(run), id, status: 'succeeded' });
      self.values.set(id, rows);
      return id;
    },
    async readRun(runId: number) {
      const run = self.runs.get(runId);
      if (!run) throw new GridcastError('RUN_NOT_FOUND', `There is no forecast run ${runId}.`, { runId });
      return structuredClone(run);
    },
    async readValues(runId: number) {
      await self.readRun(runId);
      return structuredClone(self.values.get(runId) ?? []);
    },
  };
  return self;
}
