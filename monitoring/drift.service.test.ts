import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../core/config.ts';
import type { ModelVersion } from '../core/registry.ts';
import type { Topology } from '../core/topology/schema.ts';
import type { ModelArtifact } from '../core/types.ts';
import { DEFAULT_GAM } from '../models/gam/load-formula.ts';
import { fakeEvents } from '../test/fakes/events.ts';
import { fakeRunInputs, type FakeSeries } from '../test/fakes/run-inputs.ts';
import { fakeRunStore } from '../test/fakes/run-store.ts';
import { dailyInputs } from './drift-features.ts';
import { CALENDAR_MIX, detectDrift, type CalibrationCache, type DriftDeps } from './drift.service.ts';
import { driftJob } from '../jobs/drift.job.ts';
import { ksTest } from './stats/ks.ts';
import { normalisedWasserstein } from './stats/wasserstein.ts';

// Drift of a champion's inputs against generated weather with a real annual cycle and day-to-day
// weather noise: no database, the event log in memory.

const HOUR = 3_600_000;
const DAY = 86_400_000;
const ZONE = 'Europe/Paris';
const config = ConfigSchema.parse({ timeZone: ZONE });
const NOW = new Date('2026-07-20T06:00:00Z');
const node = (id: string, parent: string | null) => ({ id, parent, kind: 'load' as const, unit: 'MW', timeZone: ZONE, attrs: {} });
const TOPOLOGY: Topology = { timeZone: ZONE, nodes: [node('grid', null), node('z1', 'grid')] };

/** Weather anomalies of each day: an AR(1) of daily shocks from a fixed LCG (weather regimes last days). */
function anomalies(seed: number): (day: number) => number {
  const cache = new Map<number, number>();
  const first = Math.floor(Date.UTC(2023, 0, 1) / DAY);
  let state = seed >>> 0;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  let a = 0;
  for (let d = first; d < first + 5 * 366; d++) {
    const shock = (uniform() + uniform() + uniform() - 1.5) * 2 * 2; // ≈ N(0, 2²)
    a = 0.7 * a + shock;
    cache.set(d, a);
  }
  return (day) => cache.get(day) ?? 0;
}

/** Temperature with an annual cycle (≈ 3 °C in January, 21 °C in late July), a daily cycle and weather; `heat` adds a heatwave. */
function weather(heat?: { from: Date; deltaC: number }): { temperature: (ms: number) => number; load: (ms: number) => number } {
  const anomaly = anomalies(7);
  const temperature = (ms: number) => {
    const doy = (ms - Date.UTC(new Date(ms).getUTCFullYear(), 0, 1)) / DAY;
    const hour = (ms / HOUR) % 24;
    const base = 12 - 9 * Math.cos((2 * Math.PI * (doy - 25)) / 365) + 4 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + anomaly(Math.floor(ms / DAY));
    return base + (heat && ms >= heat.from.getTime() ? heat.deltaC : 0);
  };
  const load = (ms: number) => {
    const t = temperature(ms);
    const weekday = (Math.floor(ms / DAY) + 3) % 7;
    return 800 + 25 * Math.max(0, 15 - t) + 30 * Math.max(0, t - 22) + (weekday >= 5 ? -120 : 0) + 100 * Math.sin((2 * Math.PI * ((ms / HOUR) % 24 - 6)) / 24);
  };
  return { temperature, load };
}

/** The annual and daily cycles alone, the same every year: nothing drifts. */
const repeatedYear: FakeSeries = (() => {
  const temperature = (ms: number) => {
    const doy = (ms - Date.UTC(new Date(ms).getUTCFullYear(), 0, 1)) / DAY;
    return 12 - 9 * Math.cos((2 * Math.PI * (doy - 25)) / 365) + 4 * Math.sin((2 * Math.PI * ((ms / HOUR) % 24 - 9)) / 24);
  };
  return { temperature, load: (ms: number) => 800 + 25 * Math.max(0, 15 - temperature(ms)) + ((Math.floor(ms / DAY) + 3) % 7 >= 5 ? -120 : 0) };
})();

function champion(trainStart: string, trainEnd: string): { version: ModelVersion; artifact: ModelArtifact } {
  const spec = { kind: 'gam', version: 1, params: DEFAULT_GAM };
  const version: ModelVersion = {
    id: 'load@1',
    model: 'load',
    version: 1,
    kind: 'gam',
    spec,
    features: ['temperature'],
    seriesIds: ['z1'],
    trainStart: new Date(trainStart),
    trainEnd: new Date(trainEnd),
    dataHash: 'd',
    codeVersion: 'test',
    metrics: null,
    weather: { z1: { stations: [{ station: 'st-z1', weight: 1 }], from: 'own' } },
    warnings: [],
    hasCompanion: false,
    status: 'champion',
    statusAt: new Date(trainEnd),
    createdAt: new Date(trainEnd),
    createdBy: 'test',
  };
  return { version, artifact: { formatVersion: 1, spec, trainWindow: { start: trainStart, end: trainEnd }, dataHash: 'd', state: {} } };
}

