import { GridcastError } from '../core/errors.ts';
import type { Horizon } from '../core/config.ts';
import type { ForecastGrain } from '../core/forecast-run.ts';
import type { Knowledge } from '../core/knowledge.ts';
import type { AccuracyBy, AccuracyRow, ScoreProgress, ScoreSince, ScoreStore } from '../core/scores.ts';
import { timeInZone } from '../core/time-input.ts';
import { scoreValue } from './score.ts';
import type { Config } from '../core/config.ts';
import type { Queryable } from '../store/db.ts';
import { scoresRepository } from '../store/scores.repository.ts';

const DAY_MS = 86_400_000;
const H = 3_600_000;
/**
 * Overlap with the previous pass: a batch whose transaction began before it (received_at is the
 * transaction time) may have committed after it read.
 */
const OVERLAP_MS = H;
/**
 * Once a day the whole lookback is examined again: data loaded with an explicit receipt time
 * older than the previous pass (a metering file carrying its own) is not seen as new otherwise.
 */
const FULL_PASS_MS = DAY_MS;

const sinceLast = (last: ScoreProgress, settleMinutes: number): ScoreSince => {
  const receivedAfter = new Date(last.asOf.getTime() - OVERLAP_MS);
  // The first hour not settled at the previous pass (less the overlap).
  return { runId: last.runId, receivedAfter, settledFrom: new Date(receivedAfter.getTime() - settleMinutes * 60_000 - H) };
};

export interface AccuracyRequest {
  seriesId?: string;
  horizon?: Horizon;
  modelVersion?: string;
  /** Hourly or daily values only; default both (each row is of one grain). */
  grain?: ForecastGrain;
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
   * Scores every forecast value of the last `lookbackDays` whose hour (for a daily value: the last
   * hour of its day) ended `settleMinutes` ago, whose actual exists and was not scored at its
   * current truth version. Idempotent: run again with nothing new, it scores nothing.
   * After a pass it examines only what changed since (new runs, newly settled hours, hours of data received since), so
   * an idle pass costs little whatever the lookback; once a day it examines the whole lookback.
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
  /**
   * What an actual is made of at a pass's time (default `received`: the data received by then, as
   * the live system knows it; `timestamps`: all stored data of the hours, for a replay of an
   * imported history).
   */
  knownBy?: Knowledge;
  /**
   * The periodic full pass (default daily). A replay, whose store does not change under it, turns
   * it off: what the full pass catches (data loaded with an old receipt time after a pass) cannot
   * happen there, and the incremental passes give the same scores.
   */
  fullPass?: boolean;
}): AccuracyService {
  const now = deps.now ?? (() => new Date());
  return {
    async scoreNew(asOf = now()) {
      const from = new Date(asOf.getTime() - deps.lookbackDays * DAY_MS);
      // Hours [target, target + 1 h) that ended settleMinutes before asOf.
      const to = new Date(asOf.getTime() - deps.settleMinutes * 60_000 - 3_600_000 + 1);
      const { last, newestRunId } = await deps.scores.progress();
      // Incremental after a pass at or before asOf (a pass back in time, e.g. a replay, examines everything).
      const full = last === null || last.asOf > asOf || (deps.fullPass !== false && asOf.getTime() - last.fullAt.getTime() >= FULL_PASS_MS);
      const since = full ? undefined : sinceLast(last, deps.settleMinutes);
      const candidates = await deps.scores.candidates({ from, to, asOf, ...(since && { since }), ...(deps.knownBy && { knownBy: deps.knownBy }) });
      const scored = await deps.scores.insert(candidates.map((c) => scoreValue(c, deps.nearZeroFraction)));
      await deps.scores.saveProgress({ asOf, runId: newestRunId, fullAt: full ? asOf : last.fullAt });
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
        ...(q.grain && { grain: q.grain }),
      });
      return { from, to, by, rows };
    },
  };
}

/** The accuracy service over the store, as configured (`accuracy` keys); a replay passes its knowledge policy and no full pass. */
export const accuracyService = (q: Queryable, config: Config, now?: () => Date, replay?: { knownBy: Knowledge }): AccuracyService =>
  createAccuracyService({ scores: scoresRepository(q), timeZone: config.timeZone, ...config.accuracy, ...(now && { now }), ...(replay && { knownBy: replay.knownBy, fullPass: false }) });
