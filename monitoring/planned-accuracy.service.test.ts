import { describe, expect, it } from 'vitest';
import { createPlannedAccuracy, planErrors, type PlannedValuesSource } from './planned-accuracy.service.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-05-04T00:00:00Z');

/** Schedules of two consumers from two sources: the steel plant's are off by 20 %, the paper mill's by 2 %. */
const schedules: PlannedValuesSource = {
  name: 'schedules',
  async plannedValues({ from, to }) {
    const out = [];
    for (let k = 0; k < 48; k++) {
      const ts = new Date(T0 + k * H);
      if (ts < from || ts >= to) continue;
      out.push({ source: 'steel-plant', seriesId: 'ss.fos', ts, planned: 100, ref: 'plan-1', version: 1 });
      out.push({ source: 'paper-mill', seriesId: 'ss.arras', ts, planned: 50, ref: 'p-7', version: 2 });
    }
    return out;
  },
};
const actual: Record<string, (k: number) => number> = { 'ss.fos': (k) => (k % 2 ? 120 : 80), 'ss.arras': () => 51 };

describe('planned values against actuals', () => {
  it('computes MAE, bias and MAPE of paired values', () => {
    expect(planErrors([{ planned: 100, actual: 120 }, { planned: 100, actual: 80 }, { planned: 5, actual: 0 }])).toEqual({ hours: 3, mae: 15, bias: -5 / 3, mape: (20 / 120 + 20 / 80) / 2 });
  });

  it('ranks the sources by how far their plans land, per series, over hours with an actual', async () => {
    const acc = createPlannedAccuracy({
      sources: [schedules],
      async actuals(seriesId, from, to) {
        const m = new Map<number, number>();
        // the last 6 hours have no actual yet
        for (let k = 0; k < 42; k++) if (T0 + k * H >= from.getTime() && T0 + k * H < to.getTime()) m.set(T0 + k * H, actual[seriesId](k));
        return m;
      },
    });
    const r = await acc.read({ from: new Date(T0), to: new Date(T0 + 48 * H) });
    expect(r.map((s) => [s.kind, s.source, s.hours])).toEqual([['schedules', 'steel-plant', 42], ['schedules', 'paper-mill', 42]]);
    expect(r[0].mape).toBeCloseTo((20 / 120 + 20 / 80) / 2, 12);
    expect(r[0].series).toEqual([{ seriesId: 'ss.fos', hours: 42, mae: 20, bias: 0, mape: r[0].mape }]);
    expect(r[1]).toMatchObject({ mae: 1, bias: 1 });
    await expect(acc.read({ from: new Date(T0), to: new Date(T0) })).rejects.toMatchObject({ code: 'QUERY_RANGE_INVALID' });
  });
});
