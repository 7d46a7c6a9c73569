import { GridcastError } from '../core/errors.ts';
import type { Horizon } from '../core/config.ts';
import type { AccuracyBy, AccuracyRow, ScoreStore } from '../core/scores.ts';
import { timeInZone } from '../core/time-input.ts';
import { scoreValue } from './score.ts';
import type { Config } from '../core/config.ts';
import type { Queryable } from '../store/db.ts';
import { scoresRepository } from '../store/scores.repository.ts';

const DAY_MS = 86_400_000;

export interface AccuracyRequest {
  seriesId?: string;
  horizon?: Horizon;
  modelVersion?: string;
  /** As typed: an instant with its offset or a date (local midnight of the store's zone). Default: `to` − 30 days. */
  from?: string;
  /** Default: now. */
  to?: string;
  by?: AccuracyBy;
}

export interface AccuracyReport {
  from: Date;
  to: Date;
  by: AccuracyBy;
  rows: AccuracyRow[];
}

export interface AccuracyService {
  /**
   * Scores every forecast value of the last `lookbackDays` whose hour ended `settleMinutes`
   * ago, whose actual exists and was not scored at its current truth version. Idempotent: run again with nothing new, it scores nothing.
   */
  scoreNew(asOf?: Date): Promise<{ scored: number }>;
  /** MAPE (MAE where near zero), bias, pinball and coverage over the latest score of each value. */
  read(q: AccuracyRequest): Promise<AccuracyReport>;
}

export function createAccuracyService(deps: {
  scores: ScoreStore;
  timeZone: string;
  lookbackDays: number;
  settleMinutes: number;
  nearZeroFraction: number;
  now?: () => Date;
}): AccuracyService {
  const now = deps.now ?? (() => new Date());
  return {
    async scoreNew(asOf = now()) {
      const from = new Date(asOf.getTime() - deps.lookbackDays * DAY_MS);
      // Hours [target, target + 1 h) that ended settleMinutes before asOf.
      const to = new Date(asOf.getTime() - deps.settleMinutes * 60_000 - 3_600_000 + 1);
      const candidates = await deps.scores.candidates({ from, to, asOf });
      const scored = await deps.scores.insert(candidates.map((c) => scoreValue(c, deps.nearZeroFraction)));
      return { scored };
    },

    async read(q) {
      const to = q.to === undefined ? now() : timeInZone(q.to, deps.timeZone, 'to');
      const from = q.from === undefined ? new Date(to.getTime() - 30 * DAY_MS) : timeInZone(q.from, deps.timeZone, 'from');
      if (from >= to) throw new GridcastError('QUERY_RANGE_INVALID', `from (${from.toISOString()}) must be before to (${to.toISOString()}).`, { from: q.from, to: q.to });
      const by = q.by ?? 'series';
      const rows = await deps.scores.accuracy({
        from, to, by, timeZone: deps.timeZone,
        ...(q.seriesId !== undefined && { seriesId: q.seriesId }),
        ...(q.horizon && { horizon: q.horizon }),
        ...(q.modelVersion !== undefined && { modelVersion: q.modelVersion }),
      });
      return { from, to, by, rows };
    },
  };
}

/** The accuracy service over the store, as configured (`accuracy` keys). */
export const accuracyService = (q: Queryable, config: Config, now?: () => Date): AccuracyService =>
  createAccuracyService({ scores: scoresRepository(q), timeZone: config.timeZone, ...config.accuracy, ...(now && { now }) });
