import { describe, expect, it } from 'vitest';
import type { AppliedTransfer } from '../core/planned.ts';
import { applyTransfers, coverage, removeTransfers, transferTarget, type Vectors } from './transfers.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const iso = (h: number) => new Date(T0 + h * H).toISOString();
//        grid
//      /      \
//   north     south
//   /   \       |
//  ss1  ss2    ss3
const PARENT = new Map<string, string | null>([
  ['grid', null],
  ['north', 'grid'],
  ['south', 'grid'],
  ['ss1', 'north'],
  ['ss2', 'north'],
  ['ss3', 'south'],
]);
const transfer = (over: Partial<AppliedTransfer>): AppliedTransfer => ({ source: 'dso', ref: 'w1', version: 1, fromNode: 'ss1', toNode: 'ss2', start: iso(2), end: iso(5), share: 0.4, ...over });

/** A coherent set: bottom profiles, aggregates summed; quantiles 0.9·mean and 1.1·mean. */
function coherent(steps: number): Map<string, Vectors> {
  const bottom: Record<string, Float64Array> = {
    ss1: Float64Array.from({ length: steps }, (_, k) => 100 + 10 * k),
    ss2: Float64Array.from({ length: steps }, (_, k) => 50 + k),
    ss3: Float64Array.from({ length: steps }, (_, k) => 80 - k),
  };
  const sum = (...a: Float64Array[]) => a[0].map((_, k) => a.reduce((s, x) => s + x[k], 0));
  const means: Record<string, Float64Array> = { ...bottom, north: sum(bottom.ss1, bottom.ss2), south: sum(bottom.ss3) };
  means.grid = sum(means.north, means.south);
  return new Map(Object.entries(means).map(([id, m]) => [id, { mean: m, quantiles: { '0.1': m.map((x) => 0.9 * x), '0.9': m.map((x) => 1.1 * x) } }]));
}

describe('planned transfers on forecasts and history', () => {
  it('finds the branches below the lowest common ancestor', () => {
    expect(transferTarget(transfer({}), PARENT)).toEqual({ loses: ['ss1'], gains: ['ss2'] });
    expect(transferTarget(transfer({ toNode: 'ss3' }), PARENT)).toEqual({ loses: ['ss1', 'north'], gains: ['ss3', 'south'] });
    // To a node outside the hierarchy: the load leaves it up to the root.
    expect(transferTarget(transfer({ toNode: 'elsewhere' }), PARENT)).toEqual({ loses: ['ss1', 'north', 'grid'], gains: [] });
  });

  it('weighs an hour partly covered by the covered fraction', () => {
    const w = coverage({ start: new Date(T0 + 1.5 * H).toISOString(), end: iso(3) }, T0, 5);
    expect([...w]).toEqual([0, 0.5, 1, 0, 0]);
  });

  it('moves share·(from-node forecast) between two substations of one parent, mean and quantiles, and leaves the parent and root unchanged', () => {
    const before = coherent(8);
    const { values, touched, warnings } = applyTransfers(before, [transfer({})], PARENT, T0, 8);
    expect(warnings).toEqual([]);
    for (let k = 0; k < 8; k++) {
      const on = k >= 2 && k < 5;
      for (const pick of [(v: Vectors) => v.mean, (v: Vectors) => v.quantiles['0.1'], (v: Vectors) => v.quantiles['0.9']]) {
        const m = on ? 0.4 * pick(before.get('ss1')!)[k] : 0;
        expect(pick(values.get('ss1')!)[k]).toBeCloseTo(pick(before.get('ss1')!)[k] - m, 9);
        expect(pick(values.get('ss2')!)[k]).toBeCloseTo(pick(before.get('ss2')!)[k] + m, 9);
        for (const id of ['north', 'south', 'grid', 'ss3']) expect(pick(values.get(id)!)[k]).toBe(pick(before.get(id)!)[k]);
      }
    }
    expect(touched.get('ss1')).toEqual([false, false, true, true, true, false, false, false]);
    expect([...touched.keys()].sort()).toEqual(['ss1', 'ss2']);
    // The input is not changed.
    expect(before.get('ss1')!.mean[3]).toBe(130);
  });

  it('keeps a coherent set coherent when the transfer crosses parents: the branches move, the root does not', () => {
    const { values } = applyTransfers(coherent(6), [transfer({ toNode: 'ss3', share: 0.25 })], PARENT, T0, 6);
    const v = (id: string) => values.get(id)!.mean;
    for (let k = 0; k < 6; k++) {
      expect(v('north')[k]).toBeCloseTo(v('ss1')[k] + v('ss2')[k], 9);
      expect(v('south')[k]).toBeCloseTo(v('ss3')[k], 9);
      expect(v('grid')[k]).toBeCloseTo(v('north')[k] + v('south')[k], 9);
      expect(v('grid')[k]).toBe(coherent(6).get('grid')!.mean[k]);
    }
    expect(v('north')[3]).toBeLessThan(coherent(6).get('north')!.mean[3]);
  });

  it('scales down shares leaving a node beyond its whole load, with a warning, and skips a transfer from outside the hierarchy', () => {
    const { values, warnings } = applyTransfers(coherent(6), [transfer({ share: 0.7 }), transfer({ ref: 'w2', toNode: 'ss3', share: 0.6 }), transfer({ ref: 'w3', fromNode: 'other' })], PARENT, T0, 6);
    expect(values.get('ss1')!.mean[3]).toBeCloseTo(0, 9);
    expect(warnings.some((w) => w.includes('transfers out of ss1 add up to more than its whole load over 3 hour(s)'))).toBe(true);
    expect(warnings.some((w) => w.includes('dso/w3 v1') && w.includes('not in this run'))).toBe(true);
  });

  it('takes a past transfer out of the history: the no-transfer load comes back, and a whole-load transfer leaves its hours unknown', () => {
    const truth = new Map([...coherent(8)].map(([id, v]) => [id, v.mean]));
    const t = transfer({ toNode: 'ss3', share: 0.4 });
    const observed = applyTransfers(coherent(8), [t], PARENT, T0, 8).values;
    const cleaned = removeTransfers(new Map([...observed].map(([id, v]) => [id, v.mean])), [t], PARENT, T0, 8);
    expect(cleaned).toMatchObject({ corrected: 3, blanked: 0 });
    for (const [id, v] of truth) for (let k = 0; k < 8; k++) expect(cleaned.history.get(id)![k]).toBeCloseTo(v[k], 9);

    const whole = transfer({ share: 1 });
    const seen = applyTransfers(coherent(8), [whole], PARENT, T0, 8).values;
    const c = removeTransfers(new Map([...seen].map(([id, v]) => [id, v.mean])), [whole], PARENT, T0, 8);
    expect(c.blanked).toBe(3);
    expect(Number.isNaN(c.history.get('ss1')![3])).toBe(true);
    expect(Number.isNaN(c.history.get('ss2')![3])).toBe(true);
    expect(c.history.get('north')![3]).toBe(truth.get('north')![3]);
    expect(c.history.get('ss1')![1]).toBe(truth.get('ss1')![1]);
  });
});
