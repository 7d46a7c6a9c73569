import type { Horizon } from './config.ts';
import type { ForecastGrain } from './forecast-run.ts';
import type { Knowledge } from './knowledge.ts';

/**
 * Scores of stored forecast values against the actuals that arrived after them (REQUIREMENTS D2).
 * A score is keyed by the forecast value and the truth version (the receipt time of the newest
 * point its actual was computed from): a later validated metering value or a revised measurement
 * adds a score, and reads use the latest of each value.
 */
export type TruthStatus = 'measured' | 'provisional' | 'validated';

/** A stored forecast value whose actual exists and has not been scored at this truth version. */
export interface ScoreCandidate {
  runId: number;
  seriesId: string;
  /** An hour, or a local day of the run's zone (temporal reconciliation: the day aggregates its hours). */
  grain: ForecastGrain;
  targetTs: Date;
  horizon: Horizon;
  modelVersion: string;
  issuedAt: Date;
  forecast: number;
  /** The run's quantiles of this value, in the order of `levels`. */
  q: number[];
  levels: number[];
  /** Mean |forecast| of the series' values of this grain over the run: the scale "near zero" is judged against. */
  level: number;
  actual: number;
  truthVersion: Date;
  truthStatus: TruthStatus;
}

export interface ForecastScore {
  runId: number;
  seriesId: string;
  grain: ForecastGrain;
  targetTs: Date;
  truthVersion: Date;
  truthStatus: TruthStatus;
  horizon: Horizon;
  modelVersion: string;
  issuedAt: Date;
  leadHours: number;
  forecast: number;
  actual: number;
  error: number;
  ape: number | null;
  quantileLevels: number[];
  pinball: number[];
  inside: boolean | null;
}

export const ACCURACY_BY = ['series', 'lead', 'day'] as const;
export type AccuracyBy = (typeof ACCURACY_BY)[number];

export interface AccuracyQuery {
  from: Date;
  to: Date;
  seriesId?: string;
  horizon?: Horizon;
  modelVersion?: string;
  /** Only the scores of this grain; default both, each row of one grain. */
  grain?: ForecastGrain;
  by: AccuracyBy;
  /** Zone of the days of by=day. */
  timeZone: string;
}

/** Aggregates over the latest score of each forecast value in [from, to) of target time. */
export interface AccuracyRow {
  seriesId: string;
  horizon: Horizon;
  /** Hourly values against hourly actuals, or daily values against daily actuals. */
  grain: ForecastGrain;
  /** by=lead: lead time bucket [leadFrom, leadTo) in hours; by=day: the local date; else null. */
  leadFrom: number | null;
  leadTo: number | null;
  day: string | null;
  /** Values scored. */
  n: number;
  /** MAPE in % over the values whose actual is not near zero (nApe of them); null when none. */
  mape: number | null;
  nApe: number;
  /** MAE over the values whose actual is near zero, where MAPE means nothing; null when none. */
  maeNearZero: number | null;
  mae: number;
  /** Mean actual: the level the values were scored against. */
  meanActual: number;
  /** Mean of forecast − actual: positive over-forecasts. */
  bias: number;
  /** Mean pinball loss over the stored quantile levels; null when the runs stored none. */
  pinball: number | null;
  /** Share in % of actuals inside [lowest, highest stored quantile]; null when fewer than two were stored. */
  coverage: number | null;
}

/** The last completed scoring pass (store: score_progress). */
export interface ScoreProgress {
  /** Hours settled and data received up to this time were scored. */
  asOf: Date;
  /** The newest forecast run id when the pass began: a run with a larger id is new to the next pass. */
  runId: number;
  /** When the whole lookback was last examined. */
  fullAt: Date;
}

/**
 * What changed since the last pass, so a pass examines only it: values of runs with id > runId or
 * issued after receivedAfter, hours starting at or after settledFrom, and the hours (and the
 * roll-ups above them) of data received after receivedAfter.
 */
export interface ScoreSince {
  runId: number;
  receivedAfter: Date;
  settledFrom: Date;
}

/** The scores' storage: store/scores.repository.ts, test/fakes/scores.ts. */
export interface ScoreStore {
  /**
   * Forecast values with target time in [from, to) whose hour (or every hour of whose day) had
   * ended before `to`, not yet scored at their current truth version; with `since`, only those
   * among what changed since then. The actuals are the data known at asOf as `knownBy` says
   * (default `received`: received by asOf; `timestamps`: all stored, the hours being over).
   */
  candidates(w: { from: Date; to: Date; asOf: Date; since?: ScoreSince; knownBy?: Knowledge }): Promise<ScoreCandidate[]>;
  insert(scores: ForecastScore[]): Promise<number>;
  /** The last completed pass (null before the first) and the newest run id now. */
  progress(): Promise<{ last: ScoreProgress | null; newestRunId: number }>;
  saveProgress(p: ScoreProgress): Promise<void>;
  accuracy(q: AccuracyQuery): Promise<AccuracyRow[]>;
}
