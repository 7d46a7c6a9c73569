import { accuracy, type Accuracy } from '../metrics.ts';
import type { OriginResult } from './driver.ts';

export interface BacktestScore extends Accuracy {
  origins: number;
  /** Mean time per origin spent fitting (or conditioning), ms. */
  fitMs: number;
  /** Fallback labels met and how many origins carried each. */
  fallbacks: Record<string, number>;
  /** Models that produced the forecasts and at how many origins (e.g. auto's choices). */
  producedBy: Record<string, number>;
}

/** Pools every origin's horizon into one score (each target counts once). */
export function scoreBacktest(results: OriginResult[], levels = ['0.1', '0.5', '0.9']): BacktestScore {
  const total = results.reduce((s, r) => s + r.actual.length, 0);
  const actual = new Float64Array(total);
  const mean = new Float64Array(total);
  const q: Record<string, Float64Array> = {};
  const present = levels.filter((l) => results.length > 0 && results.every((r) => r.forecast.quantiles[l]));
  for (const l of present) q[l] = new Float64Array(total);
  const fallbacks: Record<string, number> = {};
  const producedBy: Record<string, number> = {};
  let at = 0;
  let fitMs = 0;
  for (const r of results) {
    actual.set(r.actual, at);
    mean.set(r.forecast.mean, at);
    for (const l of present) q[l].set(r.forecast.quantiles[l], at);
    at += r.actual.length;
    fitMs += r.fitMs;
    if (r.forecast.fallbackReason) fallbacks[r.forecast.fallbackReason] = (fallbacks[r.forecast.fallbackReason] ?? 0) + 1;
    producedBy[r.forecast.model] = (producedBy[r.forecast.model] ?? 0) + 1;
  }
  return { ...accuracy(actual, mean, q), origins: results.length, fitMs: results.length ? fitMs / results.length : 0, fallbacks, producedBy };
}

/**
 * Scores by horizon block: steps [from, to] (1-based, inclusive) pooled over all origins, e.g.
 * blocks of 6 hours for a day-ahead backtest.
 */
export function scoreByHorizon(results: OriginResult[], blockSteps: number): { from: number; to: number; score: BacktestScore }[] {
  const horizon = results[0]?.actual.length ?? 0;
  const out: { from: number; to: number; score: BacktestScore }[] = [];
  for (let from = 0; from < horizon; from += blockSteps) {
    const to = Math.min(horizon, from + blockSteps);
    const part = results.map((r) => ({
      ...r,
      actual: r.actual.slice(from, to),
      forecast: { ...r.forecast, mean: r.forecast.mean.slice(from, to), quantiles: Object.fromEntries(Object.entries(r.forecast.quantiles).map(([k, v]) => [k, v.slice(from, to)])) },
    }));
    out.push({ from: from + 1, to, score: scoreBacktest(part) });
  }
  return out;
}
