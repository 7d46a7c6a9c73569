import { z } from 'zod';
import type { Horizon, RECONCILIATION_METHODS } from './config.ts';
import { ALLOCATION_RULES, type AllocationRule } from './hierarchy.ts';
import { AppliedTransferSchema } from './planned.ts';
import { WeatherInputSchema } from './topology/weather.ts';

/** Forecast runs (C3) and their values, as the forecast pipeline makes them and the store keeps them. */

/** One node of the hierarchy a run covered, as it was when the run was made. */
const RunNodeSchema = z.object({
  id: z.string(),
  parent: z.string().nullable(),
  unit: z.string(),
  timeZone: z.string(),
  sharing: z.object({ substations: z.array(z.string()), allocation: z.enum(ALLOCATION_RULES) }).optional(),
});

/** Everything besides the store's data that a run used: enough to make it again. */
export const RunSettingsSchema = z.object({
  /** The hierarchy under the run's root, parents first. */
  nodes: z.array(RunNodeSchema),
  /** Quantile levels, in the order of forecasts.q. */
  quantiles: z.array(z.number()),
  historyDays: z.number().int().positive(),
  /** Hourly steps predicted from the origin (the window ends with the last one). */
  horizonSteps: z.number().int().positive(),
  /** Steps from the origin to the first stored hour. */
  windowOffset: z.number().int().nonnegative(),
  /** The model fitted for a series without a champion. */
  defaultModel: z.object({ kind: z.string(), params: z.record(z.string(), z.unknown()) }),
  holidays: z.string().optional(),
  /** Mid-term: the past years whose temperatures were replayed. */
  scenarioYears: z.array(z.number().int()).optional(),
  /** The time the run was asked for (the origin is its hour). */
  asOf: z.string(),
  /** The stations (and weights) making each series' temperature, null where none: a reproduction uses the same. */
  weather: z.record(z.string(), WeatherInputSchema.nullable()).optional(),
  codeVersion: z.string(),
  /** A deadline fallback run: every value carries this label (the model is defaultModel). */
  fallbackReason: z.string().optional(),
  /** The store as known at this time made the inputs, when the run was issued later (published on completion). */
  knownAt: z.string().optional(),
  /**
   * The schedules (A12) a run used, per scheduled series: each version (source, issued_at) with the
   * hours it covered and how its quantiles were made. A reproduction reads the same versions (as of knownAt).
   */
  schedules: z
    .record(
      z.string(),
      z.array(z.object({ source: z.string(), issuedAt: z.string(), from: z.string(), to: z.string(), hours: z.number().int(), uncertainty: z.enum(['declared', 'empirical', 'model-spread']) })),
    )
    .optional(),
  /** Series the rupture monitor moved off their usual plan: the model fitted, and the start of the history it saw. */
  monitored: z.record(z.string(), z.object({ fit: z.object({ kind: z.string(), params: z.record(z.string(), z.unknown()) }), since: z.string().optional() })).optional(),
  /**
   * Planned transfers in force at the run's issue time over its history and window (issue 14):
   * taken out of the training history and applied to the forecasts; a reproduction uses these.
   */
  transfers: z.array(AppliedTransferSchema).optional(),
});
export type RunSettings = z.infer<typeof RunSettingsSchema>;
export type RunNode = z.infer<typeof RunNodeSchema>;

export interface NewRun {
  issuedAt: Date;
  origin: Date;
  horizon: Horizon;
  root: string;
  windowStart: Date;
  windowEnd: Date;
  reconciliation: (typeof RECONCILIATION_METHODS)[number];
  reconciliationApplied: string;
  scheduledAt?: Date;
  deadline?: Date;
  inputsHash: string;
  modelVersions: Record<string, string>;
  allocation: AllocationRule;
  warnings: string[];
  settings: RunSettings;
  /**
   * Set on a shadow run (D5): the published run whose inputs, origin and issue time it shares,
   * and the shadow version it scores. A shadow run is never read as a published forecast.
   */
  shadowOf?: { runId: number; version: string };
}

export interface RunRecord extends NewRun {
  id: number;
  status: 'succeeded' | 'failed';
}

export const FORECAST_GRAINS = ['1h', '1d'] as const;
export type ForecastGrain = (typeof FORECAST_GRAINS)[number];

export interface ForecastValue {
  seriesId: string;
  grain: ForecastGrain;
  targetTs: Date;
  mean: number;
  /** In the order of the run's settings.quantiles. */
  q: number[];
  model: string;
  modelVersion: string;
  fallbackReason: string | null;
  baseMean: number;
  /** Labels on the value, e.g. 'out-of-range' (an input beyond the model's training range); absent or empty: none. */
  flags?: string[];
}

export interface ForecastRow extends Omit<ForecastValue, 'q' | 'flags'> {
  /** As stored: empty when the value carries no label. */
  flags: string[];
  /** Keyed by level as written in the run's settings ('0.1', '0.5', …). */
  quantiles: Record<string, number>;
  /** Set on an allocation view: the moving loads whose share was added to this row. */
  allocated?: { rule: AllocationRule; movingLoads: string[] };
}

