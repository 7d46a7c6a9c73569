import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pAdjust } from './adjust.ts';
import { chisqHomogeneity } from './chisq.ts';
import { ksTest } from './ks.ts';
import { psi, psiFromCounts, PSI_EPSILON } from './psi.ts';
import { normalisedWasserstein, wasserstein1 } from './wasserstein.ts';

/** R's outputs on the same numbers: bench/r/drift-fixtures.R writes them. */
interface Fixture {
  ks: Array<{ name: string; x: number[]; y: number[]; exact: boolean | null; statistic: number; p_value: number; r_exact: boolean; ties: boolean }>;
  chisq: Array<{ name: string; a: number[]; b: number[]; statistic: number; df: number; p_value: number }>;
  adjust: Array<{ p: number[]; holm: number[]; BH: number[] }>;
  effects: Array<{ name: string; reference: number[]; recent: number[]; psi: number; w1: number; w1_normalised: number }>;
}
const fx = JSON.parse(readFileSync(new URL('./__fixtures__/drift.json', import.meta.url), 'utf8')) as Fixture;

/** Relative agreement (absolute near zero): the fixture keeps 15 significant digits. */
const close = (got: number, want: number, rel: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.max(Math.abs(want), 1e-3));

describe('two-sample Kolmogorov–Smirnov against R ks.test', () => {
  for (const c of fx.ks) {
    it(c.name, () => {
      const r = ksTest(c.x, c.y, c.exact === null ? {} : { exact: c.exact });
      expect(r.exact).toBe(c.r_exact);
      expect(r.ties).toBe(c.ties);
      close(r.statistic, c.statistic, 1e-12);
      // The exact branch counts paths (agrees to rounding); the asymptotic branch is R's own series.
      close(r.pValue, c.p_value, 1e-9);
    });
  }
  it('takes the exact branch below m·n = 10 000 and the asymptotic one from there', () => {
    const x = Array.from({ length: 100 }, (_, i) => i);
    expect(ksTest(x, x.slice(0, 99).map((v) => v + 0.5)).exact).toBe(true);
    expect(ksTest(x, x.map((v) => v + 0.5)).exact).toBe(false);
  });
  it('ignores NaN as R ignores NA', () => {
    const c = fx.ks[0];
    expect(ksTest([...c.x, Number.NaN], c.y).pValue).toBe(ksTest(c.x, c.y).pValue);
  });
});

describe('chi-square homogeneity against R chisq.test(rbind(a, b))', () => {
  for (const c of fx.chisq) {
    it(c.name, () => {
      const r = chisqHomogeneity(c.a, c.b);
      expect(r.df).toBe(c.df);
      close(r.statistic, c.statistic, 1e-12);
      close(r.pValue, c.p_value, 1e-10);
    });
  }
  it('drops a category empty in both rows (R would return NaN) and counts df without it', () => {
    const c = fx.chisq.find((x) => x.name === '2x3 shifted')!;
    const r = chisqHomogeneity([...c.a, 0], [...c.b, 0]);
    expect(r.dropped).toBe(1);
    expect(r.df).toBe(2);
    close(r.pValue, c.p_value, 1e-10);
  });
});

describe('p-value corrections against R p.adjust', () => {
  for (const [k, c] of fx.adjust.entries()) {
    it(`Holm and BH, case ${k + 1}`, () => {
      pAdjust(c.p, 'holm').forEach((v, i) => close(v, c.holm[i], 1e-12));
      pAdjust(c.p, 'BH').forEach((v, i) => close(v, c.BH[i], 1e-12));
    });
  }
  it('leaves NaN out of n, as R leaves NA', () => {
    const c = fx.adjust[0];
    const got = pAdjust([...c.p, Number.NaN], 'holm');
    expect(got.at(-1)).toBeNaN();
    got.slice(0, -1).forEach((v, i) => close(v, c.holm[i], 1e-12));
  });
});

describe('PSI and normalised Wasserstein against a hand computation in R', () => {
  for (const c of fx.effects) {
    it(c.name, () => {
      close(psi(c.reference, c.recent), c.psi, 1e-10);
      close(wasserstein1(c.reference, c.recent), c.w1, 1e-10);
      close(normalisedWasserstein(c.reference, c.recent), c.w1_normalised, 1e-10);
    });
  }
  it('W1 of a pure shift is the shift, and symmetric', () => {
    const a = [1, 4, 2, 8, 5];
    expect(wasserstein1(a, a.map((v) => v + 3))).toBeCloseTo(3, 12);
    expect(wasserstein1([0, 1, 7], [2, 2])).toBeCloseTo(wasserstein1([2, 2], [0, 1, 7]), 12);
  });
  it('an empty bin counts as share 1e-4, not as an infinite PSI', () => {
    const got = psiFromCounts([50, 50], [100, 0]);
    close(got, (1 - 0.5) * Math.log(1 / 0.5) + (PSI_EPSILON - 0.5) * Math.log(PSI_EPSILON / 0.5), 1e-12);
  });
});
