/** Imputation's domain values, shared by ingest/impute (which decides the fills) and the store (which keeps their audit). */

export type ImputationMethod = 'locf' | 'profile' | 'redundancy';

/** One audited fill: a run of points of one gap filled by one method. */
export interface GapFill {
  seriesId: string;
  gapStart: Date;
  /** Exclusive end of the whole gap as known at imputation time (the next measured point, or `to` if still open). */
  gapEnd: Date;
  method: ImputationMethod;
  points: number;
  inputs: Record<string, unknown>;
}

/** A fill as recorded in the imputation log. */
export interface ImputationLogEntry extends GapFill {
  id: number;
  batchId: number | null;
  actor: string;
  createdAt: Date;
}

/** Local day type of a typical-profile cell. */
export type DayType = 'wd' | 'sat' | 'sun';

/** Mean of the 'ok' points of one day type and time-of-day slot. */
export interface ProfileCell {
  dayType: DayType;
  slot: number;
  mean: number;
  n: number;
}

/** What imputing a series needs to know about it. */
export interface ImputationMeta {
  timeZone: string;
  stepSec: number | null;
  /** A line end measured redundantly at the other end (topology attrs, A3). */
  redundancy: { otherId: string; lossFactor: number; end: 'from' | 'to' } | null;
}
