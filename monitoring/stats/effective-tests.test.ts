import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { correlationMatrix, effectiveTests } from './effective-tests.ts';

/** R's values on the same numbers: bench/r/drift-calibration-fixtures.R writes them. */
const fx = JSON.parse(readFileSync(new URL('./__fixtures__/drift-calibration.json', import.meta.url), 'utf8')) as {
  correlation: { series: number[][]; corr: number[]; eigen: number[]; galwey: number };
};

const equicorrelated = (k: number, r: number) => Float64Array.from({ length: k * k }, (_, i) => (Math.floor(i / k) === i % k ? 1 : r));

describe('effective number of tests (Galwey 2009)', () => {
  it('counts k uncorrelated tests k times and k identical ones once', () => {
    expect(effectiveTests(equicorrelated(5, 0), 5)).toBeCloseTo(5, 12);
    expect(effectiveTests(equicorrelated(5, 1), 5)).toBeCloseTo(1, 12);
    expect(effectiveTests(new Float64Array(0), 0)).toBe(0);
  });

  it('equicorrelated: eigenvalues 1 + (k − 1)r and 1 − r (k − 1 times), by hand', () => {
    const k = 4;
    const r = 0.6;
    const want = (Math.sqrt(1 + (k - 1) * r) + (k - 1) * Math.sqrt(1 - r)) ** 2 / k;
    expect(effectiveTests(equicorrelated(k, r), k)).toBeCloseTo(want, 10);
  });

  it("on R's cor() of correlated series: the same matrix and the same measure from R's eigen()", () => {
    const { corr, n } = correlationMatrix(fx.correlation.series);
    expect(n).toBe(fx.correlation.series[0].length);
    corr.forEach((v, i) => expect(v).toBeCloseTo(fx.correlation.corr[i], 12));
    expect(effectiveTests(corr, 4)).toBeCloseTo(fx.correlation.galwey, 10);
  });

  it('correlates over the positions where every series has a value', () => {
    const { corr, n } = correlationMatrix([
      [1, 2, 3, Number.NaN, 5],
      [2, 4, 6, 8, Number.NaN],
    ]);
    expect(n).toBe(3);
    expect(corr[1]).toBeCloseTo(1, 12);
  });
});
