import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../core/config.ts';
import type { MeasurementInput } from '../core/series.ts';
import { validateTopology } from '../core/topology/validate.ts';
import { readDefaultGrid } from '../ingest/simulator/default-grid.ts';
import { createSimulator } from '../ingest/simulator/simulator.ts';
import { runForecast, reproduceRun } from '../forecast/run/service.ts';
import { detectRuptures } from '../monitoring/rupture.service.ts';
import { DEFAULT_RUPTURE_SETTINGS } from '../core/rupture-settings.ts';
import { runDeps, reproduceDeps } from '../bin/lib/run-deps.ts';
import type { Db } from '../store/db.ts';
import { readForecasts } from '../store/forecasts.repository.ts';
import { insertMeasurements } from '../store/measurements.repository.ts';
import { monitorStateRepository, residualSource } from '../store/monitor-state.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeEvents } from './fakes/events.ts';

/**
 * Scenario 4 (REQUIREMENTS D3): a large consumer behind feeder 'a' shuts down — a 30 % step down
 * in its load. The rupture monitor, checking hourly the residuals of the published day-ahead
 * forecasts, detects it within a day; the next day-ahead run serves 'a' with the labelled
 * rupture fallback (shallow history on post-rupture data), and the events name the series, the
 * model version whose residuals broke, the detector statistic and the reason. Four simulated
 * substations under one parent, so that each series' residuals are read against its three
 * siblings' (the store's sibling query at work); a profile as the default model keeps the daily
 * runs cheap.
 */
const H = 3_600_000;
const START = Date.parse('2025-03-01T00:00:00Z');
const END = Date.parse('2025-05-01T00:00:00Z');
const STEP = Date.parse('2025-04-25T07:00:00Z');
const dayAt9 = (iso: string) => new Date(`${iso}T09:00:00Z`);

describe.each(backends)('scenario 4: a 30 %% step down switches the series to the fallback (%s)', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await saveTopology(
      db,
      validateTopology({
        timeZone: 'UTC',
        nodes: [
          { id: 'top', kind: 'load', unit: 'MW' },
          { id: 'a', parent: 'top', kind: 'load', unit: 'MW' },
          { id: 'b', parent: 'top', kind: 'load', unit: 'MW' },
          { id: 'c', parent: 'top', kind: 'load', unit: 'MW' },
          { id: 'd', parent: 'top', kind: 'load', unit: 'MW' },
        ],
      }),
    );
    const sim = createSimulator({ seed: 4, topology: readDefaultGrid(), faults: false });
    const from = { a: 'ss.lille-1', b: 'ss.dunkerque', c: 'ss.arras', d: 'ss.amiens' } as const;
    const points: MeasurementInput[] = sim
      .generate(new Date(START), new Date(END), 3600)
      .measurements.flatMap((m) => (Object.entries(from) as Array<[string, string]>).filter(([, src]) => src === m.seriesId).map(([id]) => ({ seriesId: id, ts: m.ts, value: id === 'a' && m.ts.getTime() >= STEP ? 0.7 * m.value : m.value })));
    await db.transaction((tx) => insertMeasurements(tx, points));
  }, 60_000);
  afterAll(() => db?.close());

  it('detects it within a day and serves the fallback at the next run, with events naming model, version and reason', async () => {
    const config = ConfigSchema.parse({ timeZone: 'UTC', forecast: { defaultModel: { kind: 'profile', params: { weeks: 4 } }, historyDays: 45, reconciliation: 'bottom-up' } });
    const deps = runDeps(db, config);
    // The day-ahead runs published before the step: each day at 09:00 for the next day.
    for (let d = Date.parse('2025-04-15T09:00:00Z'); d <= Date.parse('2025-04-25T09:00:00Z'); d += 24 * H) {
      await runForecast(deps, { horizon: 'day-ahead', asOf: new Date(d) });
    }
    const events = fakeEvents();
    const states = monitorStateRepository(db);
    // A week of residuals to calibrate on (the default asks two; the scenario keeps the runs few).
    const settings = { ...DEFAULT_RUPTURE_SETTINGS, minCalibrationDays: 7 };
    let detectedAt: Date | null = null;
    for (let t = Date.parse('2025-04-24T00:20:00Z'); t <= Date.parse('2025-04-26T08:20:00Z') && !detectedAt; t += H) {
      const r = await detectRuptures({ states, residuals: residualSource(db), events, now: () => new Date(t), settings });
      if (r.ruptures.includes('a')) detectedAt = new Date(t);
    }
    expect(detectedAt).not.toBeNull();
    expect((detectedAt!.getTime() - STEP) / H).toBeLessThanOrEqual(24);
    expect(events.rows.filter((e) => e.kind === 'rupture').map((e) => e.seriesId)).toEqual(['a']);

    const [rupture] = events.rows.filter((e) => e.kind === 'rupture');
    const on = events.rows.find((e) => e.kind === 'fallback-on')!;
    expect(rupture.modelVersion).toMatch(/^fit:profile:/);
    expect(rupture.detail).toMatchObject({ detector: 'window-mean', side: 'down', peers: { count: 3 }, reason: expect.stringMatching(/^level shift of -\d+\.\d % confirmed/) });
    // the day's mean residual, as a share of the level, below minus the threshold
    expect(rupture.detail.statistic as number).toBeLessThanOrEqual(-(rupture.detail.threshold as number));
    expect(rupture.detail.shift as number).toBeLessThan(-0.15);
    expect(on).toMatchObject({ seriesId: 'a', modelVersion: rupture.modelVersion, detail: { reason: 'rupture', fallback: 'shallow-history on post-rupture data' } });
    expect((await states.states(['a'])).get('a')).toMatchObject({ mode: 'fallback' });

    // The next day-ahead run serves 'a' with the labelled fallback; 'b' keeps its model.
    const next = await runForecast(deps, { horizon: 'day-ahead', asOf: dayAt9('2025-04-26') });
    expect(next.fallbacks).toBe(1);
    // the siblings, read beside 'a', stay on their model
    expect([...(await states.states(['b', 'c', 'd'])).values()].map((st) => st.mode)).toEqual(['model', 'model', 'model']);
    const rows = await readForecasts(db, next.runId, { grain: '1h' });
    const a = rows.filter((r) => r.seriesId === 'a');
    expect(new Set(a.map((r) => r.model))).toEqual(new Set(['shallow-history']));
    expect(a[0].fallbackReason).toMatch(/^rupture \(since 2025-04-25T0\d:00:00\.000Z\)$/);
    expect(rows.filter((r) => r.seriesId !== 'a' && r.seriesId !== 'top').every((r) => r.model === 'profile' && r.fallbackReason === null)).toBe(true);
    // The fallback's level is the post-rupture one: near 70 % of what the model published before.
    const before = (await readForecasts(db, (await runForecast(deps, { horizon: 'day-ahead', asOf: dayAt9('2025-04-24') })).runId, { grain: '1h' })).filter((r) => r.seriesId === 'a');
    const mean = (xs: Array<{ mean: number }>) => xs.reduce((s, r) => s + r.mean, 0) / xs.length;
    expect(mean(a) / mean(before)).toBeGreaterThan(0.6);
    expect(mean(a) / mean(before)).toBeLessThan(0.8);
    // The run records the monitor's plan: its reproduction is identical.
    expect((await reproduceRun(reproduceDeps(db), next.runId)).identical).toBe(true);
  }, 240_000);
});
