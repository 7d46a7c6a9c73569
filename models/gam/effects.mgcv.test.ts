import { describe, expect, it } from 'vitest';
import { partialEffects, type CurveEffect, type FactorEffect, type SurfaceEffect } from './effects.ts';
import { fitGam } from './gam.ts';
import { loadMgcvFixture, mgcvData, withMgcvKnots } from './__fixtures__/mgcv.ts';

/** R mgcv's partial effects on the same data (bench/r/mgcv-effects-fixture.R). */
interface EffectsFixture {
  terms: Array<{ label: string; x: number[]; z?: number[]; fit: number[]; se: number[] }>;
  factor: Array<{ label: string; coefficient: number; se: number }>;
}

const range = (v: number[]) => Math.max(...v) - Math.min(...v);
const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe.each(['additive-reml', 'interaction-reml'])('partial effects against R mgcv plot.gam / predict(type = "terms") (%s)', (name) => {
  const fx = loadMgcvFixture(name);
  const ref = loadMgcvFixture<EffectsFixture>(`effects-${name}`);
  const { model } = fitGam(withMgcvKnots(fx), mgcvData(fx), Float64Array.from(fx.data.y), fx.criterion);
  const effects = partialEffects(model);
  const smooths = effects.filter((e): e is CurveEffect | SurfaceEffect => e.kind === 'curve' || e.kind === 'surface');

  it('has every smooth of mgcv, on the same grid', () => {
    expect(smooths.map((s) => s.label)).toEqual(ref.terms.map((t) => t.label.replace('facf', 'fac')));
    smooths.forEach((s, i) => {
      expect(maxAbsDiff(s.x, ref.terms[i].x)).toBeLessThan(1e-12);
      if (s.kind === 'surface') expect(maxAbsDiff(s.z, ref.terms[i].z!)).toBeLessThan(1e-12);
      expect(s.effect).toHaveLength(ref.terms[i].fit.length);
    });
  });

  // The fits agree to rounding (gam.mgcv.test.ts); a ti's margins are scaled otherwise than mgcv's, which moves its se by 0.3 %.
  it('matches each effect within 1e-5 of its range, and its standard error within 1e-5 of its largest (a ti: 0.5 %)', () => {
    smooths.forEach((s, i) => {
      const r = ref.terms[i];
      expect(maxAbsDiff(s.effect, r.fit) / range(r.fit), s.label).toBeLessThan(1e-5);
      expect(maxAbsDiff(s.se, r.se) / Math.max(...r.se), s.label).toBeLessThan(s.label.startsWith('ti(') ? 5e-3 : 1e-5);
    });
  });

  it('gives a pointwise 95 % band of effect ± 1.96 se', () => {
    for (const s of smooths) {
      s.effect.forEach((f, j) => {
        expect(s.upper[j] - f).toBeCloseTo(1.959963985 * s.se[j], 9);
        expect(f - s.lower[j]).toBeCloseTo(1.959963985 * s.se[j], 9);
      });
    }
  });

  it('matches the factor levels against the reference level', () => {
    const factors = effects.filter((e): e is FactorEffect => e.kind === 'factor');
    if (ref.factor.length === 0) return expect(factors).toEqual([]);
    expect(factors.map((f) => f.variable)).toEqual(['fac']);
    const levels = factors[0].levels;
    expect(levels[0]).toEqual({ level: 0, effect: 0, se: 0, lower: 0, upper: 0 });
    ref.factor.forEach((r, i) => {
      // mgcv centres the by-factor curves over all rows: the level effects include the constants that moves (effects.ts).
      expect(Math.abs(levels[i + 1].effect - r.coefficient)).toBeLessThan(1e-6 * Math.abs(r.coefficient));
      expect(Math.abs(levels[i + 1].se - r.se) / r.se).toBeLessThan(1e-6);
    });
  });
});
