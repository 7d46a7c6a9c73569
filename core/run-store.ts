import type { ForecastRow, ForecastValue, NewRun, RunRecord } from './forecast-run.ts';
import type { ModelVersion } from './registry.ts';
import type { Topology } from './topology/schema.ts';
import type { ModelArtifact } from './types.ts';

/**
 * What making a run reads from and writes to the store: the topology, the registry's champions and
 * artifacts, and the run itself. forecast/run/service.ts works through it;
 * store/run-store.repository.ts implements it.
 */
export interface RunStore {
  /** The stored topology; a node without a time zone takes `defaultTimeZone`. */
  topology(defaultTimeZone: string): Promise<Topology>;
  /** The champion of each of the series that has one. */
  champions(seriesIds: string[]): Promise<Map<string, ModelVersion>>;
  /** Versions in shadow covering any of the series: each scores every run on the same inputs (D5). */
  shadows(seriesIds: string[]): Promise<ModelVersion[]>;
  /** A registered version, null when the registry does not hold it. */
  version(id: string): Promise<ModelVersion | null>;
  /** The version's fitted artifact (VERSION_NOT_FOUND, or a coded error when it is unreadable). */
  artifact(versionId: string): Promise<ModelArtifact>;
  /** The version's weather-free companion (stored at training), null when it has none. */
  companion(versionId: string): Promise<ModelArtifact | null>;
  /**
   * artifact and companion read the registry of the store's own database, which `gridcast worker`
   * processes open too: a queued job then names the version and its worker reads the artifact.
   * A store that serves artifacts of its own (a fake, a bench) must leave it unset.
   */
  artifactsInDatabase?: boolean;
  /** Stores a succeeded run and all its values at once (nothing when it fails); returns the run id. */
  saveRun(run: NewRun, values: readonly ForecastValue[]): Promise<number>;
  /** The run, or RUN_NOT_FOUND. */
  readRun(runId: number): Promise<RunRecord>;
  /** The run's values as stored, ordered by series, grain and time. */
  readValues(runId: number): Promise<ForecastRow[]>;
}
