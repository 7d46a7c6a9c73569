import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../core/config.ts';
import type { ModelVersion } from '../../core/registry.ts';
import type { Topology } from '../../core/topology/schema.ts';
import type { ModelArtifact } from '../../core/types.ts';
import { configuredForecaster } from '../../models/configured.ts';
import { fakeEvents } from '../../test/fakes/events.ts';
import { fakeRunInputs, type FakeSeries } from '../../test/fakes/run-inputs.ts';
import { fakeRunStore } from '../../test/fakes/run-store.ts';
import { inlineGroups } from './workers.ts';
import type { GroupsRunner, RunDeps } from './ports.ts';
import { runForecast } from './service.ts';
import { shadowScoring } from './shadow.service.ts';

// Shadow scoring (D5) against the in-memory store: a challenger runs on the published run's inputs, after it is stored.

const HOUR = 3_600_000;
const ZONE = 'Europe/Paris';
const config = ConfigSchema.parse({ timeZone: ZONE, forecast: { defaultModel: { kind: 'seasonal-naive', params: { period: 'week' } }, historyDays: 21, reconciliation: 'bottom-up' } });
const CLOCK = new Date('2026-01-12T08:20:00Z');
const node = (id: string, parent: string | null) => ({ id, parent, kind: 'load' as const, unit: 'MW', timeZone: ZONE, attrs: {} });
const TOPOLOGY: Topology = { timeZone: ZONE, nodes: [node('grid', null), node('a', 'grid'), node('b', 'grid')] };
const daily = (level: number) => (ms: number) => level + 10 * Math.sin((2 * Math.PI * (ms / HOUR)) / 24) + (Math.floor(ms / 86_400_000) % 7);
const SERIES: Record<string, FakeSeries> = { grid: { load: daily(300) }, a: { load: daily(100) }, b: { load: daily(200) } };

async function artifact(period: 'week' | 'day'): Promise<ModelArtifact> {
  const start = CLOCK.getTime() - 21 * 24 * HOUR;
  const history = ['a', 'b'].map((id) => ({ id, start: new Date(start), stepSec: 3600, values: Float64Array.from({ length: 21 * 24 }, (_, k) => daily(100)(start + k * HOUR)) }));
  return (await configuredForecaster({ kind: 'seasonal-naive', params: { period } }).fit(history)).toArtifact();
}

const version = (id: string, a: ModelArtifact, status: ModelVersion['status']): ModelVersion => ({
  id, model: 'load', version: Number(id.split('@')[1]), kind: a.spec.kind, spec: a.spec, features: [], seriesIds: ['a', 'b'],
  trainStart: new Date('2025-12-01T00:00:00Z'), trainEnd: new Date('2026-01-01T00:00:00Z'), dataHash: 'd', codeVersion: 'test', metrics: null,
  weather: {}, warnings: [], hasCompanion: false, status, statusAt: new Date('2026-01-02T00:00:00Z'), createdAt: new Date('2026-01-01T00:00:00Z'), createdBy: 'test',
});

/** Workers that behave as `challenger` for the shadow version's groups and normally for every other. */
const challengerWorkers = (challenger: 'throws' | 'hangs' | 'works'): GroupsRunner => (job, signal, deadline, artifacts) => {
  if (challenger !== 'works' && job.groups.some((g) => 'champion' in g.plan && g.plan.champion === 'load@2')) {
    return challenger === 'throws' ? Promise.reject(new Error('challenger crashed')) : new Promise(() => {});
  }
  return inlineGroups(job, signal, deadline, artifacts);
};

