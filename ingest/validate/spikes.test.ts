import { describe, expect, it } from 'vitest';
import { readDefaultGrid } from '../simulator/default-grid.ts';
import { createSimulator } from '../simulator/simulator.ts';
import { addPoint, isolatedSpikes, seriesPoints, sortedPoints } from './spikes.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday

/** Deterministic noise in [-1, 1]. */
const noise = (i: number) => Math.sin(i * 12.9898 + 78.233) * 43758.5453 % 1;

/** A load with a night trough, a steep morning ramp, an evening peak, weekends lower, 1 % noise. */
function load(localHour: number, day: number, i: number): number {
  const weekend = day % 7 >= 5 ? 0.8 : 1;
  const ramp = 1 / (1 + Math.exp(-(localHour - 7) * 2.5)) - 1 / (1 + Math.exp(-(localHour - 22) * 1.5));
  const evening = Math.exp(-((localHour - 19) ** 2) / 3);
  return 1000 * weekend * (0.55 + 0.4 * ramp + 0.25 * evening) * (1 + 0.01 * noise(i));
}

function hourly(days: number, stepMs = HOUR): { t: number[]; v: number[] } {
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < (days * 24 * HOUR) / stepMs; i++) {
    const ts = T0 + i * stepMs;
    t.push(ts);
    v.push(load(((ts - T0) / HOUR) % 24, Math.floor((ts - T0) / (24 * HOUR)), i));
  }
  return { t, v };
}

const found = (t: number[], v: number[], opts = {}) => isolatedSpikes(t, v, opts).map((s) => [s.index, s.kind]);

describe('isolated spikes and drops', () => {
  it('finds one spike at 3x and one drop to 0.2x in four weeks of a normal hourly load, and nothing else', () => {
    const { t, v } = hourly(28);
    expect(found(t, v)).toEqual([]);
    v[200] *= 3;
    v[431] *= 0.2;
    expect(found(t, v)).toEqual([
      [200, 'spike'],
      [431, 'drop'],
    ]);
    const [spike] = isolatedSpikes(t, v);
    expect(spike.deviations).toBeGreaterThan(50);
  });

  it('finds them where the ramp is steepest too, and at 5-min and 10-s cadences', () => {
    for (const step of [HOUR, 300_000, 10_000]) {
      const { t, v } = hourly(step === 10_000 ? 2 : 14, step);
      const morning = t.findIndex((x) => (x - T0) % (24 * HOUR) === 7 * HOUR); // the middle of the ramp
      expect(found(t, v)).toEqual([]);
      v[morning] *= 3;
      v[morning + 24 * (HOUR / step)] *= 0.2;
      expect(found(t, v)).toEqual([
        [morning, 'spike'],
        [morning + 24 * (HOUR / step), 'drop'],
      ]);
    }
  });

  it('leaves a step change of level that persists alone (a rupture, not a spike)', () => {
    const { t, v } = hourly(28);
    for (let i = 300; i < v.length; i++) v[i] *= 2.7;
    for (let i = 500; i < v.length; i++) v[i] *= 0.3;
    expect(found(t, v)).toEqual([]);
  });

  it('leaves both DST days of a local-time load in UTC alone', () => {
    // Europe/Paris: +01:00 until 2026-03-29T01:00Z, +02:00 until 2026-10-25T01:00Z; 15-min points.
    const spring = Date.UTC(2026, 2, 29, 1);
    const autumn = Date.UTC(2026, 9, 25, 1);
    for (const change of [spring, autumn]) {
      const t: number[] = [];
      const v: number[] = [];
      for (let i = 0, ts = change - 7 * 24 * HOUR; ts < change + 7 * 24 * HOUR; i++, ts += 900_000) {
        const offset = ts >= spring && ts < autumn ? 2 : 1;
        const local = (((ts / HOUR + offset) % 24) + 24) % 24;
        t.push(ts);
        v.push(load(local, Math.floor((ts + offset * HOUR) / (24 * HOUR)) + 3, i));
      }
      expect(found(t, v)).toEqual([]);
    }
  });

  it('is not fooled by gaps: a neighbour across a gap is no neighbour', () => {
    const { t, v } = hourly(14);
    // A sensor silent for 6 hours that comes back at half the level for one point, then normal.
    t.splice(100, 6);
    v.splice(100, 6);
    v[100] *= 0.4;
    expect(found(t, v)).toEqual([]);
    // A lone point between two gaps.
    const lone = hourly(14);
    lone.t.splice(200, 3);
    lone.v.splice(200, 3);
    lone.t.splice(201, 3);
    lone.v.splice(201, 3);
    lone.v[200] *= 3;
    expect(found(lone.t, lone.v)).toEqual([]);
    // Jitter of a few minutes is no gap.
    const jittered = hourly(14);
    jittered.t = jittered.t.map((x, i) => x + (i % 3) * 120_000);
    jittered.v[150] *= 3;
    expect(found(jittered.t, jittered.v)).toEqual([[150, 'spike']]);
  });

  it('does not flag two bad points in a row (not isolated) nor a sign change of a flow', () => {
    const { t, v } = hourly(14);
    v[100] *= 3;
    v[101] *= 3;
    expect(found(t, v)).toEqual([]);
    const flow = t.map((_, i) => 300 * Math.sin((2 * Math.PI * i) / 24) + 5 * noise(i));
    expect(found(t, flow)).toEqual([]);
  });

  it('leaves sensor noise around zero alone (a traction feeder at night) but flags a blip on a flat series', () => {
    const t = Array.from({ length: 500 }, (_, i) => T0 + i * 10_000);
    const quiet = t.map((_, i) => Math.round(0.004 * noise(i) * 1000) / 1000);
    expect(found(t, quiet)).toEqual([]);
    const flat = t.map(() => 20);
    flat[250] = 35;
    expect(isolatedSpikes(t, flat)).toEqual([{ index: 250, kind: 'spike', deviations: Infinity }]);
  });

  it('uses the declared cadence, and judges only the indices asked for', () => {
    const { t, v } = hourly(14);
    v[50] *= 3;
    v[150] *= 3;
    expect(found(t, v, { from: 100 })).toEqual([[150, 'spike']]);
    expect(found(t, v, { to: 100 })).toEqual([[50, 'spike']]);
    // Declared at 15 min, hourly points are all across gaps: nothing can be judged.
    expect(found(t, v, { stepMs: 900_000 })).toEqual([]);
  });

  it('judges nothing on too short a series to know its typical step', () => {
    const t = [0, 1, 2, 3, 4, 5, 6].map((i) => T0 + i * HOUR);
    expect(found(t, [10, 11, 10, 40, 10, 11, 10])).toEqual([]);
  });

  it('holds points as received and sorts them by time', () => {
    const p = seriesPoints(2);
    for (const [ts, v] of [[3, 30], [1, 10], [2, 20], [5, 50], [4, 40]]) addPoint(p, ts, v);
    const s = sortedPoints(p);
    expect([...s.t]).toEqual([1, 2, 3, 4, 5]);
    expect([...s.v]).toEqual([10, 20, 30, 40, 50]);
  });
});

