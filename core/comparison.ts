/** Champion / challenger comparison (D5): what monitoring/compare.service.ts reads; store/comparison.repository.ts implements it. */

/** A published champion value and the shadow challenger value of the same series, hour and run. */
export interface PairedForecast {
  seriesId: string;
  targetTs: Date;
  /** The published run's origin and issue time, which its shadow run shares. */
  origin: Date;
  issuedAt: Date;
  champion: number;
  challenger: number;
}

/**
 * The store reads of a comparison: hourly values of published
 * runs served by `champion` paired with the shadow runs of `challenger` made on them — neither
 * on a fallback — with target time in [from, to), ordered by series, target time, issue time;
 * and the hourly actuals as known now.
 */
export interface ComparisonRepository {
  pairs(q: { champion: string; challenger: string; from: Date; to: Date }): Promise<PairedForecast[]>;
  /** Hourly actuals of a series keyed by the hour's start (ms); hours without a value are absent. */
  actuals(seriesId: string, from: Date, to: Date): Promise<Map<number, number>>;
}

