import { describe, expect, it } from 'vitest';
import type { Covariates, ModelArtifact, Series } from '../core/types.ts';
import { decodeState, encodeState, makeArtifact } from './artifact.ts';
import { createForecaster } from './catalog.ts';
import { explainArtifact } from './explain.ts';
import { simulatedLoadWithWeather } from './gam/__fixtures__/simulated.ts';
import { gamFromArtifact, gamSeriesOf } from './gam/gam-forecaster.ts';
import { predictGam } from './gam/gam.ts';
import { buildFeatures } from './gam/load-formula.ts';
import type { NamedEffect } from './gam/load-effects.ts';

// A year and a fortnight of hourly load: the annual cycle and the trend are in the formula.
const days = 380;
const { series, temperature } = simulatedLoadWithWeather(days, 11);
const history: Series = series;
const cov = new Map<string, Covariates>([[series.id, { past: { temperature } }]]);
const params = { calendar: { country: 'US' }, halfLivesHours: [24], hourKnots: 9, doyKnots: 8, tempKnots: 6, tempHourKnots: 5, inertiaKnots: 5, tempSeasonKnots: 4 };
const fitted = await createForecaster('gam', params).fit([history], cov);
const artifact = JSON.parse(JSON.stringify(fitted.toArtifact())) as ModelArtifact;
const window = { start: '2024-01-01T00:00:00.000Z', end: '2025-01-15T00:00:00.000Z' };

const byName = (terms: NamedEffect[], name: string) => terms.find((t) => t.name === name)!;

