import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../core/config.ts';
import { GridcastError } from '../../core/errors.ts';
import type { ModelVersion } from '../../core/registry.ts';
import type { Topology } from '../../core/topology/schema.ts';
import type { ModelArtifact } from '../../core/types.ts';
import { configuredForecaster } from '../../models/configured.ts';
import { fakeRunInputs, type FakeSeries } from '../../test/fakes/run-inputs.ts';
import { fakeRunStore, type FakeRunStoreInit } from '../../test/fakes/run-store.ts';
import { inlineGroups } from './workers.ts';
import type { GroupsRunner, RunDeps } from './ports.ts';
import { reproduceRun, runForecast } from './service.ts';

// The rules of making a run against an in-memory store and generated inputs: no database, no worker thread.

const HOUR = 3_600_000;
const ZONE = 'Europe/Paris';
const SEASONAL_NAIVE = { kind: 'seasonal-naive', params: { period: 'week' } };
const config = ConfigSchema.parse({ timeZone: ZONE, forecast: { defaultModel: SEASONAL_NAIVE, historyDays: 21, reconciliation: 'bottom-up' } });
const CLOCK = new Date('2026-01-12T08:20:00Z');

const node = (id: string, parent: string | null) => ({ id, parent, kind: 'load' as const, unit: 'MW', timeZone: ZONE, attrs: {} });
const TOPOLOGY: Topology = { timeZone: ZONE, nodes: [node('grid', null), node('a', 'grid'), node('b', 'grid')] };

const daily = (level: number) => (ms: number) => level + 10 * Math.sin((2 * Math.PI * (ms / HOUR)) / 24) + (Math.floor(ms / 86_400_000) % 7);
const SERIES: Record<string, FakeSeries> = { grid: { load: daily(300) }, a: { load: daily(100) }, b: { load: daily(200) } };

async function seasonalNaiveArtifact(id: string): Promise<ModelArtifact> {
  const start = CLOCK.getTime() - 21 * 24 * HOUR;
  const history = { id, start: new Date(start), stepSec: 3600, values: Float64Array.from({ length: 21 * 24 }, (_, k) => daily(100)(start + k * HOUR)) };
  return (await configuredForecaster(SEASONAL_NAIVE).fit([history])).toArtifact();
}

const version = (id: string, seriesIds: string[], artifact: ModelArtifact, over: Partial<ModelVersion> = {}): ModelVersion => ({
  id,
  model: id.split('@')[0],
  version: 1,
  kind: artifact.spec.kind,
  spec: artifact.spec,
  features: [],
  seriesIds,
  trainStart: new Date('2025-12-01T00:00:00Z'),
  trainEnd: new Date('2026-01-01T00:00:00Z'),
  dataHash: 'd',
  codeVersion: 'test',
  metrics: null,
  weather: {},
  warnings: [],
  hasCompanion: false,
  status: 'champion',
  statusAt: new Date('2026-01-02T00:00:00Z'),
  createdAt: new Date('2026-01-01T00:00:00Z'),
  createdBy: 'test',
  ...over,
});

function setup(opts: { series?: Record<string, FakeSeries>; versions?: FakeRunStoreInit['versions']; workers?: GroupsRunner } = {}) {
  const store = fakeRunStore({ topology: TOPOLOGY, ...(opts.versions ? { versions: opts.versions } : {}) });
  const inputs = fakeRunInputs(opts.series ?? SERIES);
  const deps: RunDeps = { store, inputs, workers: opts.workers ?? inlineGroups, config, now: () => CLOCK };
  return { store, inputs, deps };
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof GridcastError ? e.code : String(e)));

