import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cliStore } from './aggregates-fixtures.ts';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { readServices } from '../bin/lib/read-services.ts';
import { testApp } from './api-app.ts';
import { authAs } from './api-auth.ts';
import { expectProblem } from './api-problem.ts';
import { ConfigSchema } from '../core/config.ts';
import type { MeasurementInput } from '../core/series.ts';
import { validateTopology } from '../core/topology/validate.ts';
import { registryServiceOf } from '../bin/lib/registry-service.ts';
import { runDeps } from '../bin/lib/run-deps.ts';
import { trainDeps } from '../bin/lib/train-deps.ts';
import { loadRunInputs } from '../forecast/inputs.ts';
import { trainModel } from '../forecast/registry/service.ts';
import { runForecast } from '../forecast/run/service.ts';
import { forecastValue } from '../api/routes/v1/forecasts.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { configuredForecaster } from '../models/configured.ts';
import { detectDrift } from '../monitoring/drift.service.ts';
import type { Db } from '../store/db.ts';
import { backends } from './db.ts';
import { readForecasts } from '../store/forecasts.repository.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { runStoreRepository } from '../store/run-store.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { insertWeatherForecasts, insertWeatherObs } from '../store/weather.repository.ts';
import { fakeEvents } from './fakes/events.ts';

/**
 * Scenario 9 (REQUIREMENTS): a heatwave beyond the training range. A GAM + ARIMA champion trained
 * on the summer of 2025 of the simulated grid; in July 2026 the observed temperature of its
 * station is raised by HEAT °C from 5 July, and the forecast for the day ahead by twice that. The drift alarm fires with its business
 * threshold, the day-ahead values whose temperature lies beyond the training range are flagged,
 * one out-of-range event per series, and the GAM + ARIMA path (no GPU) still delivers.
 * Only the weather inputs are raised: the simulated load keeps its own weather, which is enough
 * for drift of the inputs and flags on them. On both backends: the flags are stored with the values.
 */
const H = 3_600_000;
const HEAT = 9;
const HEAT_FROM = Date.parse('2026-07-04T22:00:00Z'); // 5 July, local midnight
const FROM = Date.parse('2025-06-01T00:00:00Z');
const TRAIN_END = new Date('2025-09-01T00:00:00Z');
const AS_OF = new Date('2026-07-20T06:00:00Z');
const TO = AS_OF.getTime();
const ZONE = 'Europe/Paris';
const TOPOLOGY = validateTopology({
  timeZone: ZONE,
  weatherStations: [{ id: 'ws.paris', name: 'Paris', latitude: 48.85, longitude: 2.35 }],
  nodes: [
    { id: 'region', kind: 'load', unit: 'MW', weatherStation: 'ws.paris' },
    { id: 'ss.a', parent: 'region', kind: 'load', unit: 'MW', attrs: { sim: { base: 120, industrial: 0.3 } } },
    { id: 'ss.b', parent: 'region', kind: 'load', unit: 'MW' },
  ],
});
const GAM = { minHistoryDays: 28, halfLivesHours: [24], hourKnots: 8, tempKnots: 5, tempHourKnots: 5, inertiaKnots: 4, tempSeasonKnots: 0 };
const config = ConfigSchema.parse({
  timeZone: ZONE,
  forecast: { defaultModel: { kind: 'seasonal-naive' }, historyDays: 420, reconciliation: 'bottom-up' },
});
/** The forecast day is the peak of the heatwave: twice the excess of the fortnight before. */
const CLI = new URL('../bin/gridcast.mjs', import.meta.url).pathname;
const exec = promisify(execFile);
const configDir = mkdtempSync(join(tmpdir(), 'gridcast-scenario-9-'));
const configFile = join(configDir, 'config.json');
writeFileSync(configFile, JSON.stringify({ timeZone: ZONE, forecast: config.forecast }));
afterAll(() => rmSync(configDir, { recursive: true, force: true }));
const heated = (ts: number, v: number) => (ts >= TO ? v + 2 * HEAT : ts >= HEAT_FROM ? v + HEAT : v);

