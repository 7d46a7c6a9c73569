import type { ModelSpecRef } from '../../models/configured.ts';
import type { MonitorMode } from '../../core/monitor-state.ts';
import type { Covariates } from '../../core/types.ts';
import type { SeriesData, SeriesPlan } from './series.ts';

/** What a run needs of a series' rupture monitor state (core/monitor-state.ts). */
export interface MonitorView {
  mode: MonitorMode;
  ruptureAt: Date | null;
  since: Date;
}

export interface MonitorPlanContext {
  origin: Date;
  defaultModel: ModelSpecRef;
  historyDays: number;
  /** Start of the champion's training window, when the series has one. */
  championTrainStart?: Date;
  /** Most recent days the rupture fallback averages (fewer when the rupture is younger). */
  fallbackDays: number;
}

const DAY_MS = 86_400_000;

/** Most recent days the rupture fallback averages once the rupture is that old (shallow-history's own default). */
export const RUPTURE_FALLBACK_DAYS = 7;

/**
 * The plan of a series the rupture monitor watches (REQUIREMENTS D3). On the fallback: a
 * shallow-history profile of the days since the rupture (at least the last day, at most
 * fallbackDays), labelled 'rupture …'. Back on the model while the rupture is still inside the
 * run's history: a champion trained entirely after it serves; otherwise the default model is
 * fitted on the post-rupture history only (a champion trained across the rupture would
 * reproduce the old level). Otherwise the usual plan. Returns null when the usual plan stands.
 */
export function monitoredPlan(state: MonitorView | undefined, ctx: MonitorPlanContext): (SeriesPlan & { fit: ModelSpecRef }) | null {
  if (!state) return null;
  const ruptureAt = state.ruptureAt ?? state.since;
  if (state.mode === 'fallback') {
    const days = Math.min(ctx.fallbackDays, Math.max(1, Math.ceil((ctx.origin.getTime() - ruptureAt.getTime()) / DAY_MS)));
    return { fit: { kind: 'shallow-history', params: { days, reason: `rupture (since ${ruptureAt.toISOString()})` } } };
  }
  if (!state.ruptureAt || ctx.origin.getTime() - state.ruptureAt.getTime() >= ctx.historyDays * DAY_MS) return null;
  if (ctx.championTrainStart && ctx.championTrainStart >= state.ruptureAt) return null;
  return { fit: ctx.defaultModel, since: state.ruptureAt.toISOString() };
}

/** The series' history (and fit covariates of the same length) from `since` on. */
export function historySince(s: SeriesData, since: string | undefined): SeriesData {
  if (!since) return s;
  const h = s.history;
  const skip = Math.min(h.values.length, Math.max(0, Math.ceil((Date.parse(since) - h.start.getTime()) / (h.stepSec * 1000))));
  if (skip === 0) return s;
  const cut = (c: Covariates | undefined): Covariates | undefined => {
    if (!c) return c;
    const slice = (r?: Record<string, Float64Array>) => (r ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.length >= h.values.length ? v.subarray(skip) : v])) : undefined);
    return { ...c, ...(c.past ? { past: slice(c.past) } : {}), ...(c.future ? { future: slice(c.future) } : {}) };
  };
  const fitCovariates = cut(s.fitCovariates);
  return {
    ...s,
    history: { ...h, start: new Date(h.start.getTime() + skip * h.stepSec * 1000), values: h.values.subarray(skip) },
    ...(fitCovariates ? { fitCovariates } : {}),
  };
}
