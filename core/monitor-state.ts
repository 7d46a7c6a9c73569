/**
 * Per-series state of the rupture monitor (REQUIREMENTS D3): whether the series is served by its
 * model or by the rupture fallback, and the sequential detector's state between hourly checks.
 * monitoring/rupture.service.ts writes it; forecast runs read the modes (forecast/run/monitor-plan.ts).
 */
export type MonitorMode = 'model' | 'fallback';

/**
 * What the detector keeps between checks (stored as jsonb; versioned by `rule`, not by a
 * migration). Rule 3: a chart on the mean of the last `windowHours` residuals as shares of the
 * level, the residuals taken against the forecast corrected by what the series' siblings did
 * (`peers`). Rule 2 was the same chart without the correction: still readable, recalibrated at
 * its next check.
 */
export interface DetectorState {
  rule: 3;
  /**
   * The sibling correction: the forecast of each hour is read as f·(1 + Σ wⱼ·eⱼ), eⱼ the
   * relative error of sibling j at that hour (monitoring/peers.ts). Null when the series has no
   * sibling with forecasts; no weights when none of them explains its errors.
   */
  peers: PeerCorrection | null;
  /** Robust centre of actual − forecast, and the level (mean forecast) residuals are shares of. */
  center: number;
  level: number;
  windowHours: number;
  /** The window mean (a share of the level) that raises an alarm. */
  threshold: number;
  /** Mean confirmed false alarms per simulated year at the threshold, and the residuals calibrated on. */
  calibratedAlarmsPerYear: number;
  calibratedOn: number;
  calibratedAt: string;
  /** The last residual shares read (centred), oldest first: at most windowHours. */
  window: number[];
  /** The last residual hour read (ISO); null before the first. */
  lastTs: string | null;
  /** An alarm awaiting confirmation: when it fired, which side, the statistic, the estimated change. */
  pending: { at: string; side: 'up' | 'down'; statistic: number; changeAt: string } | null;
  /** A level change explained by a plan: the hours before this time (ISO, the plan's end) are the plan's, not read. */
  plannedUntil?: string;
}

export interface PeerCorrection {
  /** Weight per sibling series id (only those the regression kept). */
  weights: Record<string, number>;
  /** The ridge penalty GCV chose. */
  lambda: number;
  /** Siblings considered. */
  count: number;
}

/** A detector stored by rule 2 (no sibling correction). */
export type WindowDetectorV2State = Omit<DetectorState, 'rule' | 'peers'> & { rule: 2 };

/**
 * A detector stored by the first rule (a CUSUM on standardised hourly residuals, no `rule`):
 * still readable; the monitor recalibrates it by the current rule at its next check.
 */
export interface CusumDetectorState {
  rule?: undefined;
  center: number;
  scale: number;
  k: number;
  h: number;
  calibratedAlarmsPerYear: number;
  calibratedOn: number;
  calibratedAt: string;
  cusum: { up: number; down: number; upRun: number; downRun: number };
  lastTs: string | null;
  pending: { at: string; side: 'up' | 'down'; statistic: number; changeAt: string } | null;
}

export interface SeriesMonitorState {
  seriesId: string;
  mode: MonitorMode;
  /** When the current mode began. */
  since: Date;
  /** Estimated start of the last confirmed rupture; runs fit on history from here. */
  ruptureAt: Date | null;
  /** Null until the series has enough residuals to calibrate on. */
  detector: DetectorState | WindowDetectorV2State | CusumDetectorState | null;
  /** The model version whose residuals the detector reads (the one a rupture took out of service). */
  modelVersion: string | null;
  updatedAt: Date;
}

/** The rupture monitor's storage: store/monitor-state.repository.ts, test/fakes/monitor-state.ts. */
export interface MonitorStateStore {
  /** States of the given series (all when omitted). */
  states(seriesIds?: string[]): Promise<Map<string, SeriesMonitorState>>;
  save(s: Omit<SeriesMonitorState, 'updatedAt'>, at: Date): Promise<void>;
}

/** One hour of a series: the actual and the day-ahead forecast published for it. */
export interface ResidualHour {
  ts: Date;
  actual: number;
  forecast: number;
  modelVersion: string;
  fallbackReason: string | null;
}

/** Where the monitor reads residuals: published day-ahead forecasts against actuals. */
export interface ResidualSource {
  /** Series with a day-ahead forecast for some hour in [from, to). */
  forecastSeries(from: Date, to: Date): Promise<string[]>;
  /** Hours of [from, to) that have both an actual and a published day-ahead forecast, in time order. */
  dayAhead(seriesId: string, from: Date, to: Date): Promise<ResidualHour[]>;
  /** For each of the given series, its siblings (same parent in the hierarchy) among them. */
  siblings(seriesIds: string[]): Promise<Map<string, string[]>>;
}
