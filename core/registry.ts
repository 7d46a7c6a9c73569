import type { ForecasterSpec, ModelArtifact } from './types.ts';
import type { WeatherInput } from './topology/weather.ts';

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
