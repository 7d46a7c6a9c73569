import { describe, expect, it } from 'vitest';
import type { ResidualHour } from '../core/monitor-state.ts';
import { fakeResiduals } from '../test/fakes/monitor-state.ts';
import { corrected, fitCorrection, peerReader } from './peers.ts';

const H = 3_600_000;
const hour = (t: number, actual: number, forecast: number): ResidualHour => ({ ts: new Date(t * H), actual, forecast, modelVersion: 'm@1', fallbackReason: null });

describe('sibling correction', () => {
  it('corrects each hour by the weighted relative errors of the siblings, 0 where one has none', () => {
    const siblings = new Map([
      ['b', new Map([[0, 0.1], [H, -0.2]])],
      ['c', new Map([[0, 0.3]])],
    ]);
    const out = corrected([hour(0, 120, 100), hour(1, 90, 100), hour(2, 100, 100)], siblings, { weights: { b: 0.5, c: 0.25 }, lambda: 0.001, count: 2 });
    expect(out.map((h) => h.forecast)).toEqual([100 * (1 + 0.05 + 0.075), 100 * (1 - 0.1), 100]);
    expect(out.map((h) => h.actual)).toEqual([120, 90, 100]);
  });

  it('fits weights on daily means: a series that is its sibling plus noise gets a weight near one', () => {
    const days = 200;
    const rnd = (i: number) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453) - 0.5;
    const common = Array.from({ length: days }, (_, d) => 0.1 * rnd(d));
    const hours: ResidualHour[] = [];
    const sib = new Map<number, number>();
    for (let t = 0; t < days * 24; t++) {
      const d = Math.floor(t / 24);
      hours.push(hour(t, 100 * (1 + common[d] + 0.01 * rnd(t + 7777)), 100));
      sib.set(t * H, common[d]);
    }
    const c = fitCorrection(hours, new Map([['b', sib]]), 24, 20)!;
    expect(c.count).toBe(1);
    expect(c.weights.b).toBeGreaterThan(0.9);
    expect(c.weights.b).toBeLessThan(1.05);
  });

  it('leaves a sibling on a rupture fallback out, the others scaled to the same total', async () => {
    const reader = peerReader(fakeResiduals(new Map()), new Map([['a', ['b', 'c', 'd']]]), 1, new Set(['d']));
    expect(reader.siblingsOf('a')).toEqual(['b', 'c']);
    const c = { weights: { b: 0.2, c: 0.3, d: 0.5 }, lambda: 0.001, count: 3 };
    expect(reader.usable(c)!.weights).toEqual({ b: 0.4, c: 0.6 });
    expect(reader.weighsBroken(c)).toBe(true);
    expect(reader.weighsBroken({ ...c, weights: { b: 1 } })).toBe(false);
    reader.markBroken('c');
    expect(reader.usable(c)!.weights).toEqual({ b: 1 });
    // under a tenth of the weight left is too little to stand for the common error: no correction
    expect(reader.usable({ ...c, weights: { b: 0.05, c: 0.45, d: 0.5 } })!.weights).toEqual({});
  });
});
