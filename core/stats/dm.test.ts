import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dmTest, type DmAlternative } from './dm.ts';
import { tCdf, tQuantile } from './t-dist.ts';

interface Case {
  seed: number;
  h: number;
  power: number;
  alternative: DmAlternative;
  e1: number[];
  e2: number[];
  statistic: number;
  pValue: number;
  hUsed: number;
  meanLossDiff: number;
  ci: [number, number];
  level: number;
  negativeVariance?: number;
}

// Made by bench/r/dm-fixtures.R with R forecast::dm.test.
const cases: Case[] = JSON.parse(readFileSync(new URL('./__fixtures__/dm.json', import.meta.url), 'utf8'));
const close = (a: number, b: number, tol = 1e-10) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe('Diebold–Mariano test against R forecast::dm.test', () => {
  it('covers h 1, 2, 24, powers 1 and 2, the three alternatives and the negative-variance fallback', () => {
    expect(new Set(cases.map((c) => c.h))).toEqual(new Set([1, 2, 24]));
    expect(new Set(cases.map((c) => c.alternative)).size).toBe(3);
    expect(cases.some((c) => c.negativeVariance !== undefined && c.negativeVariance < 0 && c.hUsed === 1)).toBe(true);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i matches statistic, p-value, h, mean loss difference and interval', (_i, c) => {
    const r = dmTest(c.e1, c.e2, { h: c.h, power: c.power, alternative: c.alternative, level: c.level });
    close(r.statistic, c.statistic);
    close(r.pValue, c.pValue);
    expect(r.h).toBe(c.hUsed);
    expect(r.n).toBe(c.e1.length);
    close(r.meanLossDiff, c.meanLossDiff);
    close(r.ci[0], c.ci[0]);
    close(r.ci[1], c.ci[1]);
  });

  it('gives NaN, as R refuses, when the loss differences do not vary', () => {
    const r = dmTest([1, 2, 3], [1, 2, 3]);
    expect(r.statistic).toBeNaN();
    expect(r.pValue).toBeNaN();
  });

  it('refuses unpaired errors and a non-integer lead', () => {
    expect(() => dmTest([1, 2], [1])).toThrow(RangeError);
    expect(() => dmTest([1, 2], [1, 3], { h: 1.5 })).toThrow(RangeError);
  });
});

describe('t distribution', () => {
  it('matches R pt and qt on known values', () => {
    // R: pt(-2.5, 7); pt(1.3, 199); qt(0.975, 29); pt(-12, 3)
    close(tCdf(-2.5, 7), 0.020496109292876437, 1e-12);
    close(tCdf(1.3, 199), 0.9024476509766771, 1e-12);
    close(tQuantile(0.975, 29), 2.045229642132703, 1e-12);
    close(tCdf(-12, 3), 0.00062250790039466801, 1e-12);
  });
});
