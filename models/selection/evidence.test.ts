import { describe, expect, it } from 'vitest';
import { roundLosses, verdictOf } from './evidence.ts';

// R forecast::dm.test(p, a, alternative = "greater", h = 1, power = 1): bench/r/evidence-dm.R.
const CLOSE = { preferred: [9.1, 10.4, 8.7, 11.2], alternative: [8.2, 9.0, 8.9, 9.6], p: 0.052681588465 };
const CLEAR = { preferred: [2.1, 1.8, 2.6, 1.9, 2.4, 2.0, 2.2], alternative: [1.2, 1.1, 1.5, 1.0, 1.6, 1.3, 1.2], p: 0.000002359251 };

describe('auto by evidence: the preferred candidate unless an alternative is better beyond doubt', () => {
  it("tests each alternative's daily losses against the preferred one's as R's dm.test does, one-sided", () => {
    const close = verdictOf(CLOSE.preferred, [{ label: 'b', score: 8.9, losses: CLOSE.alternative }], 0.05);
    expect(close.tests[0].pValue).toBeCloseTo(CLOSE.p, 9);
    // p = 0.053: better on 3 of 4 days, not beyond doubt at 5 %; at 10 % it is.
    expect(close.served).toBe(-1);
    expect(verdictOf(CLOSE.preferred, [{ label: 'b', score: 8.9, losses: CLOSE.alternative }], 0.1).served).toBe(0);
    const clear = verdictOf(CLEAR.preferred, [{ label: 'b', score: 1.27, losses: CLEAR.alternative }], 0.05);
    expect(clear.tests[0].pValue).toBeCloseTo(CLEAR.p, 11);
    expect(clear.served).toBe(0);
    // The other way round the alternative is worse every day: nowhere near.
    expect(verdictOf(CLEAR.alternative, [{ label: 'b', score: 2.14, losses: CLEAR.preferred }], 0.05).tests[0].pValue).toBeGreaterThan(0.99);
  });

  it('serves the lowest score among the alternatives that pass, not the most significant', () => {
    const preferred = [6, 5, 7, 6, 8];
    const v = verdictOf(
      preferred,
      [
        { label: 'steady', score: 5.4, losses: preferred.map((x) => x - 1) },
        { label: 'much better', score: 2.2, losses: [2, 2.5, 1.5, 3, 2] },
        { label: 'noisy', score: 2, losses: [1, 9, 0.5, 8, 1.5] },
        { label: 'worse', score: 7.4, losses: preferred.map((x) => x + 1) },
      ],
      0.05,
    );
    // Better by the same amount every day: no variance, the test's limit (p = 0); worse the same way: p = 1.
    expect(v.tests.map((t) => t.pValue)).toEqual([0, expect.any(Number), expect.any(Number), 1]);
    expect(v.tests[1].pValue).toBeLessThan(0.01);
    expect(v.tests[2].pValue).toBeGreaterThan(0.05);
    // 'noisy' has the lowest score but no evidence; of the two that pass, the lower score serves.
    expect(v.served).toBe(1);
  });

  it('keeps the preferred candidate on fewer than 3 paired days', () => {
    const v = verdictOf([5, 6, Number.NaN, 7], [{ label: 'b', score: 1, losses: [1, Number.NaN, 1.2, 1.1] }], 0.05);
    expect(v.tests[0].pValue).toBeNaN();
    expect(v.served).toBe(-1);
  });

  it('pools each validation origin into one daily loss (MAPE %, or MAE)', () => {
    const v = { errors: Float64Array.from([1, -2, 3, 0, 4]), actuals: Float64Array.from([10, 20, 30, 40, 50]), rounds: [2, 3] };
    expect(roundLosses(v, 'MAPE')).toEqual([(100 * (0.1 + 0.1)) / 2, (100 * (0.1 + 0 + 0.08)) / 3]);
    expect(roundLosses(v, 'MAE')).toEqual([1.5, 7 / 3]);
  });
});