describe('isolated spikes on the simulated grid', () => {
  it('raise nothing on clean series of every kind, and find the injected outliers (0, 2.5x, sign flips)', () => {
    const from = new Date(Date.UTC(2026, 2, 22)); // a week across the spring DST change
    const to = new Date(Date.UTC(2026, 3, 5));
    const bySeries = (faults: boolean) => {
      const sim = createSimulator({ seed: 7, topology: readDefaultGrid(), faults: faults ? { gapsPerDay: 0.5, outlierRate: 2e-3 } : false });
      const out = new Map<string, Map<number, number>>();
      for (const m of sim.generate(from, to, 300).measurements) {
        if (!out.has(m.seriesId)) out.set(m.seriesId, new Map());
        out.get(m.seriesId)!.set(m.ts.getTime(), m.value);
      }
      return out;
    };
    const clean = bySeries(false);
    const faulty = bySeries(true);
    let injected = 0;
    let found = 0;
    for (const [id, points] of faulty) {
      const t = [...points.keys()];
      const v = [...points.values()];
      const truth = clean.get(id)!;
      expect(isolatedSpikes([...truth.keys()], [...truth.values()]), id).toEqual([]);
      const flagged = isolatedSpikes(t, v).map((s) => t[s.index]);
      // Never a point the simulator did not touch.
      for (const ts of flagged) expect(points.get(ts), `${id} ${new Date(ts).toISOString()}`).not.toBe(truth.get(ts));
      for (const [ts, value] of points) if (Math.abs(value - truth.get(ts)!) > 0.5 * Math.abs(truth.get(ts)!)) injected++;
      found += flagged.length;
    }
    expect(injected).toBeGreaterThan(100);
    expect(found / injected).toBeGreaterThan(0.9);
  });
});
