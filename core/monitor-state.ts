/**
 * Per-series state of the rupture monitor (REQUIREMENTS D3): whether the series is served by its
 * model or by the rupture fallback, and the sequential detector's state between hourly checks.
 * monitoring/rupture.service.ts writes it; forecast runs read the modes (forecast/run/monitor-plan.ts).
 */
export type MonitorMode = 'model' | 'fallback';

/** What the detector keeps between checks (stored as jsonb; versioned by its shape, not by a migration). */
export interface DetectorState {
  /** Robust centre and scale standardising the residuals, and the CUSUM parameters. */
  center: number;
  scale: number;
  k: number;
  h: number;
  /** Mean false alarms per simulated year at h, and the residuals the calibration resampled. */
  calibratedAlarmsPerYear: number;
  calibratedOn: number;
  calibratedAt: string;
  cusum: { up: number; down: number; upRun: number; downRun: number };
  /** The last residual hour read (ISO); null before the first. */
  lastTs: string | null;
  /** An alarm awaiting confirmation: when it fired, which side, the statistic, the estimated change. */
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
  detector: DetectorState | null;
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
}
