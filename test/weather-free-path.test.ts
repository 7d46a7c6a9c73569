import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../core/config.ts';
import { validateTopology } from '../core/topology/validate.ts';
import { registryServiceOf } from '../bin/lib/registry-service.ts';
import { trainModel } from '../forecast/registry/service.ts';
import { trainDeps } from '../bin/lib/train-deps.ts';
import { reproduceRun, runForecast } from '../forecast/run/service.ts';
import { configuredForecaster } from '../models/configured.ts';
import type { Db } from '../store/db.ts';
import { readForecasts, readRun } from '../store/forecasts.repository.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import type { MeasurementInput } from '../core/series.ts';
import { createModel, getVersion, insertVersion, loadArtifact, loadCompanionArtifact } from '../store/registry.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { insertWeatherForecasts, insertWeatherObs } from '../store/weather.repository.ts';
import { backends, freshDb } from './db.ts';
import { reproduceDeps, runDeps } from '../bin/lib/run-deps.ts';

/**
 * Item 3: a champion trained with weather, and runs with observed temperatures but no weather
 * forecast issued for the horizon. The run must take the champion's weather-free companion,
 * labelled, and say so — never a seasonal-naive fallback behind a warning that promised otherwise.
 *
 *   grid (no station) ── f1 (station s1)
 *                     └─ f2 (s1 and s2, half each)
 */
const H = 3_600_000;
const DAYS = 35;
const START = Date.parse('2025-01-06T00:00:00Z');
const END = START + DAYS * 24 * H;
const temp = (station: string, t: number) => (station === 's1' ? 6 : 8) + 4 * Math.sin((2 * Math.PI * (t / H - 9)) / 24) + 3 * Math.sin(t / H / 90);
const load = (id: string, t: number) => {
  const h = (t / H) % 24;
  const weekend = [0, 6].includes(new Date(t).getUTCDay());
  const level = id === 'f1' ? 100 : 60;
  const tf = id === 'f1' ? temp('s1', t) : (temp('s1', t) + temp('s2', t)) / 2;
  return level + 15 * Math.sin((2 * Math.PI * (h - 6)) / 24) - (weekend ? 8 : 0) - 1.5 * (tf - 8) + Math.sin(t / H / 3.7);
};
// A small GAM, enough to learn the temperature effect in a few seconds.
const GAM = { minHistoryDays: 28, halfLivesHours: [24], hourKnots: 8, tempKnots: 5, tempHourKnots: 5, inertiaKnots: 4, tempSeasonKnots: 0 };
const config = ConfigSchema.parse({ forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: DAYS, reconciliation: 'bottom-up' } });
const build = (kind: string, params: Record<string, unknown>) => configuredForecaster({ kind, params });

async function seed(db: Db): Promise<void> {
  await saveTopology(
    db,
    validateTopology({
      timeZone: 'UTC',
      // s3 never observes anything.
      weatherStations: ['s1', 's2', 's3'],
      nodes: [
        { id: 'grid', kind: 'load', unit: 'MW' },
        { id: 'f1', parent: 'grid', kind: 'load', unit: 'MW', weatherStation: 's1' },
        { id: 'f2', parent: 'grid', kind: 'load', unit: 'MW', weatherStation: [{ station: 's1', weight: 1 }, { station: 's2', weight: 1 }] },
      ],
    }),
  );
  const points: MeasurementInput[] = [];
  const obs = [];
  for (let t = START; t < END; t += H) {
    for (const id of ['f1', 'f2']) points.push({ seriesId: id, ts: new Date(t), value: load(id, t) });
    for (const s of ['s1', 's2']) obs.push({ stationId: s, variable: 'temperature', ts: new Date(t), value: temp(s, t) });
  }
  await db.transaction((tx) => insertMeasurements(tx, points));
  await insertWeatherObs(db, obs);
}

