import { describe, expect, it } from 'vitest';
import { accuracy, pinballLoss } from './metrics.ts';

describe('accuracy', () => {
  it('matches hand-computed MAPE, MAE, RMSE, pinball and coverage', () => {
    const a = accuracy([100, 200, 50], [110, 180, 50], { '0.1': [90, 190, 60], '0.9': [120, 210, 70] });
    expect(a.n).toBe(3);
    expect(a.mape).toBeCloseTo((100 * (0.1 + 0.1 + 0)) / 3, 10);
    expect(a.mae).toBeCloseTo(10, 10);
    expect(a.rmse).toBeCloseTo(Math.sqrt(500 / 3), 10);
    // P10: 0.1·10, 0.1·10, 0.9·10; P90: 0.1·20, 0.1·10, 0.1·20 → 16 / 6
    expect(a.pinball).toBeCloseTo(16 / 6, 10);
    expect(a.pinballPct).toBeCloseTo((100 * (16 / 6)) / (350 / 3), 10);
    expect(a.coverage).toBeCloseTo(200 / 3, 10);
    expect(a.mapeUndefined).toBeUndefined();
  });

  it('flags MAPE as undefined with zero actuals instead of returning NaN or Infinity', () => {
    const a = accuracy([0, 100], [5, 90]);
    expect(a.mape).toBeNull();
    expect(a.mapeUndefined).toBe('zero actuals (1)');
    expect(a.mae).toBe(7.5);
    expect(a.pinball).toBeNull();
    expect(a.coverage).toBeNull();
  });

  it('leaves out missing actuals and forecasts and counts them', () => {
    const a = accuracy([Number.NaN, 100, 80], [1, 110, Number.NaN]);
    expect(a.n).toBe(1);
    expect(a.skipped).toBe(2);
    expect(a.mape).toBeCloseTo(10, 10);
    const none = accuracy([Number.NaN], [1]);
    expect(none.mape).toBeNull();
    expect(Number.isNaN(none.mae) || Number.isNaN(none.rmse)).toBe(false);
  });

  it('pinball loss is asymmetric by level', () => {
    expect(pinballLoss(10, 8, 0.9)).toBeCloseTo(1.8, 12);
    expect(pinballLoss(10, 12, 0.9)).toBeCloseTo(0.2, 12);
    expect(pinballLoss(10, 12, 0.1)).toBeCloseTo(1.8, 12);
  });

  it('refuses forecasts that do not line up with the actuals', () => {
    expect(() => accuracy([1, 2], [1])).toThrow(RangeError);
  });
});
