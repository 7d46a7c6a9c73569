import type { Log } from '../core/log.ts';
import type { ModelRecord, ModelVersion } from '../core/registry.ts';
import type { IngestBatchOptions, IngestCsvResult, Timings } from '../ingest/csv/ingest-csv.ts';
import type { BatchSource } from '../ingest/csv/source.ts';
import type { ScheduleBatch, ScheduleIngestResult } from '../ingest/schedules/schedules.service.ts';
import type { RunRequest, RunSummary } from '../forecast/run/service.ts';
import type { AuditFilter, AuditPage, ModelSummary } from '../forecast/registry/catalog.ts';
import type { RegistryStatusService } from '../forecast/registry/status-changes.ts';
import type { Comparison } from '../monitoring/compare.service.ts';
import type { PromotionService } from '../monitoring/promotion.service.ts';
import type { AlarmAcknowledger } from '../monitoring/acknowledgement.service.ts';
import type { VersionEffects } from '../forecast/registry/effects.ts';
import type { TransferReport } from '../ingest/planned/transfers.service.ts';

/** The batch service of `gridcast ingest csv` (ingestBatch) over the store. */
export type IngestService = (src: BatchSource, opts?: IngestBatchOptions, timings?: Timings) => Promise<IngestCsvResult>;

/** Schedules as issued (ingest/schedules/schedules.service.ts ingestSchedules) over the store. */
export type ScheduleService = (batch: ScheduleBatch) => Promise<ScheduleIngestResult>;

/** The service of the scheduled forecast job (runForecast) over the store and configuration; `log` is the request's. */
export type RunTrigger = (req: RunRequest, log: Log) => Promise<RunSummary>;

/**
 * The model registry over the store: its catalog (forecast/registry/catalog.ts), status changes
 * (forecast/registry/status-changes.ts), and promotion with the paired test and sign-off
 * (monitoring/promotion.service.ts: promote, rollback, propose, signoff, proposals, history).
 */
export interface RegistryService extends Pick<RegistryStatusService, 'shadow' | 'retire'>, Pick<PromotionService, 'promote' | 'rollback' | 'propose' | 'signoff' | 'proposals' | 'history'> {
  /** The paired comparison of two versions (monitoring/compare.service.ts). */
  compare: (q: { champion: string; challenger: string; from: Date; to: Date }) => Promise<Comparison>;
  modelSummaries: () => Promise<ModelSummary[]>;
  /** The partial effects of a version's GAM for one of its series (forecast/registry/effects.ts). */
  effects: VersionEffects;
  modelDetail: (name: string) => Promise<{ model: ModelRecord; versions: ModelVersion[] }>;
  auditPage: (f: AuditFilter) => Promise<AuditPage>;
}

/** Ingestion of planned transfer versions (ingest/planned/transfers.service.ts) over the store. */
export type TransferIngest = (rows: Array<{ line: number; row: unknown }>) => Promise<TransferReport>;

/** The services behind the write routes of /api/v1 and the registry, built by the composition root (bin/lib/write-services.ts). */
export interface WriteServices {
  /** Acknowledgement of warnings and alarms (POST /events/{id}/ack). */
  alarms: AlarmAcknowledger;
  ingest: IngestService;
  schedules: ScheduleService;
  /** config.api.bodyLimitBytes: the largest ingest body. */
  bodyLimitBytes: number;
  runs: RunTrigger;
  registry: RegistryService;
  /** POST /planned/transfers. */
  transfers: TransferIngest;
}