describe.each(backends)('a weather-trained champion without a weather forecast on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await seed(db);
    const { version } = await trainModel(
      trainDeps(db, config),
      { model: 'feeders', kind: 'gam', params: GAM, seriesIds: ['f1', 'f2'], trainEnd: new Date(END), historyDays: DAYS, actor: 'test', codeVersion: 'test' },
      build,
    );
    await registryServiceOf(db).promote(version.id, { actor: 'test', reason: 'weather model' });
  }, 120_000);
  afterAll(() => db?.close());

  it('records the weather it was trained on and stores its weather-free companion', async () => {
    const v = (await getVersion(db, 'feeders@1'))!;
    expect(v.features).toContain('temperature');
    expect(v.weather).toEqual({
      f1: { stations: [{ station: 's1', weight: 1 }], from: 'own' },
      f2: { stations: [{ station: 's1', weight: 0.5 }, { station: 's2', weight: 0.5 }], from: 'own' },
    });
    expect(v.hasCompanion).toBe(true);
  });

  it('with observed temperatures only, serves the companion, labelled, and the warning says what ran', async () => {
    const s = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: new Date(END) });
    const run = await readRun(db, s.runId);
    expect(run.modelVersions).toMatchObject({ f1: 'feeders@1/weather-free', f2: 'feeders@1/weather-free' });
    const rows = await readForecasts(db, s.runId, { grain: '1h' });
    for (const id of ['f1', 'f2']) {
      const mine = rows.filter((r) => r.seriesId === id);
      expect(mine).toHaveLength(24);
      for (const r of mine) {
        expect(r.model).toBe('gam');
        expect(r.modelVersion).toBe('feeders@1/weather-free');
        expect(r.fallbackReason).toBe(`weather-free companion (no complete weather forecast issued at or before ${new Date(END).toISOString()})`);
      }
    }
    expect(s.warnings).toContain(`WEATHER_FORECAST_MISSING: no complete weather forecast issued at or before ${new Date(END).toISOString()} for 2 series whose model uses weather: f1, f2 ran on the weather-free companion (gam)`);
    expect(s.warnings.join('\n')).not.toMatch(/seasonal-naive|weather-free path/);
    // The run records the weather of every series; the root's comes from its feeders.
    expect(run.settings.weather!.grid).toMatchObject({ from: 'descendants' });
    expect(run.warnings).toEqual(s.warnings);
    expect(await reproduceRun(reproduceDeps(db), s.runId)).toMatchObject({ identical: true });
  }, 60_000);

  it('with a weather forecast issued, serves the champion itself with weather', async () => {
    const fc = ['s1', 's2'].flatMap((stationId) =>
      Array.from({ length: 48 }, (_, k) => ({ stationId, variable: 'temperature', issuedAt: new Date(END - H), targetTs: new Date(END + k * H), value: temp(stationId, END + k * H) })),
    );
    await insertWeatherForecasts(db, fc);
    const s = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: new Date(END) });
    const rows = await readForecasts(db, s.runId, { grain: '1h' });
    for (const r of rows.filter((x) => x.seriesId !== 'grid')) expect([r.model, r.modelVersion, r.fallbackReason]).toEqual(['gam', 'feeders@1', null]);
    expect(s.warnings.some((w) => w.startsWith('WEATHER_FORECAST_MISSING'))).toBe(false);
  }, 60_000);

  it('a champion stored without a companion gets its own spec fitted without weather in the run, labelled so', async () => {
    const v = (await getVersion(db, 'feeders@1'))!;
    await createModel(db, { name: 'legacy', family: 'load' });
    const { id } = await insertVersion(db, { ...v, model: 'legacy', artifact: await loadArtifact(db, v.id) });
    await registryServiceOf(db).promote(id, { actor: 'test', reason: 'older version', replaceOverlap: true });
    // A day earlier: the forecast above was issued after that origin, so none is visible.
    const asOf = new Date(END - 24 * H);
    const s = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf });
    const f1 = await readForecasts(db, s.runId, { seriesId: 'f1', grain: '1h' });
    for (const r of f1) {
      expect([r.model, r.modelVersion]).toEqual(['gam', 'legacy@1/weather-free']);
      expect(r.fallbackReason).toBe(`weather-free companion fitted in the run (no complete weather forecast issued at or before ${asOf.toISOString()})`);
    }
  }, 60_000);

  it('a champion whose stations observed nothing over the history takes its companion too, and the run says why', async () => {
    const v = (await getVersion(db, 'feeders@1'))!;
    await createModel(db, { name: 'blind', family: 'load' });
    const weather = { f1: { stations: [{ station: 's3', weight: 1 }], from: 'own' } };
    const { id } = await insertVersion(db, { ...v, model: 'blind', seriesIds: ['f1'], weather, artifact: await loadArtifact(db, v.id), companion: (await loadCompanionArtifact(db, v.id))! });
    await registryServiceOf(db).promote(id, { actor: 'test', reason: 'recorded on s3', replaceOverlap: true });
    const s = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: new Date(END) });
    const f1 = await readForecasts(db, s.runId, { seriesId: 'f1', grain: '1h' });
    for (const r of f1) expect([r.model, r.modelVersion, r.fallbackReason]).toEqual(['gam', 'blind@1/weather-free', 'weather-free companion (no observed temperature over the history)']);
    expect(s.warnings).toContain('WEATHER_HISTORY_MISSING: no observed temperature over the history for 1 series whose model uses weather: f1 ran on the weather-free companion (gam)');
    expect(s.warnings.some((w) => w.startsWith('WEATHER_INPUT_RECORDED: 1 series use the weather recorded with their model or run'))).toBe(true);
  }, 60_000);
});
