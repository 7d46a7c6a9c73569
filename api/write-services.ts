import type { Log } from '../core/log.ts';
import type { ModelRecord, ModelVersion } from '../core/registry.ts';
import type { IngestBatchOptions, IngestCsvResult, Timings } from '../ingest/csv/ingest-csv.ts';
import type { BatchSource } from '../ingest/csv/source.ts';
import type { RunRequest, RunSummary } from '../forecast/run/service.ts';
import type { AuditFilter, AuditPage, ModelSummary } from '../forecast/registry/catalog.ts';
import type { StatusChange } from '../forecast/registry/service.ts';

/** The batch service of `gridcast ingest csv` (ingestBatch) over the store. */
export type IngestService = (src: BatchSource, opts?: IngestBatchOptions, timings?: Timings) => Promise<IngestCsvResult>;

/** The service of the scheduled forecast job (runForecast) over the store and configuration; `log` is the request's. */
export type RunTrigger = (req: RunRequest, log: Log) => Promise<RunSummary>;

/** The model registry over the store: its catalog (forecast/registry/catalog.ts) and status changes (forecast/registry/service.ts). */
export interface RegistryService {
  modelSummaries: () => Promise<ModelSummary[]>;
  modelDetail: (name: string) => Promise<{ model: ModelRecord; versions: ModelVersion[] }>;
  auditPage: (f: AuditFilter) => Promise<AuditPage>;
  promote: (id: string, by: StatusChange & { replaceOverlap?: boolean }) => Promise<{ version: ModelVersion; previousChampion: ModelVersion | null; overlaps: Array<{ id: string; series: string[] }> }>;
  rollback: (model: string, by: StatusChange & { replaceOverlap?: boolean }) => Promise<{ version: ModelVersion; replaced: ModelVersion }>;
  shadow: (id: string, by: StatusChange) => Promise<ModelVersion>;
  retire: (id: string, by: StatusChange) => Promise<ModelVersion>;
}

/** The services behind the write routes of /api/v1 and the registry, built by the composition root (bin/lib/write-services.ts). */
export interface WriteServices {
  ingest: IngestService;
  /** config.api.bodyLimitBytes: the largest ingest body. */
  bodyLimitBytes: number;
  runs: RunTrigger;
  registry: RegistryService;
}
