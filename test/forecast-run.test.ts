import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { RECONCILIATION_METHODS } from '../core/config.ts';
import { loadRunInputs } from '../forecast/inputs.ts';
import { registryServiceOf } from '../bin/lib/registry-service.ts';
import { trainModel } from '../forecast/registry/service.ts';
import { trainDeps } from '../bin/lib/train-deps.ts';
import { runForecast, reproduceRun } from '../forecast/run/service.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { buildForecaster } from '../models/auto.ts';
import { validateTopology } from '../core/topology/validate.ts';
import type { Db } from '../store/db.ts';
import { latestRun, readForecasts, readRun } from '../store/forecasts.repository.ts';
import type { ForecastRow } from '../core/forecast-run.ts';
import { backends, freshDb } from './db.ts';
import { AS_OF_MARCH, AS_OF_OCTOBER, coherenceViolations, quantilesAddUp, dailyViolations, forecastConfig, seedGrid, TOPOLOGY } from './fixtures/runs/grid.ts';
import { reproduceDeps, runDeps } from '../bin/lib/run-deps.ts';

/** Hour starts of the Paris local day starting at `dayStart`. */
const parisHours = (dayStart: Date): Date[] => {
  const end = DateTime.fromJSDate(dayStart, { zone: 'Europe/Paris' }).plus({ days: 1 }).toMillis();
  const out: Date[] = [];
  for (let t = dayStart.getTime(); t < end; t += 3_600_000) out.push(new Date(t));
  return out;
};
const bySeries = (rows: ForecastRow[], grain: '1h' | '1d') => {
  const m = new Map<string, ForecastRow[]>();
  for (const r of rows.filter((x) => x.grain === grain)) m.set(r.seriesId, [...(m.get(r.seriesId) ?? []), r]);
  return m;
};
const IDS = ['grid', 'north', 'south', 'ss1', 'ss2', 'ss3', 'train'];

