import { describe, expect, it } from 'vitest';
import { forecasterFor } from '../../bin/lib/models.ts';
import { ConfigSchema } from '../../core/config.ts';
import type { SeriesRow } from '../../core/series.ts';
import { fakeRegistry } from '../../test/fakes/registry.ts';
import type { FakeSeries } from '../../test/fakes/run-inputs.ts';
import { fakeTrainingInputs, type FakeTrainingData } from '../../test/fakes/training-inputs.ts';
import type { TrainDeps } from './ports.ts';
import { trainModel, type TrainRequest } from './service.ts';

// Training against an in-memory registry and generated data: no database.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONE = 'Europe/Paris';
const DAYS = 35;
const UNTIL = new Date('2026-01-12T00:00:00Z');
const config = ConfigSchema.parse({ timeZone: ZONE, forecast: { defaultModel: { kind: 'seasonal-naive', params: { period: 'week' } }, historyDays: DAYS } });
const build = (kind: string, params: Record<string, unknown>) => forecasterFor(kind, params);
// A small GAM, enough to learn the temperature effect quickly.
const GAM = { minHistoryDays: 28, halfLivesHours: [24], hourKnots: 8, tempKnots: 5, tempHourKnots: 5, inertiaKnots: 4, tempSeasonKnots: 0 };

const row = (id: string, parent: string | null, over: Partial<SeriesRow> = {}): SeriesRow => ({ id, parent, kind: 'load', unit: 'MW', timeZone: ZONE, attrs: {}, ...over });
const ROWS: SeriesRow[] = [
  row('grid', null),
  row('a', 'grid'),
  row('b', 'grid'),
  row('c', 'grid'),
  // Neither a weather station nor a derived series is a target of the grid's models.
  row('st1', 'grid', { kind: 'weather', unit: '°C' }),
  row('pv.a', null, { kind: 'generation', attrs: { derived: true } }),
];

const temperature = (ms: number) => 8 + 6 * Math.sin((2 * Math.PI * (ms / HOUR - 14)) / 24) + 3 * Math.sin((2 * Math.PI * ms) / (9 * DAY));
const load = (level: number, perDegree = 0) => (ms: number) =>
  level + 10 * Math.sin((2 * Math.PI * (ms / HOUR)) / 24) + 4 * (Math.floor(ms / DAY) % 7) - perDegree * temperature(ms);
const SERIES: Record<string, FakeSeries> = {
  grid: { load: load(300) },
  a: { load: load(100, 3), temperature },
  b: { load: load(200) },
  // Connected but never measured: left out of the fit.
  c: { load: () => Number.NaN },
};

function deps(data: Partial<FakeTrainingData> = {}) {
  const inputs = fakeTrainingInputs({ rows: ROWS, series: SERIES, until: UNTIL, weatherStations: 1, ...data });
  const registry = fakeRegistry({ now: () => new Date('2026-01-12T09:00:00Z') });
  const d: TrainDeps = { registry, inputs, config };
  return { d, inputs, registry };
}

const request = (over: Partial<TrainRequest> = {}): TrainRequest => ({ model: 'grid-load', kind: 'seasonal-naive', params: { period: 'week' }, actor: 'alice', codeVersion: 'test-0', ...over });

/** Nothing registered: no model, no version, no audit entry. */
async function expectEmpty(registry: TrainDeps['registry']) {
  expect(await registry.models()).toEqual([]);
  expect(await registry.versions()).toEqual([]);
  expect(await registry.audit()).toEqual([]);
}

