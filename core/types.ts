/**
 * Domain types shared by every layer. Numerical code works on these plain shapes
 * (typed arrays, epoch-ms numbers) so it can be tested without a database.
 */

/** A regular time series. NaN marks a missing value. */
export interface Series {
  id: string;
  /** Time of values[0] (UTC). */
  start: Date;
  stepSec: number;
  values: Float64Array;
  /** IANA zone of the grid, for calendar features (default 'UTC'). */
  timeZone?: string;
}

/**
 * Covariates of one series, keyed by name (e.g. 'temperature' in °C).
 * Alignment convention (every forecaster follows it):
 *  - in fit(): each array has the length of the history and is aligned with it;
 *  - in predict(): each array has the length of the horizon and covers exactly the forecast steps
 *    (for weather: the forecast as issued before the origin, or observations in a backtest with
 *    "perfect" weather). A fitted model keeps whatever history tail it needs (lags, smoothing state).
 * NaN marks a missing covariate value. Calendar features are not covariates: forecasters derive
 * them from timestamps, the series' timeZone and their CalendarSpec parameters.
 */
export interface Covariates {
  /** Known only up to the forecast origin. */
  past?: Record<string, Float64Array>;
  /** Known (or forecast) over the history and the horizon. */
  future?: Record<string, Float64Array>;
  /**
   * How far each `future` covariate's horizon values stand from what will be observed, where
   * whoever assembled them measured it: the RMSE of the same forecasts' past values against
   * observations (a backtest given forecasts as issued). Absent: not measured.
   */
  horizonErrorSd?: Record<string, number>;
}

export interface Capabilities {
  futureCovariates: boolean;
  probabilistic: boolean;
  global: boolean;
  /** Minimum number of history steps the model needs. */
  minHistory: number;
}

export interface ForecasterSpec<P = unknown> {
  kind: string;
  version: number;
  params: P;
}

export interface Forecast {
  seriesId: string;
  /** Time of the first forecast step (UTC). */
  start: Date;
  stepSec: number;
  mean: Float64Array;
  /** Keyed by the quantile level as a string, e.g. '0.1', '0.5', '0.9'. */
  quantiles: Record<string, Float64Array>;
  /** Model kind that produced it (e.g. 'gam-arima', 'seasonal-naive'). */
  model: string;
  /** Set when a fallback produced this forecast: why (e.g. 'short-history', 'model-failed'). */
  fallbackReason?: string;
}

export interface ModelArtifact {
  formatVersion: number;
  spec: ForecasterSpec;
  trainWindow: { start: string; end: string };
  dataHash: string;
  state: unknown;
  metrics?: Record<string, number>;
}

export interface Forecaster<P = unknown> {
  readonly spec: ForecasterSpec<P>;
  readonly capabilities: Capabilities;
  fit(history: Series[], covariates?: Map<string, Covariates>, options?: FitOptions): Promise<FittedForecaster<P>>;
}

export interface FitOptions {
  /**
   * Keep what refit() on a longer history can reuse (a GAM keeps its design, cross-products and
   * feature table: megabytes per series). A rolling-origin backtest asks; runs do not.
   */
  refittable?: boolean;
}

export interface FittedForecaster<P = unknown> {
  readonly spec: ForecasterSpec<P>;
  /**
   * Optional: the same fitted parameters conditioned on a longer history (new observations
   * since fit), without refitting — lets a backtest refit only every k origins.
   */
  condition?(history: Series[], covariates?: Map<string, Covariates>): Promise<FittedForecaster<P>>;
  /**
   * Optional, on a fit made with `refittable`: fit again on a history that extends the fitted one
   * (same start, more steps), reusing the work already done — a model that cannot reuse it (the
   * data before the old end changed, the feature layout changed) fits from scratch.
   */
  refit?(history: Series[], covariates?: Map<string, Covariates>): Promise<FittedForecaster<P>>;
  predict(horizon: number, covariates?: Map<string, Covariates>, quantiles?: number[]): Promise<Forecast[]>;
  /** In-sample residuals per series, for MinT and ARIMA-on-residuals. */
  residuals(): Map<string, Float64Array>;
  /**
   * Optional: errors over the whole history, for the reconciliation's covariance, from a model
   * whose residuals() cover only part of it (a profile explains only its last weeks). Default: residuals().
   */
  historyErrors?(): Map<string, Float64Array>;
  /**
   * Optional (additive models): each term's contribution to the fit per series — over the steps of
   * `history` from `fromMs` on (the history it was fitted or conditioned on, with its covariates),
   * or over a horizon with predict()'s covariates. What the online adaptation (models/online) regresses on.
   */
  terms?: {
    history(history: Series[], covariates: Map<string, Covariates> | undefined, fromMs: number): Map<string, TermContributions>;
    horizon(horizon: number, covariates?: Map<string, Covariates>): Map<string, TermContributions>;
  };
  toArtifact(): ModelArtifact;
}

/** An additive model's fit split by term, on the model's scale (log-load when the target is logged). */
export interface TermContributions {
  scale: 'log' | 'identity';
  labels: string[];
  /** values[j][i]: term j at step i of the range asked for; they sum to the fit on that scale. */
  values: Float64Array[];
}

export const DEFAULT_QUANTILES = [0.1, 0.5, 0.9] as const;