describe.each(backends)('forecast runs on %s', (kind) => {
  let db: Db;
  const config = forecastConfig();
  const runs = new Map<string, number>();
  beforeAll(async () => {
    db = await freshDb(kind);
    await seedGrid(db);
  });
  afterAll(() => db?.close());

  it.each(RECONCILIATION_METHODS)('day-ahead on a 23-hour day with %s: children sum to parents for the mean (each quantile too where the bands are comonotonic), hourly and daily', async (method) => {
    const s = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH, method });
    runs.set(method, s.runId);
    const run = await readRun(db, s.runId);
    expect(run.reconciliation).toBe(method);
    expect(run.reconciliationApplied.startsWith(method)).toBe(true);
    expect(run.windowStart.toISOString()).toBe('2025-03-29T23:00:00.000Z');
    expect(run.settings.quantiles).toEqual([0.1, 0.5, 0.9]);
    const rows = await readForecasts(db, s.runId);
    const hourly = bySeries(rows, '1h');
    const daily = bySeries(rows, '1d');
    expect([...hourly.keys()].sort()).toEqual([...IDS].sort());
    for (const id of IDS) {
      expect(hourly.get(id)).toHaveLength(23);
      expect(daily.get(id)!.map((r) => r.targetTs.toISOString())).toEqual(['2025-03-29T23:00:00.000Z']);
    }
    const { violations, checks } = coherenceViolations(rows, run);
    expect(violations).toEqual([]);
    expect(checks).toBe(3 * 24 * (quantilesAddUp(run) ? 4 : 1)); // 3 aggregates × (23 hours + 1 day) × (mean + 3 quantiles where they add up)
    expect(dailyViolations(rows, parisHours)).toEqual([]);
    for (const r of rows) expect(r.quantiles['0.1']).toBeLessThanOrEqual(r.quantiles['0.9']);
    // Bottom-up keeps the bottom base forecasts; every other method moves them.
    const moved = rows.filter((r) => ['ss2', 'ss3', 'train'].includes(r.seriesId) && r.mean !== r.baseMean).length;
    if (method === 'bottom-up') expect(moved).toBe(0);
    else expect(moved).toBeGreaterThan(0);
  });

  it('labels the series with 3 days of history as a fallback, and records model versions', async () => {
    const run = await readRun(db, runs.get('mint-shrink')!);
    const rows = await readForecasts(db, run.id, { seriesId: 'ss1', grain: '1h' });
    expect(new Set(rows.map((r) => r.model))).toEqual(new Set(['shallow-history']));
    for (const r of rows) expect(r.fallbackReason).toBe('model-failed (seasonal-naive: HISTORY_MISSING); short-history');
    expect((await readForecasts(db, run.id, { seriesId: 'ss2' })).every((r) => r.model === 'seasonal-naive' && r.fallbackReason === null)).toBe(true);
    expect(Object.keys(run.modelVersions).sort()).toEqual([...IDS].sort());
    for (const v of Object.values(run.modelVersions)) expect(v).toMatch(/^fit:seasonal-naive:[0-9a-f]{64}$/);
    expect(run.warnings.some((w) => w.startsWith('ss1: seasonal-naive: HISTORY_MISSING'))).toBe(true);
  });

  it('counts the moving load once at every level; allocation views spread it over its substations', async () => {
    const id = runs.get('mint-shrink')!;
    const at = (rows: ForecastRow[], s: string) => rows.find((r) => r.seriesId === s && r.grain === '1d')!;
    const stored = await readForecasts(db, id);
    const average = await readForecasts(db, id, { allocation: 'average' });
    const worst = await readForecasts(db, id, { allocation: 'worst-case' });
    const train = at(stored, 'train');
    expect(train.mean).toBeGreaterThan(1);
    // Stored: the load is its own child of the grid, not inside any substation or region.
    expect(at(stored, 'grid').mean).toBeCloseTo(at(stored, 'north').mean + at(stored, 'south').mean + train.mean, 9);
    for (const [view, share] of [
      [average, 0.5],
      [worst, 1],
    ] as const) {
      for (const s of ['ss2', 'ss3', 'north', 'south']) {
        expect(at(view, s).mean).toBeCloseTo(at(stored, s).mean + share * train.mean, 9);
        expect(at(view, s).quantiles['0.9']).toBeCloseTo(at(stored, s).quantiles['0.9'] + share * train.quantiles['0.9'], 9);
        expect(at(view, s).allocated).toEqual({ rule: share === 1 ? 'worst-case' : 'average', movingLoads: ['train'] });
      }
      for (const s of ['grid', 'ss1', 'train']) expect(at(view, s)).toEqual(at(stored, s));
    }
    // Average shares add up: the regions' views sum to the grid, so the load is counted once.
    expect(at(average, 'north').mean + at(average, 'south').mean).toBeCloseTo(at(stored, 'grid').mean, 9);
    const one = await readForecasts(db, id, { seriesId: 'ss3', allocation: 'average', grain: '1h' });
    expect(one).toHaveLength(23);
    expect(one.every((r) => r.seriesId === 'ss3' && r.allocated)).toBe(true);
  });

  it('day-ahead on the 25-hour day of October, with the latest run of the horizon', async () => {
    const s = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_OCTOBER, method: 'wls' });
    expect((await latestRun(db, 'day-ahead'))!.id).toBe(s.runId);
    const run = await readRun(db, s.runId);
    const rows = await readForecasts(db, s.runId);
    for (const id of IDS) expect(bySeries(rows, '1h').get(id)).toHaveLength(25);
    expect(bySeries(rows, '1d').get('grid')!.map((r) => r.targetTs.toISOString())).toEqual(['2025-10-25T22:00:00.000Z']);
    expect(coherenceViolations(rows, run).violations).toEqual([]);
    expect(dailyViolations(rows, parisHours)).toEqual([]);
  });

  it('reproduces a stored run identically, and finds a changed number', async () => {
    const id = runs.get('mint-shrink')!;
    const r = await reproduceRun(reproduceDeps(db), id);
    expect(r).toMatchObject({ identical: true, inputsHashMatches: true, modelVersionsMatch: true, maxAbsDiff: 0, rowsDiffering: 0, values: 7 * 24 });
    const topDown = runs.get('top-down')!;
    await db.query(`UPDATE forecasts SET q[2] = q[2] + 1e-9 WHERE run_id = $1 AND series_id = 'ss2' AND grain = '1h' AND target_ts = $2`, [topDown, new Date('2025-03-30T05:00:00Z')]);
    const changed = await reproduceRun(reproduceDeps(db), topDown);
    expect(changed.identical).toBe(false);
    expect(changed.inputsHashMatches).toBe(true);
    expect(changed.maxAbsDiff).toBeGreaterThan(0);
    expect(changed.maxAbsDiff).toBeLessThan(1e-8);
  });

  it('mid-term: the model runs once per past year with complete weather, and P10/P50/P90 are taken over those years', async () => {
    // A small GAM with temperature: the scenarios differ only through the weather they replay.
    const gam = { kind: 'gam', params: { halfLivesHours: [24], hourKnots: 8, tempKnots: 5, tempHourKnots: 5, inertiaKnots: 4, tempSeasonKnots: 0 } };
    const s = await runForecast(runDeps(db, forecastConfig({ defaultModel: gam })), { horizon: 'mid-term', asOf: AS_OF_MARCH, root: 'south', method: 'bottom-up' });
    const run = await readRun(db, s.runId);
    expect(run.settings.scenarioYears).toEqual([2024, 2023, 2022, 2021, 2020, 2019, 2018, 2017, 2016, 2015]);
    expect(s.warnings).toContain('climatic scenario years without complete observed temperature, left out: 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022');
    const rows = await readForecasts(db, s.runId, { seriesId: 'ss3' });
    const hourly = rows.filter((r) => r.grain === '1h');
    const daily = rows.filter((r) => r.grain === '1d');
    // 52 weeks from 2025-03-30 (23 h) to 2026-03-28, through 2025-10-26 (25 h).
    expect(daily).toHaveLength(364);
    expect(hourly).toHaveLength(364 * 24);
    expect(hourly.every((r) => r.model === 'gam' && r.fallbackReason === null)).toBe(true);
    // Over two paths a and b (type 7): P50 is their mean, P10 and P90 sit symmetrically around it.
    let spread = 0;
    for (const r of hourly) {
      const [p10, p50, p90] = [r.quantiles['0.1'], r.quantiles['0.5'], r.quantiles['0.9']];
      expect(p50).toBeCloseTo(r.mean, 9);
      expect(p90 - p50).toBeCloseTo(p50 - p10, 9);
      spread = Math.max(spread, p90 - p10);
    }
    expect(spread).toBeGreaterThan(0.1);
    expect(coherenceViolations(await readForecasts(db, s.runId), run).violations).toEqual([]);
    expect(dailyViolations(rows, parisHours)).toEqual([]);
  });

  it('week-ahead beyond the weather forecast: the weather model runs without weather, labelled, and the run says so; intraday has no whole day', async () => {
    const gam = { kind: 'gam', params: { halfLivesHours: [24], hourKnots: 8, tempKnots: 5, tempHourKnots: 5, inertiaKnots: 4, tempSeasonKnots: 0 } };
    const week = await runForecast(runDeps(db, forecastConfig({ defaultModel: gam })), { horizon: 'week-ahead', asOf: AS_OF_MARCH, root: 'south', method: 'bottom-up' });
    // The forecast issued before the origin covers 60 hours of the 182 the run needs.
    const why = 'no complete weather forecast issued at or before 2025-03-29T10:00:00.000Z';
    expect(week.warnings).toContain(`WEATHER_FORECAST_MISSING: ${why} for 2 series whose model uses weather: south, ss3 ran on the weather-free companion (gam)`);
    const rows = await readForecasts(db, week.runId);
    expect(rows.filter((r) => r.grain === '1d')).toHaveLength(2 * 7);
    for (const r of rows) {
      expect(r.model).toBe('gam');
      expect(r.fallbackReason).toBe(`weather-free companion (${why})`);
    }
    expect(dailyViolations(rows, parisHours)).toEqual([]);

    const intraday = await runForecast(runDeps(db, config), { horizon: 'intraday', asOf: new Date('2025-03-29T10:20:00Z'), method: 'wls' });
    const hours = await readForecasts(db, intraday.runId, { seriesId: 'grid' });
    // The hour in progress (10:00) and the 6 after it.
    expect(hours.map((r) => [r.grain, r.targetTs.toISOString()])).toEqual(Array.from({ length: 7 }, (_, k) => ['1h', new Date(Date.UTC(2025, 2, 29, 10 + k)).toISOString()]));
    expect(coherenceViolations(await readForecasts(db, intraday.runId), await readRun(db, intraday.runId)).violations).toEqual([]);
  });

  it('forecasts a node never measured as zero, labelled, and stays coherent', async () => {
    await saveTopology(db, validateTopology({ ...TOPOLOGY, nodes: [...TOPOLOGY.nodes, { id: 'ss4', parent: 'north', kind: 'load', unit: 'MW' }] }));
    const s = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH, method: 'ols' });
    const rows = await readForecasts(db, s.runId);
    const ss4 = rows.filter((r) => r.seriesId === 'ss4');
    expect(ss4).toHaveLength(24);
    for (const r of ss4) {
      expect(r.model).toBe('none');
      expect(r.baseMean).toBe(0);
      expect(r.fallbackReason).toContain('no-history: forecast as zero');
    }
    expect(s.fallbacks).toBe(2);
    expect(coherenceViolations(rows, await readRun(db, s.runId)).violations).toEqual([]);
  });

  // Last: the champions it promotes change what later runs fit.
  it('uses the champion of the registry, conditioned on the history up to the origin; a reproduction keeps the recorded version', async () => {
    const train = (params: Record<string, unknown>) =>
      trainModel(trainDeps(db, config), { model: 'substations', kind: 'profile', params, seriesIds: ['ss2', 'ss3'], trainEnd: new Date('2025-03-20T00:00:00Z'), historyDays: 21, actor: 'test', codeVersion: 'test' }, (k, p) =>
        buildForecaster({ kind: k, params: p }),
      );
    const first = (await train({ weeks: 3 })).version;
    await registryServiceOf(db).promote(first.id, { actor: 'test', reason: 'test' });
    const s = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH, method: 'ols' });
    const run = await readRun(db, s.runId);
    expect([run.modelVersions.ss2, run.modelVersions.ss3]).toEqual(['substations@1', 'substations@1']);
    expect(run.modelVersions.grid).toMatch(/^fit:seasonal-naive:/);
    const ss2 = (await readForecasts(db, s.runId, { seriesId: 'ss2', grain: '1h' }));
    expect(ss2.every((r) => r.model === 'profile' && r.modelVersion === 'substations@1' && r.fallbackReason === null)).toBe(true);
    // Conditioned: the same profile fitted on the run's own history (up to the origin), not the one stored at training.
    const inputs = await loadRunInputs(db, { seriesIds: ['ss2'], origin: run.origin, historyDays: run.settings.historyDays, horizonSteps: run.settings.horizonSteps, asOf: run.issuedAt });
    const fresh = await (await buildForecaster({ kind: 'profile', params: { weeks: 3 } }).fit([inputs.history.get('ss2')!])).predict(run.settings.horizonSteps);
    expect(ss2.map((r) => r.baseMean)).toEqual([...fresh[0].mean.slice(run.settings.windowOffset)]);

    const second = (await train({ weeks: 1 })).version;
    await registryServiceOf(db).promote(second.id, { actor: 'test', reason: 'test' });
    const r = await reproduceRun(reproduceDeps(db), s.runId);
    expect(r).toMatchObject({ identical: true, modelVersionsMatch: true, maxAbsDiff: 0 });
    const next = await readRun(db, (await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH, method: 'ols' })).runId);
    expect(next.modelVersions.ss2).toBe('substations@2');
  });
});