describe.each(backends)('scenario 9: a heatwave beyond the training range (%s)', (kind) => {
  let store: Awaited<ReturnType<typeof cliStore>>;
  let db: Db;
  let championId: string;
  /** Observed temperature as stored, by hour. */
  const observed = new Map<number, number>();
  /** The day-ahead run's temperature forecast (the one issue before its origin), by target hour. */
  const forecast = new Map<number, number>();

  beforeAll(async () => {
    store = await cliStore(kind);
    db = await store.open();
    await saveTopology(db, TOPOLOGY);
    const sim = createSimulator({ seed: 42, topology: TOPOLOGY, faults: false, weatherStepSec: 3600 });
    for (const batch of sim.chunks(new Date(FROM), new Date(TO), 3600, 60 * 86_400)) {
      const points: MeasurementInput[] = batch.measurements.map((m) => ({ seriesId: m.seriesId, ts: m.ts, value: m.value }));
      await db.transaction((tx) => insertMeasurements(tx, points));
      const temps = batch.weather.filter((w) => w.variable === 'temperature').map((w) => ({ ...w, value: heated(w.ts.getTime(), w.value) }));
      for (const w of temps) observed.set(w.ts.getTime(), w.value);
      await insertWeatherObs(db, temps);
    }
    const issue = sim.weatherForecasts(new Date(TO - H), new Date(TO + H)).filter((f) => f.issuedAt.getTime() === TO);
    const fc = issue.map((f) => ({ ...f, value: heated(f.targetTs.getTime(), f.value) }));
    for (const f of fc) forecast.set(f.targetTs.getTime(), f.value);
    await insertWeatherForecasts(db, fc);
    const { version } = await trainModel(
      trainDeps(db, config),
      { model: 'substations', kind: 'gam-arima', params: { base: { kind: 'gam', params: GAM } }, seriesIds: ['ss.a', 'ss.b'], trainEnd: TRAIN_END, historyDays: 92, actor: 'test', codeVersion: 'test' },
      (kind, params) => configuredForecaster({ kind, params }),
    );
    championId = version.id;
    expect(version.features).toContain('temperature');
    await registryServiceOf(db).promote(version.id, { actor: 'test', reason: 'summer model' });
  }, 300_000);
  afterAll(async () => {
    await db?.close();
    await store?.cleanup();
  });

  const driftDeps = (now: Date) => ({ store: runStoreRepository(db), inputs: { load: (req: Parameters<typeof loadRunInputs>[1]) => loadRunInputs(db, req) }, config, now: () => now });

  it('before the heatwave, July against the training July and June is no drift', async () => {
    const events = fakeEvents();
    const before = new Date('2026-07-04T06:00:00Z');
    const report = await detectDrift({ ...driftDeps(before), events });
    expect(report.series.map((s) => s.seriesId)).toEqual(['ss.a', 'ss.b']);
    for (const s of report.series) {
      expect(s.reference.months).toEqual([6, 7]);
      expect(s.drifted).toEqual([]);
    }
    expect(events.rows).toEqual([]);
  }, 60_000);

  it('the drift alarm fires on temperature with its business threshold', async () => {
    const events = fakeEvents();
    const report = await detectDrift({ ...driftDeps(AS_OF), events });
    for (const s of report.series) {
      expect(s.modelVersion).toBe(championId);
      expect(s.reference.months).toEqual([6, 7, 8]);
      const t = s.features.find((f) => f.feature === 'temperature')!;
      expect(t.drift).toBe(true);
      expect(t.pAdjusted!).toBeLessThan(0.05);
      expect(t.wasserstein!).toBeGreaterThanOrEqual(0.5);
    }
    const temperatureEvents = events.rows.filter((e) => e.kind === 'drift' && e.detail.feature === 'temperature');
    expect(temperatureEvents.map((e) => e.seriesId).sort()).toEqual(['ss.a', 'ss.b']);
    expect(temperatureEvents[0].detail).toMatchObject({ thresholds: { alpha: 0.05, psi: 0.2, wasserstein: 0.5 }, correction: 'holm', test: 'ks' });
  }, 60_000);

  it('flags the day-ahead values whose temperature is beyond the training range, one event per series, and GAM + ARIMA still delivers', async () => {
    const events = fakeEvents();
    const s = await runForecast({ ...runDeps(db, config), events }, { horizon: 'day-ahead', asOf: AS_OF });
    const trained = [...observed].filter(([ts]) => ts >= FROM && ts < TRAIN_END.getTime()).map(([, v]) => v);
    const [lo, hi] = [Math.min(...trained), Math.max(...trained)];
    const rows = await readForecasts(db, s.runId);
    for (const id of ['ss.a', 'ss.b']) {
      const hourly = rows.filter((r) => r.seriesId === id && r.grain === '1h');
      expect(hourly).toHaveLength(24);
      // The GAM + ARIMA champion made them, not a fallback.
      for (const r of hourly) expect({ version: r.modelVersion, fallback: r.fallbackReason }).toEqual({ version: championId, fallback: null });
      const beyond = hourly.map((r) => forecast.get(r.targetTs.getTime())!).map((t) => t > hi || t < lo);
      expect(beyond.some(Boolean)).toBe(true);
      expect(hourly.map((r) => r.flags?.includes('out-of-range') ?? false)).toEqual(beyond);
      const day = rows.find((r) => r.seriesId === id && r.grain === '1d')!;
      expect(day.flags).toEqual(['out-of-range']);
      expect(forecastValue(day).flags).toEqual(['out-of-range']);
    }
    // The region runs on seasonal-naive (the default model here), which takes no temperature: nothing to flag.
    expect(s.outOfRange.map((o) => o.seriesId).sort()).toEqual(['ss.a', 'ss.b']);
    const oor = events.rows.filter((e) => e.kind === 'out-of-range');
    expect(oor.map((e) => e.seriesId).sort()).toEqual(['ss.a', 'ss.b']);
    for (const e of oor) {
      expect(e).toMatchObject({ runId: s.runId, modelVersion: championId, detail: { input: 'temperature' } });
      expect(e.detail.trainingMax).toBeCloseTo(hi, 10);
      expect(e.detail.highest as number).toBeGreaterThan(hi);
    }
  }, 180_000);

  it('gridcast drift prints the same statistics, per feature', async () => {
    await db.close();
    const env = { ...process.env, ...store.env, GRIDCAST_CONFIG: configFile };
    const json = JSON.parse((await exec('node', [CLI, 'drift', '--as-of', AS_OF.toISOString(), '--format', 'json'], { env })).stdout);
    const table = (await exec('node', [CLI, 'drift', '--series', 'ss.a', '--as-of', AS_OF.toISOString()], { env })).stdout;
    db = await store.open();
    const report = await detectDrift({ ...driftDeps(AS_OF) });
    expect(json.series.map((s: { seriesId: string }) => s.seriesId)).toEqual(['ss.a', 'ss.b']);
    const fromCli = json.series[0].features.find((f: { feature: string }) => f.feature === 'temperature');
    const fromService = report.series[0].features.find((f) => f.feature === 'temperature')!;
    expect(fromCli).toEqual(JSON.parse(JSON.stringify(fromService)));
    expect(table).toMatch(/^ss\.a +substations@1 +temperature +ks +14 +42 .* DRIFT$/m);
    expect(table).toContain('ss.a: recent 2026-07-06 to 2026-07-19, reference months 6,7,8 (42 days of 2025-06-01 to 2025-09-01)');

    // The API serves the same report (the CLI reads it there while a server holds the store).
    const app = await testApp({ ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] }, reads: readServices(db, config) });
    try {
      const headers = await authAs(db, 'viewer');
      const res = await app.inject({ method: 'GET', url: `/api/v1/drift?series=ss.a&asOf=${encodeURIComponent(AS_OF.toISOString())}`, headers });
      expect(res.statusCode).toBe(200);
      const served = res.json();
      expect(served.series).toHaveLength(1);
      expect(served.series[0].features).toEqual(json.series[0].features);
      const unknown = await app.inject({ method: 'GET', url: '/api/v1/drift?series=nowhere', headers });
      expect(unknown.statusCode).toBe(404);
      expectProblem(unknown, 'SERIES_NOT_FOUND');
    } finally {
      await app.close();
    }
  }, 180_000);
});
