import { pinballLoss } from '../forecast/metrics.ts';
import type { ForecastScore, ScoreCandidate } from '../core/scores.ts';

/**
 * The score of one forecast value against its actual. "Near zero": |actual| below
 * `nearZeroFraction` × the series' level (the mean |forecast| of the series over the run), where
 * a percentage error explodes; its APE is then null and the value counts in MAE instead of MAPE.
 * The level comes from the run rather than from history so a score needs nothing but the run
 * and the actual, and a series that sits at zero (a feeder switched off) has a level near zero
 * too: its small actuals are then judged on their own scale.
 */
export function scoreValue(c: ScoreCandidate, nearZeroFraction: number): ForecastScore {
  const error = c.forecast - c.actual;
  const nearZero = Math.abs(c.actual) < nearZeroFraction * c.level || c.actual === 0;
  const pinball = c.levels.map((level, i) => pinballLoss(c.actual, c.q[i], level));
  // The outer interval: from the lowest stored quantile to the highest (P10–P90 by default).
  const inside = c.q.length >= 2 ? c.actual >= Math.min(...c.q) && c.actual <= Math.max(...c.q) : null;
  return {
    runId: c.runId,
    seriesId: c.seriesId,
    grain: c.grain,
    targetTs: c.targetTs,
    truthVersion: c.truthVersion,
    truthStatus: c.truthStatus,
    horizon: c.horizon,
    modelVersion: c.modelVersion,
    issuedAt: c.issuedAt,
    leadHours: (c.targetTs.getTime() - c.issuedAt.getTime()) / 3_600_000,
    forecast: c.forecast,
    actual: c.actual,
    error,
    ape: nearZero ? null : Math.abs(error / c.actual),
    quantileLevels: c.levels,
    pinball,
    inside,
  };
}