function setup(series: FakeSeries, trained = champion('2025-01-01T00:00:00Z', '2026-02-01T00:00:00Z')) {
  const events = fakeEvents();
  const deps: DriftDeps = {
    store: fakeRunStore({ topology: TOPOLOGY, versions: [trained] }),
    inputs: fakeRunInputs({ grid: { load: series.load }, z1: series }, ZONE),
    events,
    config,
    now: () => NOW,
  };
  return { deps, events };
}

describe('input drift against a season-matched reference', () => {
  it('does not fire on the change from the winter the training ended in to this summer', async () => {
    const { deps, events } = setup(weather());
    const report = await detectDrift(deps);
    expect(report.skipped).toEqual([{ seriesId: 'grid', reason: 'no champion' }]);
    const [s] = report.series;
    expect(s.seriesId).toBe('z1');
    // 6–19 July 2026 against 22 June – 2 August 2025 of the training (January 2026 was its last month).
    expect(s.reference.months).toEqual([6, 7, 8]);
    expect(s.reference.days).toBe(42); // the warm-up days the reference leaves out are in January
    expect(s.features.map((f) => f.feature)).toEqual(['load', 'load_given_temperature', 'temperature', 'temp_lag24', 'temp_max24', 'temp_min24', CALENDAR_MIX]);
    // The raw load is reported; its level is decided given the temperature.
    expect(s.features[0]).toMatchObject({ calibration: null, note: expect.stringMatching(/decided given the temperature/) });
    for (const f of s.features.slice(1)) expect(f.note).toBeUndefined();
    // Thresholds from the training's own fortnights, the budget shared over the effective number
    // of features: the four temperature features count about once.
    expect(s.calibration).toMatchObject({ alarmsPerYear: 1, gapDays: 7 });
    expect(s.calibration!.effectiveFeatures).toBeGreaterThan(1);
    expect(s.calibration!.effectiveFeatures).toBeLessThan(3);
    for (const f of s.features.slice(1, -1)) {
      expect(f.calibration!.threshold).toBeGreaterThan(0.5);
      expect(f.calibration!.alarmsPerYear).toBeCloseTo(1 / s.calibration!.effectiveFeatures, 12);
      expect(Math.abs(f.effect!)).toBeLessThan(f.calibration!.threshold);
    }
    expect(s.drifted).toEqual([]);
    expect(events.rows).toEqual([]);

    // The naive reference, the training's last days (January), would call the season a drift.
    const start = Date.UTC(2026, 0, 4);
    const { temperature, load } = weather();
    const hours = (from: number, days: number) => Float64Array.from({ length: days * 24 }, (_, k) => from + k * HOUR);
    const january = dailyInputs(start, hours(start, 28).map(temperature), undefined, ZONE);
    const july = dailyInputs(Date.UTC(2026, 6, 5), hours(Date.UTC(2026, 6, 5), 15).map(temperature), undefined, ZONE);
    expect(ksTest(july.numeric.load, january.numeric.load).pValue).toBeLessThan(1e-6);
    expect(normalisedWasserstein(january.numeric.load, july.numeric.load)).toBeGreaterThan(2);
    void load;
  });

  it('fires on a +8 °C heatwave, with the statistics and thresholds in each drift event', async () => {
    const { deps, events } = setup(weather({ from: new Date('2026-07-05T00:00:00Z'), deltaC: 8 }));
    const [s] = (await detectDrift(deps)).series;
    const t = s.features.find((f) => f.feature === 'temperature')!;
    expect(t.pAdjusted!).toBeLessThan(0.05);
    expect(t.wasserstein!).toBeGreaterThan(0.5);
    expect(t.psi!).toBeGreaterThan(0.2);
    expect(t.effect!).toBeGreaterThan(t.calibration!.threshold);
    expect(s.drifted).toContain('temperature');
    expect(s.drifted).toContain('temp_max24');
    expect(s.drifted).not.toContain(CALENDAR_MIX);
    const drift = events.rows.filter((e) => e.kind === 'drift');
    expect(drift.map((e) => e.detail.feature)).toEqual(s.drifted);
    expect(drift[0]).toMatchObject({ seriesId: 'z1', modelVersion: 'load@1', at: NOW, severity: 'warning' });
    expect(drift.find((e) => e.detail.feature === 'temperature')!.detail).toMatchObject({
      test: 'ks',
      correction: 'holm',
      effect: t.effect,
      thresholds: { alpha: 0.05, psi: 0.2, wasserstein: 0.5, effect: t.calibration!.threshold, alarmsPerYear: t.calibration!.alarmsPerYear },
      calibration: { ...t.calibration, effectiveFeatures: s.calibration!.effectiveFeatures },
      reference: { months: [6, 7, 8], days: 42 },
    });
  });

  it('a change of the load level given the weather drifts from drift.minLoadShift of the level, the raw load is not decided on', async () => {
    const base = weather();
    const step = (factor: number): FakeSeries => ({ temperature: base.temperature, load: (ms) => base.load(ms) * (ms >= Date.parse('2026-07-05T00:00:00Z') ? factor : 1) });
    for (const [factor, drifts] of [
      [1.2, true],
      [0.8, true],
      [1.05, false],
    ] as const) {
      const { deps, events } = setup(step(factor));
      const [s] = (await detectDrift(deps)).series;
      const level = s.features.find((f) => f.feature === 'load_given_temperature')!;
      expect(level.relativeShift!).toBeCloseTo(factor - 1, 1);
      // the weather explains the simulated load closely: even 5 % is far out of the ordinary ...
      expect(Math.abs(level.effect!)).toBeGreaterThan(level.calibration!.threshold);
      // ... and is below the business threshold
      expect({ factor, drifted: s.drifted }).toEqual({ factor, drifted: drifts ? ['load_given_temperature'] : [] });
      expect(events.rows.map((e) => e.detail.feature)).toEqual(s.drifted);
      if (drifts) expect(events.rows[0].detail).toMatchObject({ relativeShift: level.relativeShift, thresholds: { minLoadShift: 0.1 } });
    }
  });

  it('needs the effect size as well as the p-value: above the business thresholds a significant heatwave is not a drift', async () => {
    const { deps, events } = setup(weather({ from: new Date('2026-07-05T00:00:00Z'), deltaC: 8 }));
    const strict = ConfigSchema.parse({ timeZone: ZONE, drift: { psi: 50, wasserstein: 50 } });
    const [s] = (await detectDrift({ ...deps, config: strict })).series;
    const t = s.features.find((f) => f.feature === 'temperature')!;
    expect(t.pAdjusted!).toBeLessThan(0.05);
    expect(t.drift).toBe(false);
    expect(s.drifted).toEqual([]);
    expect(events.rows).toEqual([]);
  });

  it('a year that repeats the training year is no drift in spring and autumn, where the temperature moves 4–5 °C a month', async () => {
    // A reference of whole calendar months is warmer than a fortnight at the end of October (and
    // colder than one at its start): that was a drift on most of these days. Centred on the dates, the slope cancels.
    const { deps, events } = setup(repeatedYear, champion('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z'));
    for (const month of [3, 4, 5, 9, 10, 11]) {
      for (const day of [1, 15]) {
        const asOf = new Date(Date.UTC(2026, month - 1, day, 6));
        const [s] = (await detectDrift(deps, { asOf })).series;
        expect({ asOf, drifted: s.drifted }).toEqual({ asOf, drifted: [] });
        expect(s.reference.days).toBe(42);
      }
    }
    expect(events.rows).toEqual([]);
  });

  it('reports, without testing, a training window that holds none of these months', async () => {
    const { deps } = setup(weather({ from: new Date('2026-07-05T00:00:00Z'), deltaC: 8 }), champion('2025-11-01T00:00:00Z', '2026-03-01T00:00:00Z'));
    const [s] = (await detectDrift(deps)).series;
    expect(s.reference.days).toBe(0);
    expect(s.drifted).toEqual([]);
    expect(s.features.every((f) => f.note && f.pValue === null)).toBe(true);
  });

  it('refuses an unknown series by name', async () => {
    const { deps } = setup(weather());
    await expect(detectDrift(deps, { seriesIds: ['z9'] })).rejects.toMatchObject({ code: 'SERIES_NOT_FOUND' });
  });

  it('the daily job keeps each series\' calibration while its champion stays', async () => {
    const { deps } = setup(weather());
    const calibrations: CalibrationCache = new Map();
    const job = driftJob({ ...deps, calibrations });
    const run = (at: Date) => job.run({ scheduledAt: at, deadline: at, signal: new AbortController().signal });
    await run(NOW);
    const first = calibrations.get('z1')!;
    expect(first.key).toMatch(/^load@1\|/);
    await run(new Date(NOW.getTime() + DAY));
    expect(calibrations.get('z1')).toBe(first);
  });

  it('the daily job compares the fortnight before its tick and records the drift', async () => {
    const { deps, events } = setup(weather({ from: new Date('2026-07-05T00:00:00Z'), deltaC: 8 }));
    const tick = new Date('2026-07-04T04:30:00Z');
    const before = (await driftJob(deps).run({ scheduledAt: tick, deadline: new Date(tick.getTime() + 1800_000), signal: new AbortController().signal })) as Awaited<ReturnType<typeof detectDrift>>;
    expect(before.asOf).toEqual(tick);
    expect(before.series[0].recent.to.getTime()).toBeLessThanOrEqual(tick.getTime());
    expect(events.rows).toEqual([]);
    await driftJob(deps).run({ scheduledAt: NOW, deadline: NOW, signal: new AbortController().signal });
    expect(events.rows.some((e) => e.kind === 'drift' && e.detail.feature === 'temperature')).toBe(true);
  });
});
