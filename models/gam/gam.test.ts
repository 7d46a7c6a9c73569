import { describe, expect, it } from 'vitest';
import { normals } from './__fixtures__/simulated.ts';
import { fitGam, predictGam } from './gam.ts';

describe('fitGam', () => {
  const n = 400;
  const g = normals(3);
  const x = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n);
  const f = (v: number) => Math.sin(2 * Math.PI * v) + 2 * v * v;
  const y = Float64Array.from(x, (v) => f(v) + 0.2 * g());

  it('recovers a known smooth function', () => {
    const { model } = fitGam([{ kind: 's', variable: 'x', bs: 'cr', k: 12 }], { x }, y);
    const grid = Float64Array.from({ length: 50 }, (_, i) => 0.02 + (i / 49) * 0.96);
    const { fit, se } = predictGam(model, { x: grid });
    grid.forEach((v, i) => {
      expect(Math.abs(fit[i] - f(v))).toBeLessThan(0.12);
      expect(se[i]).toBeGreaterThan(0);
    });
    expect(model.smooths[0].edf).toBeGreaterThan(3);
    expect(model.smooths[0].edf).toBeLessThan(11);
    expect(Math.sqrt(model.sig2)).toBeCloseTo(0.2, 1);
  });

  it('shrinks a smooth of pure noise to its null space (a straight line)', () => {
    const noise = Float64Array.from(x, () => g());
    const { model } = fitGam([{ kind: 's', variable: 'x', bs: 'cr', k: 10 }], { x }, noise);
    expect(model.smooths[0].edf).toBeLessThan(1.5);
  });

  it('drops rows with a missing response or variable, and fits a constant response', () => {
    const yy = Float64Array.from(y);
    yy[5] = Number.NaN;
    const xx = Float64Array.from(x);
    xx[9] = Number.NaN;
    const { model, fitted } = fitGam([{ kind: 's', variable: 'x', bs: 'cr', k: 8 }], { x: xx }, yy);
    expect(model.n).toBe(n - 2);
    expect(Number.isFinite(fitted[5]) && Number.isNaN(fitted[9])).toBe(true);
    const flat = fitGam([{ kind: 's', variable: 'x', bs: 'cr', k: 8 }], { x }, new Float64Array(n).fill(7));
    flat.fitted.forEach((v) => expect(v).toBeCloseTo(7, 6));
  });

  it('refuses data it cannot fit, with codes', () => {
    const s = [{ kind: 's' as const, variable: 'x', bs: 'cr' as const, k: 8 }];
    expect(() => fitGam(s, { x }, new Float64Array(n).fill(Number.NaN))).toThrow(expect.objectContaining({ code: 'GAM_NO_DATA' }));
    expect(() => fitGam(s, { z: x }, y)).toThrow(expect.objectContaining({ code: 'GAM_MISSING_VARIABLE' }));
    expect(() => fitGam(s, { x: x.subarray(0, 10) }, y)).toThrow(expect.objectContaining({ code: 'GAM_DATA_LENGTH' }));
    expect(() => fitGam(s, { x: x.subarray(0, 5) }, y.subarray(0, 5))).toThrow(expect.objectContaining({ code: 'TOO_FEW_UNIQUE_VALUES' }));
  });
});