describe('model explanation: partial effects of a stored GAM', () => {
  const ex = explainArtifact(artifact, series.id);

  it('names every term of the load GAM with its axes', () => {
    expect(ex).toMatchObject({ seriesId: series.id, path: ['gam'], response: 'log(load)', criterion: 'REML' });
    expect(ex.terms.map((t) => t.name)).toEqual([
      'day type (against Monday)',
      'public holiday (each against the holiday day type)',
      ...['Monday', 'Tuesday–Thursday', 'Friday', 'Saturday', 'Sunday', 'public holiday', 'bridge day'].map((g) => `daily profile: ${g}`),
      'annual cycle',
      'trend',
      'temperature response by hour of day',
      'temperature response by season (interaction beyond the main effects)',
      'thermal inertia by hour of day: temperature smoothed with a 24 h half-life',
      'thermal inertia: highest temperature of the last 24 h',
      'thermal inertia: lowest temperature of the last 24 h',
    ]);
    const holidays = byName(ex.terms, 'public holiday (each against the holiday day type)');
    if (holidays.kind !== 'factor') throw new Error('factor expected');
    // Deviations around the holiday day type: they sum to zero over the holiday hours fitted.
    expect(holidays.levels.map((l) => l.name)).toContain('Christmas Day');
    expect(holidays.levels.every((l) => Number.isFinite(l.effect) && l.se > 0)).toBe(true);
    const monday = byName(ex.terms, 'daily profile: Monday');
    expect(monday).toMatchObject({ kind: 'curve', variable: 'hour', axes: [{ variable: 'hour', label: 'local hour of day', unit: 'h' }] });
    if (monday.kind !== 'curve') throw new Error('curve expected');
    expect([monday.x[0], monday.x[99], monday.x.length]).toEqual([0, 24, 100]);
    const surface = byName(ex.terms, 'temperature response by hour of day');
    if (surface.kind !== 'surface') throw new Error('surface expected');
    expect([surface.x.length, surface.z.length, surface.effect.length]).toEqual([40, 40, 1600]);
    expect(surface.axes.map((a) => a.unit)).toEqual(['°C', 'h']);
    // The day types seen in a US year: the weekdays, holidays and bridge days (the Friday after Thanksgiving).
    const dayType = byName(ex.terms, 'day type (against Monday)');
    if (dayType.kind !== 'factor') throw new Error('factor expected');
    expect(dayType.levels.map((l) => l.name)).toEqual(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'public holiday', 'bridge day']);
    expect(dayType.levels[0]).toMatchObject({ level: 0, effect: 0, se: 0 });
  });

  it('adds up as the model predicts: a change of trend moves the prediction by the trend curve', () => {
    const g = gamSeriesOf(artifact, series.id)!;
    const trend = byName(ex.terms, 'trend');
    if (trend.kind !== 'curve') throw new Error('curve expected');
    const row = buildFeatures(Date.parse('2024-06-05T10:00:00Z'), 3600, 1, 'UTC', g.params, g.layout, Float64Array.of(18), undefined).columns;
    const at = (t: number) => predictGam(g.model, { ...row, trend: Float64Array.of(t) }, false).fit[0];
    expect(at(trend.x[80]) - at(trend.x[10])).toBeCloseTo(trend.effect[80] - trend.effect[10], 10);
  });

  it("draws each day type's profile as mgcv does: level effect plus curve give the model's difference between day types", () => {
    const g = gamSeriesOf(artifact, series.id)!;
    const dayType = byName(ex.terms, 'day type (against Monday)');
    const monday = byName(ex.terms, 'daily profile: Monday');
    const saturday = byName(ex.terms, 'daily profile: Saturday');
    if (dayType.kind !== 'factor' || monday.kind !== 'curve' || saturday.kind !== 'curve') throw new Error('shapes expected');
    const base = buildFeatures(Date.parse('2024-06-03T00:00:00Z'), 3600, 1, 'UTC', g.params, g.layout, Float64Array.of(18), undefined).columns;
    const at = (dayTypeCode: number, group: number, hour: number) =>
      predictGam(g.model, { ...base, dayType: Float64Array.of(dayTypeCode), hourGroup: Float64Array.of(group), hour: Float64Array.of(hour) }, false).fit[0];
    for (const j of [12, 45, 80]) {
      const h = monday.x[j];
      const model = at(5, 3, h) - at(0, 0, h);
      const drawn = dayType.levels.find((l) => l.level === 5)!.effect + saturday.effect[j] - monday.effect[j];
      expect(drawn).toBeCloseTo(model, 10);
    }
    // Bands: effect ± 1.96 se.
    saturday.effect.forEach((f, j) => expect(saturday.upper[j] - f).toBeCloseTo(1.959963985 * saturday.se[j], 9));
  });

  it('explains the GAM under a gam-arima and what auto chose', () => {
    const gamArima = makeArtifact({ kind: 'gam-arima', version: 1, params: {} }, window, 'h', { base: artifact, series: [] });
    expect(explainArtifact(gamArima, series.id).path).toEqual(['gam-arima', 'gam']);
    const auto = makeArtifact({ kind: 'auto', version: 1, params: {} }, window, 'h', { series: [{ id: series.id, nextMs: 0, chosen: gamArima, failures: [] }] });
    const viaAuto = explainArtifact(auto, series.id);
    expect(viaAuto.path).toEqual(['auto', 'gam-arima', 'gam']);
    expect(viaAuto.terms).toEqual(ex.terms);
    expect(() => explainArtifact(auto, 'other')).toThrow(expect.objectContaining({ code: 'VERSION_SERIES_NOT_FOUND' }));
  });

  it('refuses a model without partial effects, naming what forecasts the series', () => {
    const naive = makeArtifact({ kind: 'seasonal-naive', version: 1, params: {} }, window, 'h', { fits: [] });
    expect(() => explainArtifact(naive, series.id)).toThrow(expect.objectContaining({ code: 'MODEL_NO_PARTIAL_EFFECTS', details: { seriesId: series.id, path: ['seasonal-naive'] } }));
    const onProfile = makeArtifact({ kind: 'gam-arima', version: 1, params: {} }, window, 'h', { base: naive, series: [] });
    expect(() => explainArtifact(onProfile, series.id)).toThrow(expect.objectContaining({ code: 'MODEL_NO_PARTIAL_EFFECTS', details: { seriesId: series.id, path: ['gam-arima', 'seasonal-naive'] } }));
  });

  it('reads a GAM stored before the effects were kept (state v1): it predicts the same, its effects need a refit', async () => {
    const state = decodeState(artifact.state) as { series: Array<{ model: { design: { smooths: Array<{ byCentre?: unknown }> } } }> };
    for (const s of state.series) for (const b of s.model.design.smooths) delete b.byCentre;
    const v1: ModelArtifact = JSON.parse(JSON.stringify({ ...artifact, spec: { ...artifact.spec, version: 1 }, state: encodeState(state) }));
    const horizon = 24;
    const future = new Map<string, Covariates>([[series.id, { future: { temperature: temperature.slice(0, horizon) } }]]);
    const [a] = await gamFromArtifact(artifact).predict(horizon, future);
    const [b] = await gamFromArtifact(v1).predict(horizon, future);
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    expect(gamFromArtifact(v1).toArtifact().spec.version).toBe(1);
    expect(() => explainArtifact(v1, series.id)).toThrow(expect.objectContaining({ code: 'EFFECTS_REFIT_REQUIRED' }));
  });
});
