import { describe, expect, it } from 'vitest';
import type { AccuracyRow } from '../core/scores.ts';
import { pooled, pooledByHorizon } from './pooled-accuracy.ts';

const row = (r: Partial<AccuracyRow>): AccuracyRow => ({
  seriesId: 'a', horizon: 'day-ahead', grain: '1h', leadFrom: null, leadTo: null, day: null, n: 10, mape: 5, nApe: 10, maeNearZero: null,
  mae: 2, meanActual: 40, bias: 1, pinball: 0.5, coverage: 80, ...r,
});

describe('accuracy pooled over rows', () => {
  it('weighs MAPE by the values in it and the rest by the values scored', () => {
    // 10 values at 5 %, 30 at 1 % (of 40, 10 near zero): (50 + 30) / 40 = 2 %.
    const p = pooled([row({}), row({ seriesId: 'b', n: 40, nApe: 30, mape: 1, mae: 7, bias: -1, pinball: null, coverage: 100 })]);
    expect(p).toEqual({ rows: 2, n: 50, nApe: 40, mape: 2, mae: 6, bias: -0.6, pinball: 0.5, coverage: 96 });
    expect(pooled([row({ mape: null, nApe: 0 })]).mape).toBeNull();
    expect(pooled([])).toMatchObject({ n: 0, mape: null, mae: null });
  });

  it('pools per horizon and grain, hours first, in the order of the horizons asked', () => {
    const rows = [row({ grain: '1d', n: 1, nApe: 1, mape: 3 }), row({}), row({ horizon: 'intraday', mape: 9 }), row({ seriesId: 'b', mape: 7 })];
    expect(pooledByHorizon(rows, ['intraday', 'day-ahead']).map((p) => [p.horizon, p.grain, p.rows, p.mape])).toEqual([
      ['intraday', '1h', 1, 9],
      ['day-ahead', '1h', 2, 6],
      ['day-ahead', '1d', 1, 3],
    ]);
  });
});