describe('making a run (in-memory store and inputs)', () => {
  it('refuses series outside the hierarchy before reading any input, and stores nothing', async () => {
    const { store, inputs, deps } = setup();
    const e = await runForecast(deps, { horizon: 'day-ahead', series: ['a', 'ghost', 'nowhere'] }).catch((x: GridcastError) => x);
    expect(e).toMatchObject({ code: 'HIERARCHY_MISSING_SERIES', details: { root: 'grid', missing: ['ghost', 'nowhere'] } });
    expect((e as Error).message).toContain("'ghost', 'nowhere' are not in the hierarchy under 'grid'");
    expect(await codeOf(runForecast(deps, { horizon: 'day-ahead', root: 'elsewhere' }))).toBe('HIERARCHY_UNKNOWN_ROOT');
    expect(inputs.asked).toEqual([]);
    expect(store.saves).toBe(0);
  });

  it('takes the window of each horizon from the clock, or from asOf, and reads the inputs as known at the issue time', async () => {
    const { store, inputs, deps } = setup();
    const s = await runForecast(deps, { horizon: 'day-ahead' });
    // 08:20Z is 09:20 in Paris: the origin is the hour, the window the next local day.
    expect(s).toMatchObject({ issuedAt: CLOCK, origin: new Date('2026-01-12T08:00:00Z'), horizon: 'day-ahead', series: 3 });
    const run = await store.readRun(s.runId);
    expect([run.windowStart, run.windowEnd]).toEqual([new Date('2026-01-12T23:00:00Z'), new Date('2026-01-13T23:00:00Z')]);
    expect(run.settings).toMatchObject({ asOf: CLOCK.toISOString(), horizonSteps: 39, windowOffset: 15, historyDays: 21, quantiles: [0.1, 0.5, 0.9] });
    expect(inputs.asked[0]).toMatchObject({ seriesIds: ['grid', 'a', 'b'], origin: new Date('2026-01-12T08:00:00Z'), historyDays: 21, horizonSteps: 39, asOf: CLOCK });

    const asOf = new Date('2026-01-10T14:40:00Z');
    const intraday = await runForecast(deps, { horizon: 'intraday', asOf });
    const r = await store.readRun(intraday.runId);
    expect([r.origin, r.windowStart, r.windowEnd, r.issuedAt]).toEqual([new Date('2026-01-10T14:00:00Z'), new Date('2026-01-10T14:00:00Z'), new Date('2026-01-10T21:00:00Z'), CLOCK]);
    // Made as of a past time, but with what the store knew when it ran.
    expect(inputs.asked[1]).toMatchObject({ origin: new Date('2026-01-10T14:00:00Z'), asOf: CLOCK });
    const hourly = (await store.readValues(intraday.runId)).filter((v) => v.grain === '1h');
    expect(hourly.filter((v) => v.seriesId === 'a').map((v) => v.targetTs.getTime())).toEqual(Array.from({ length: 7 }, (_, k) => Date.UTC(2026, 0, 10, 14 + k)));
  });

  it("hands the run's deadline to its workers, so queued jobs end as labelled fallbacks in time", async () => {
    const seen: Array<Date | undefined> = [];
    const { deps } = setup({ workers: (job, signal, deadline, artifacts) => (seen.push(deadline), inlineGroups(job, signal, deadline, artifacts)) });
    const deadline = new Date(CLOCK.getTime() + 3_600_000);
    await runForecast(deps, { horizon: 'day-ahead', deadline });
    await runForecast(deps, { horizon: 'day-ahead' });
    expect(seen.length).toBeGreaterThan(1);
    expect(new Set(seen)).toEqual(new Set([deadline, undefined]));
  });

  it('conditions the champion of a series it covers and fits the default model on the others, labelling each', async () => {
    const artifact = await seasonalNaiveArtifact('a');
    const { store, deps } = setup({ versions: [{ version: version('load@1', ['a'], artifact), artifact }, { version: version('old@1', ['b'], artifact, { status: 'retired' }), artifact }] });
    const s = await runForecast(deps, { horizon: 'day-ahead' });
    const run = await store.readRun(s.runId);
    expect(run.modelVersions.a).toBe('load@1');
    expect(run.modelVersions.b).toMatch(/^fit:seasonal-naive:/);
    expect(run.modelVersions.grid).toMatch(/^fit:seasonal-naive:/);
    const values = await store.readValues(s.runId);
    expect(new Set(values.filter((v) => v.seriesId === 'a').map((v) => v.modelVersion))).toEqual(new Set(['load@1']));
    expect(values.every((v) => v.fallbackReason === null)).toBe(true);
    expect(s.fallbacks).toBe(0);
  });

  it('labels a fallback for the series whose model fails, and the run says why', async () => {
    const artifact = await seasonalNaiveArtifact('a');
    const broken: ModelArtifact = { ...artifact, spec: { ...artifact.spec, kind: 'no-such-model' } };
    const { store, deps } = setup({ versions: [{ version: version('load@1', ['a'], broken), artifact: broken }] });
    const s = await runForecast(deps, { horizon: 'day-ahead' });
    expect(s.fallbacks).toBe(1);
    const a = (await store.readValues(s.runId)).filter((v) => v.seriesId === 'a');
    expect(new Set(a.map((v) => v.fallbackReason))).toEqual(new Set([expect.stringMatching(/^model-failed \(load@1: /)]));
    expect(a[0].model).not.toBe('no-such-model');
    expect((await store.readRun(s.runId)).warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^1 series on a labelled fallback: a \(model-failed/)]));
  });

  it('a share of series whose worker fails gets labelled fallbacks instead of failing the run', async () => {
    const { store, deps } = setup({ workers: () => Promise.reject(new GridcastError('WORKER_TIMEOUT', 'did not answer')) });
    const s = await runForecast(deps, { horizon: 'day-ahead' });
    expect(s.fallbacks).toBe(3);
    const reasons = new Set((await store.readValues(s.runId)).map((v) => v.fallbackReason));
    expect(reasons).toEqual(new Set([expect.stringMatching(/^model-failed \(seasonal-naive: WORKER_TIMEOUT\)/)]));
  });

  it('serves the weather-free companion of a champion that needs a weather forecast none issued, labelled, with a coded warning', async () => {
    const artifact = await seasonalNaiveArtifact('a');
    const companion = await seasonalNaiveArtifact('a');
    const weather = { a: { stations: [{ station: 'st-a', weight: 1 }], from: 'own' as const } };
    const champion = version('load@2', ['a'], artifact, { features: ['temperature'], weather, hasCompanion: true });
    const series = { ...SERIES, a: { ...SERIES.a, temperature: () => 5 } };
    const { store, inputs, deps } = setup({ series, versions: [{ version: champion, artifact, companion }] });
    const s = await runForecast(deps, { horizon: 'day-ahead' });
    // The champion is fed the weather it was trained on.
    expect(inputs.asked[0].weather).toEqual(weather);
    const run = await store.readRun(s.runId);
    expect(run.modelVersions.a).toBe('load@2/weather-free');
    const a = (await store.readValues(s.runId)).filter((v) => v.seriesId === 'a');
    expect(new Set(a.map((v) => v.fallbackReason))).toEqual(new Set(['weather-free companion (no complete weather forecast issued at or before 2026-01-12T08:00:00.000Z)']));
    expect(run.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^WEATHER_FORECAST_MISSING: .* for 1 series whose model uses weather: a ran on the weather-free companion/)]));
    expect(s.weather.a).toEqual(weather.a);
  });

  it('names the days a GAM fitted in the run left out as abnormal, in its warnings', async () => {
    const gam = { kind: 'gam', params: { temperature: 'none', hourKnots: 8 } };
    const gamConfig = ConfigSchema.parse({ timeZone: ZONE, forecast: { defaultModel: gam, historyDays: 42, reconciliation: 'bottom-up' } });
    const [from, to] = [Date.UTC(2025, 11, 22), Date.UTC(2025, 11, 24)];
    const outage = { ...SERIES, b: { load: (ms: number) => daily(200)(ms) * (ms >= from && ms < to ? 0.4 : 1) } };
    const { store, deps } = setup({ series: outage });
    const s = await runForecast({ ...deps, config: gamConfig }, { horizon: 'day-ahead' });
    const named = s.warnings.filter((w) => w.startsWith('GAM_ABNORMAL_DAYS'));
    expect(named).toEqual([expect.stringMatching(/^GAM_ABNORMAL_DAYS: 1 series was fitted without days judged abnormal \(.*\), b: [23] \((2025-12-2[1-4](, )?){2,3}\); the models were fitted in this run; abnormalDayThreshold: 0 fits on every day\.$/)]);
    expect((await store.readRun(s.runId)).warnings).toEqual(s.warnings);
    const every = await runForecast({ ...deps, config: ConfigSchema.parse({ ...gamConfig, forecast: { ...gamConfig.forecast, defaultModel: { kind: 'gam', params: { ...gam.params, abnormalDayThreshold: 0 } } } }) }, { horizon: 'day-ahead' });
    expect(every.warnings.some((w) => w.startsWith('GAM_ABNORMAL_DAYS'))).toBe(false);
  });

  it('records the inputs warnings in the run and its summary', async () => {
    const { store, inputs, deps } = setup();
    const warned: RunDeps = { ...deps, inputs: { load: async (r) => ({ ...(await inputs.load(r)), warnings: ['WEATHER_UNMAPPED: b has no station'] }) } };
    const s = await runForecast(warned, { horizon: 'day-ahead' });
    expect(s.warnings).toContain('WEATHER_UNMAPPED: b has no station');
    expect((await store.readRun(s.runId)).warnings).toEqual(s.warnings);
  });

  it('stores the run and all its values in one save, and nothing when the run fails', async () => {
    const ok = setup();
    const s = await runForecast(ok.deps, { horizon: 'day-ahead' });
    expect(ok.store.saves).toBe(1);
    // 3 series × (24 hours + 1 local day).
    expect((await ok.store.readValues(s.runId)).length).toBe(3 * 25);

    const failing = setup();
    failing.store.failSave = new GridcastError('STORE_UNAVAILABLE', 'the connection dropped');
    expect(await codeOf(runForecast(failing.deps, { horizon: 'day-ahead' }))).toBe('STORE_UNAVAILABLE');
    expect(failing.store.runs.size).toBe(0);

    const empty = setup({ series: Object.fromEntries(Object.keys(SERIES).map((id) => [id, { load: () => Number.NaN }])) });
    expect(await codeOf(runForecast(empty.deps, { horizon: 'day-ahead' }))).toBe('RUN_NO_DATA');
    const cancelled = setup();
    expect(await codeOf(runForecast(cancelled.deps, { horizon: 'day-ahead', signal: AbortSignal.abort() }))).toBe('RUN_ABORTED');
    expect([empty.store.saves, cancelled.store.saves]).toEqual([0, 0]);
  });

  it('reproduces a stored run number for number, and reports a value or an input that differs', async () => {
    const artifact = await seasonalNaiveArtifact('a');
    const { store, deps } = setup({ versions: [{ version: version('load@1', ['a'], artifact), artifact }] });
    const s = await runForecast(deps, { horizon: 'day-ahead' });
    expect(await reproduceRun(deps, s.runId)).toMatchObject({ identical: true, inputsHashMatches: true, modelVersionsMatch: true, maxAbsDiff: 0, rowsDiffering: 0, values: 75 });

    store.values.get(s.runId)![3].mean += 0.5;
    expect(await reproduceRun(deps, s.runId)).toMatchObject({ identical: false, inputsHashMatches: true, maxAbsDiff: 0.5, rowsDiffering: 0 });
    store.values.get(s.runId)!.pop();
    expect(await reproduceRun(deps, s.runId)).toMatchObject({ identical: false, rowsDiffering: 1 });

    const revised = fakeRunInputs({ ...SERIES, b: { load: daily(201) } });
    expect(await reproduceRun({ ...deps, inputs: revised }, s.runId)).toMatchObject({ identical: false, inputsHashMatches: false });
    // Reproduced as known at the run's issue time, with its origin and settings.
    expect(revised.asked[0]).toMatchObject({ origin: s.origin, asOf: s.issuedAt, historyDays: 21 });

    const forgotten = setup();
    forgotten.store.runs.set(1, store.runs.get(s.runId)!);
    expect(await codeOf(reproduceRun(forgotten.deps, 1))).toBe('VERSION_NOT_FOUND');
    expect(await codeOf(reproduceRun(deps, 99))).toBe('RUN_NOT_FOUND');
  });
});
