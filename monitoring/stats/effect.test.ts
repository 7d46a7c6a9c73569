import { describe, expect, it } from 'vitest';
import { standardisedDifference } from './effect.ts';

describe('standardised difference of means', () => {
  it('is (mean recent − mean reference) / sd reference, signed, ignoring NaN (by hand)', () => {
    const ref = [1, 2, 3, 4, Number.NaN];
    const sd = Math.sqrt(((1.5 ** 2 + 0.5 ** 2) * 2) / 3);
    expect(standardisedDifference(ref, [5, 6])).toBeCloseTo((5.5 - 2.5) / sd, 12);
    expect(standardisedDifference(ref, [0, 1])).toBeCloseTo((0.5 - 2.5) / sd, 12);
    expect(standardisedDifference([2, 2], [2])).toBe(0);
    expect(standardisedDifference([2, 2], [3])).toBe(Infinity);
    expect(standardisedDifference([2], [3])).toBeNaN();
  });
});