async function setup(challenger: 'none' | 'throws' | 'hangs' | 'works') {
  const champion = await artifact('week');
  const shadow = await artifact('day');
  const versions = [{ version: version('load@1', champion, 'champion'), artifact: champion }];
  if (challenger !== 'none') versions.push({ version: version('load@2', shadow, 'shadow'), artifact: shadow });
  const store = fakeRunStore({ topology: TOPOLOGY, versions });
  const inputs = fakeRunInputs(SERIES);
  const events = fakeEvents();
  const workers = challengerWorkers(challenger === 'none' ? 'works' : challenger);
  const shadows = shadowScoring({ store, inputs, workers, events, now: () => CLOCK, timeoutMs: 150 });
  const deps: RunDeps = { store, inputs, workers, config, now: () => CLOCK, shadows };
  return { store, events, shadows, deps };
}

async function timedRun(deps: RunDeps) {
  const t0 = performance.now();
  const s = await runForecast(deps, { horizon: 'day-ahead' });
  return { s, ms: performance.now() - t0 };
}

describe('shadow scoring', () => {
  it('stores a working challenger as a shadow run on the same inputs, origin and issue time as the published run', async () => {
    const { store, shadows, deps, events } = await setup('works');
    const { s } = await timedRun(deps);
    const [outcome] = await shadows.idle();
    expect(outcome).toMatchObject({ version: 'load@2', status: 'stored', failedSeries: [] });
    const published = await store.readRun(s.runId);
    const shadow = await store.readRun(outcome.runId!);
    expect(shadow.shadowOf).toEqual({ runId: s.runId, version: 'load@2' });
    expect(published.shadowOf).toBeUndefined();
    expect([shadow.issuedAt, shadow.origin, shadow.windowStart, shadow.inputsHash]).toEqual([published.issuedAt, published.origin, published.windowStart, published.inputsHash]);
    expect(shadow.modelVersions).toMatchObject({ a: 'load@2', b: 'load@2' });
    expect(published.modelVersions).toMatchObject({ a: 'load@1', b: 'load@1' });
    const mean = (id: number) => store.values.get(id)!.filter((r) => r.seriesId === 'a' && r.grain === '1h').map((r) => r.mean);
    expect(mean(outcome.runId!)).not.toEqual(mean(s.runId));
    expect(events.rows).toEqual([]);
  });

  it.each(['throws', 'hangs'] as const)('a challenger that %s leaves the champion run, its values and its timing as without a challenger', async (mode) => {
    const alone = await setup('none');
    const base = await timedRun(alone.deps);
    const { store, shadows, deps, events } = await setup(mode);
    const run = await timedRun(deps);
    // Stored first, returned without waiting for the challenger.
    expect(store.runs.get(run.s.runId)!.shadowOf).toBeUndefined();
    expect(await store.readRun(run.s.runId)).toEqual({ ...(await alone.store.readRun(base.s.runId)), id: run.s.runId });
    expect(await store.readValues(run.s.runId)).toEqual(await alone.store.readValues(base.s.runId));
    expect(run.s).toEqual({ ...base.s, runId: run.s.runId });
    // Returned before the challenger's failure was known (the hang is only cut at 150 ms).
    expect(events.rows).toEqual([]);
    expect(run.ms).toBeLessThan(base.ms + 140);
    const t0 = performance.now();
    const [outcome] = await shadows.idle();
    expect(performance.now() - t0).toBeLessThan(2000);
    const [event] = events.rows;
    expect(event).toMatchObject({ kind: 'shadow-failed', modelVersion: 'load@2', runId: run.s.runId, at: CLOCK });
    if (mode === 'hangs') {
      expect(outcome).toMatchObject({ version: 'load@2', status: 'timeout', runId: null });
      expect(event.detail).toMatchObject({ status: 'timeout', code: 'SHADOW_TIMEOUT' });
      expect(store.runs.size).toBe(1);
    } else {
      // The crash became labelled fallbacks in the shadow run: stored, flagged, never paired as the challenger's.
      expect(outcome).toMatchObject({ version: 'load@2', status: 'stored', failedSeries: ['a', 'b'] });
      expect(event.detail).toMatchObject({ status: 'failed', failedSeries: ['a', 'b'] });
    }
  });
});
