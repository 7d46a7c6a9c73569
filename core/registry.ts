import type { ForecasterSpec, ModelArtifact } from './types.ts';
import type { WeatherInput } from './topology/weather.ts';
import type { AuditEntry, AuditQuery, NewAuditEntry } from './audit.ts';

/** The model registry: models, their trained versions and the status each version holds. */

export const VERSION_STATUSES = ['candidate', 'shadow', 'champion', 'retired'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export interface ModelRecord {
  name: string;
  family: string;
  description: string | null;
  createdAt: Date;
}

export interface ModelVersion {
  /** '<model>@<n>', e.g. 'load@3'. */
  id: string;
  model: string;
  version: number;
  kind: string;
  spec: ForecasterSpec;
  features: string[];
  seriesIds: string[];
  trainStart: Date;
  trainEnd: Date;
  dataHash: string;
  codeVersion: string;
  metrics: Record<string, unknown> | null;
  /** The weather each series was trained on (null: none): runs feed the champion the same. */
  weather: Record<string, WeatherInput | null>;
  /** Coded warnings of the training (e.g. WEATHER_UNMAPPED). */
  warnings: string[];
  /** A weather-free companion (the same spec fitted without weather) is stored with the version. */
  hasCompanion: boolean;
  status: VersionStatus;
  /** When the status last changed (registration for a candidate). */
  statusAt: Date;
  createdAt: Date;
  createdBy: string;
}

export type NewVersion = Omit<ModelVersion, 'id' | 'version' | 'status' | 'statusAt' | 'createdAt' | 'hasCompanion'> & { artifact: ModelArtifact; companion?: ModelArtifact };

/** A champion of another model that serves some of the same series. */
export interface ChampionOverlap {
  id: string;
  series: string[];
}

/** A status change as the audit log records it: who, why, the action's name (default: the new status) and its details. */
export interface RecordedChange {
  actor: string;
  reason: string;
  action?: string;
  details?: Record<string, unknown>;
}

/** Reads of the registry and its audit log, outside or inside a transaction. */
export interface RegistryQueries {
  /** Every model, by name. */
  models(): Promise<ModelRecord[]>;
  model(name: string): Promise<ModelRecord | null>;
  /** Versions newest first (created_at, then model, then number descending), optionally of one model and/or status. */
  versions(filter?: { model?: string; status?: VersionStatus }): Promise<ModelVersion[]>;
  version(id: string): Promise<ModelVersion | null>;
  /** The champion of a model, or null; inside a transaction its row stays locked until the end. */
  champion(model: string): Promise<ModelVersion | null>;
  /** The champion a version replaced, as its latest 'promote' audit entry recorded (previousChampion); null if none. */
  replacedChampion(versionId: string): Promise<string | null>;
  /** Audit entries oldest first (the `limit` most recent of those matching). */
  audit(filter?: AuditQuery): Promise<AuditEntry[]>;
}

/** What one unit of work of the registry may do; everything in it commits together or not at all. */
export interface RegistryTransaction extends RegistryQueries {
  /**
   * Holds the model until the transaction ends, so status changes of one model are serialised
   * (two promotions cannot both win); false when there is no such model.
   */
  lockModel(name: string): Promise<boolean>;
  /** Creates the model if it does not exist; an existing one must be of the same family (MODEL_FAMILY_MISMATCH), a new name valid (MODEL_NAME_INVALID). */
  createModel(m: { name: string; family: string; description?: string }): Promise<ModelRecord>;
  /** Registers a candidate under the next number of its model (MODEL_NOT_FOUND without the model). */
  insertVersion(v: NewVersion): Promise<ModelVersion>;
  /** Champions of models other than `model` covering any of `seriesIds`, by id, with the shared series sorted. */
  overlappingChampions(model: string, seriesIds: string[]): Promise<ChampionOverlap[]>;
  /** Sets a version's status (statusAt: now) and appends its audit entry from → to; VERSION_NOT_FOUND for an unknown id. */
  setStatus(id: string, to: VersionStatus, change: RecordedChange): Promise<ModelVersion>;
  appendAudit(e: NewAuditEntry): Promise<AuditEntry>;
}

/** The registry's storage: store/registry.repository.ts implements it on the database, test/fakes/registry.ts in memory. */
export interface RegistryRepository extends RegistryQueries {
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: RegistryTransaction) => Promise<T>): Promise<T>;
}