describe('trainModel', () => {
  it('registers a candidate on the subtree of the sole hierarchy, up to the latest actual, with the next version number and its audit entry', async () => {
    const { d, inputs, registry } = deps();
    const { version: v, skipped } = await trainModel(d, request(), build);
    expect(v).toMatchObject({
      id: 'grid-load@1',
      model: 'grid-load',
      version: 1,
      kind: 'seasonal-naive',
      status: 'candidate',
      seriesIds: ['a', 'b', 'grid'],
      trainStart: new Date(UNTIL.getTime() - DAYS * DAY),
      trainEnd: UNTIL,
      codeVersion: 'test-0',
      createdBy: 'alice',
      features: ['calendar'],
      metrics: null,
      // A seasonal naive reads no weather: neither the weather nor its warnings concern it.
      weather: {},
      warnings: [],
      hasCompanion: false,
    });
    expect(skipped).toEqual(['c']);
    expect(await registry.model('grid-load')).toMatchObject({ family: 'load' });
    // The data hash is that of the training window's inputs, loaded again.
    const again = await inputs.load({ seriesIds: ['a', 'b', 'c', 'grid'], origin: UNTIL, historyDays: DAYS, horizonSteps: 0 });
    expect(v.dataHash).toBe(again.hash);
    const audit = await registry.audit({ entityId: v.id });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'alice',
      action: 'register',
      entity: 'model_version',
      toStatus: 'candidate',
      reason: 'trained seasonal-naive on 3 series',
      details: { kind: 'seasonal-naive', dataHash: v.dataHash, skipped: ['c'], weather: 'none', trainEnd: UNTIL },
    });

    const { version: v2 } = await trainModel(d, request({ kind: 'profile', params: {}, seriesIds: ['a'], trainEnd: new Date('2026-01-05T00:00:00Z'), historyDays: 21 }), build);
    expect(v2).toMatchObject({ id: 'grid-load@2', version: 2, kind: 'profile', seriesIds: ['a'], trainEnd: new Date('2026-01-05T00:00:00Z'), trainStart: new Date('2025-12-15T00:00:00Z') });
    expect((await registry.versions({ model: 'grid-load' })).map((x) => x.id).sort()).toEqual(['grid-load@1', 'grid-load@2']);
  });

  it('trains a weather model on the temperature of the series that have it, records that weather and the warnings, and stores the weather-free companion', async () => {
    const { d, registry } = deps();
    const { version: v } = await trainModel(d, request({ model: 'feeders', kind: 'gam', params: GAM, seriesIds: ['a', 'b'] }), build);
    expect(v).toMatchObject({ id: 'feeders@1', kind: 'gam', seriesIds: ['a', 'b'], features: ['calendar', 'temperature'], hasCompanion: true });
    expect(v.weather).toEqual({ a: { stations: [{ station: 'st-a', weight: 1 }], from: 'own' }, b: null });
    expect(v.warnings).toHaveLength(1);
    expect(v.warnings[0]).toMatch(/^WEATHER_UNMAPPED: b /);
    const [entry] = await registry.audit({ entityId: v.id });
    expect(entry.details).toMatchObject({ weather: 'temperature', warnings: v.warnings });
  }, 60_000);

  it('names in the warnings and the audit the days a GAM was fitted without (an outage)', async () => {
    const start = UNTIL.getTime() - DAYS * DAY;
    const outage = [15, 16].map((d) => start + d * DAY);
    const normal = load(200);
    const b = { load: (ms: number) => normal(ms) * (outage.some((t) => ms >= t && ms < t + DAY) ? 0.4 : 1) };
    const { d, registry } = deps({ series: { ...SERIES, b } });
    const { version: v } = await trainModel(d, request({ model: 'feeders', kind: 'gam', params: GAM, seriesIds: ['a', 'b'] }), build);
    const days = outage.map((t) => new Date(t).toISOString().slice(0, 10));
    expect(v.warnings.find((w) => w.startsWith('GAM_ABNORMAL_DAYS'))).toBe(`GAM_ABNORMAL_DAYS: 1 series was fitted without days judged abnormal (a daily mean far from a normal day's: an outage, a storm, a holiday too rare in the history for an effect of its own), b: 2 (${days.join(', ')}); each series' model explanation lists them; abnormalDayThreshold: 0 fits on every day.`);
    const [entry] = await registry.audit({ entityId: v.id });
    expect(entry.details).toMatchObject({ warnings: v.warnings });
    const { version: all } = await trainModel(d, request({ model: 'feeders', kind: 'gam', params: { ...GAM, abnormalDayThreshold: 0 }, seriesIds: ['a', 'b'] }), build);
    expect(all.warnings.some((w) => w.startsWith('GAM_ABNORMAL_DAYS'))).toBe(false);
  }, 60_000);

  it('scores the named backtest over the actuals after the window and stores it in the metrics under its name', async () => {
    const { d, registry } = deps();
    const trainEnd = new Date(UNTIL.getTime() - 4 * DAY);
    const { version: v } = await trainModel(d, request({ seriesIds: ['a', 'b'], trainEnd, backtest: { name: 'next-3-days', origins: 3, horizon: 24 } }), build);
    const m = v.metrics?.['next-3-days'] as Record<string, any>;
    expect(m).toMatchObject({ horizon: 24, origins: 3, refitEvery: 7, weather: 'none' });
    // Out of sample: the first origin is the first local midnight at or after the end of the window.
    expect(new Date(m.from).getTime()).toBeGreaterThanOrEqual(trainEnd.getTime());
    expect(Object.keys(m.series).sort()).toEqual(['a', 'b']);
    expect(m.all).not.toBeNull();
    expect(m.series.a).not.toHaveProperty('error');
    expect((await registry.audit({ entityId: v.id }))[0].details).toMatchObject({ backtest: 'next-3-days' });
  });

  it('refuses a backtest without actuals after the window, before training, registering nothing', async () => {
    const { d, registry } = deps();
    await expect(trainModel(d, request({ backtest: { name: 'next-3-days', origins: 3, horizon: 24 } }), build)).rejects.toMatchObject({ code: 'BACKTEST_TOO_FEW_DATA' });
    await expectEmpty(registry);
  });

  it.each([
    ['no actuals at all', { series: { ...SERIES, a: { load: () => Number.NaN }, b: { load: () => Number.NaN }, grid: { load: () => Number.NaN } } }, {}, 'TRAIN_NO_DATA'],
    ['no actuals in the window', {}, { seriesIds: ['a'], trainEnd: new Date(UNTIL.getTime() + 60 * DAY), historyDays: 7 }, 'TRAIN_NO_DATA'],
    ['two hierarchies and no root', { rows: [...ROWS, row('other', null), row('other.x', 'other')] }, {}, 'TRAIN_SERIES_REQUIRED'],
    ['no hierarchy at all', { rows: [row('a', null)] }, {}, 'TRAIN_SERIES_REQUIRED'],
    ['an invalid model name', {}, { model: 'grid load!' }, 'MODEL_NAME_INVALID'],
    ['an unknown series', {}, { seriesIds: ['a', 'nowhere'] }, 'SERIES_NOT_FOUND'],
    ['an unknown root', {}, { root: 'nowhere' }, 'SERIES_NOT_FOUND'],
    ['an end off the whole hour', {}, { trainEnd: new Date(UNTIL.getTime() - 30 * 60_000) }, 'TRAIN_END_INVALID'],
    ['nobody training', {}, { actor: ' ' }, 'ACTOR_REQUIRED'],
  ] as const)('refuses %s, registering nothing', async (_, data, over, code) => {
    const { d, registry } = deps(data as Partial<FakeTrainingData>);
    await expect(trainModel(d, request(over as Partial<TrainRequest>), build)).rejects.toMatchObject({ code });
    await expectEmpty(registry);
  });

  it('keeps a model to its family: a version of another family is refused and the model keeps its versions', async () => {
    const { d, registry } = deps();
    await trainModel(d, request(), build);
    await expect(trainModel(d, request({ family: 'pv' }), build)).rejects.toMatchObject({ code: 'MODEL_FAMILY_MISMATCH' });
    expect((await registry.versions()).map((v) => v.id)).toEqual(['grid-load@1']);
  });
});
