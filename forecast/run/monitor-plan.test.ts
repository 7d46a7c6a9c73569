import { describe, expect, it } from 'vitest';
import { historySince, monitoredPlan } from './monitor-plan.ts';

const DAY = 86_400_000;
const origin = new Date('2026-03-10T09:00:00Z');
const ctx = { origin, defaultModel: { kind: 'auto', params: {} }, historyDays: 365, fallbackDays: 7 };

describe('the run plan of a monitored series', () => {
  it('keeps the usual plan without a state or a rupture', () => {
    expect(monitoredPlan(undefined, ctx)).toBeNull();
    expect(monitoredPlan({ mode: 'model', ruptureAt: null, since: new Date(0) }, ctx)).toBeNull();
  });

  it('serves shallow history over the days since the rupture, at least one and at most fallbackDays, labelled', () => {
    const at = (ms: number) => monitoredPlan({ mode: 'fallback', ruptureAt: new Date(origin.getTime() - ms), since: origin }, ctx);
    expect(at(10 * 3_600_000)).toEqual({ fit: { kind: 'shallow-history', params: { days: 1, reason: `rupture (since ${new Date(origin.getTime() - 10 * 3_600_000).toISOString()})` } } });
    expect(at(3.5 * DAY)!.fit.params.days).toBe(4);
    expect(at(12 * DAY)!.fit.params.days).toBe(7);
  });

  it('back on the model: the default model fitted from the rupture on, unless a champion was trained after it', () => {
    const ruptureAt = new Date(origin.getTime() - 20 * DAY);
    const state = { mode: 'model' as const, ruptureAt, since: new Date(origin.getTime() - 6 * DAY) };
    expect(monitoredPlan(state, ctx)).toEqual({ fit: ctx.defaultModel, since: ruptureAt.toISOString() });
    expect(monitoredPlan(state, { ...ctx, championTrainStart: new Date(ruptureAt.getTime() - DAY) })).toEqual({ fit: ctx.defaultModel, since: ruptureAt.toISOString() });
    expect(monitoredPlan(state, { ...ctx, championTrainStart: new Date(ruptureAt.getTime() + DAY) })).toBeNull();
    // once the rupture has left the run's history, nothing is left to cut
    expect(monitoredPlan(state, { ...ctx, historyDays: 20 })).toBeNull();
  });

  it('cuts the history and the fit covariates at the rupture', () => {
    const start = new Date('2026-03-01T00:00:00Z');
    const values = Float64Array.from({ length: 48 }, (_, i) => i);
    const temp = Float64Array.from({ length: 48 }, (_, i) => 100 + i);
    const s = { history: { id: 'a', start, stepSec: 3600, values }, fitCovariates: { future: { temperature: temp } }, predictCovariates: [undefined] };
    const cut = historySince(s, '2026-03-01T10:30:00Z');
    expect(cut.history.start.toISOString()).toBe('2026-03-01T11:00:00.000Z');
    expect(cut.history.values[0]).toBe(11);
    expect(cut.history.values.length).toBe(37);
    expect(cut.fitCovariates!.future!.temperature[0]).toBe(111);
    expect(historySince(s, undefined)).toBe(s);
    expect(historySince(s, '2026-02-01T00:00:00Z')).toBe(s);
  });
});
