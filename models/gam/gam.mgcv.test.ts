import { describe, expect, it } from 'vitest';
import { fitGam } from './gam.ts';
import { loadMgcvFixture, mgcvData, withMgcvKnots } from './__fixtures__/mgcv.ts';

const LABELS: Record<string, string[]> = {
  'additive-reml': ['s(x1)', 's(x2):fac0', 's(x2):fac1', 's(x2):fac2', 'te(x3,x4)'],
  'additive-gcv': ['s(x1)', 's(x2):fac0', 's(x2):fac1', 's(x2):fac2', 'te(x3,x4)'],
  'interaction-reml': ['s(x3)', 's(x4)', 'ti(x3,x4)'],
};

describe.each(Object.keys(LABELS))('GAM against R mgcv (%s)', (name) => {
  const fx = loadMgcvFixture(name);
  const { model, fitted } = fitGam(withMgcvKnots(fx), mgcvData(fx), Float64Array.from(fx.data.y), fx.criterion);

  it('uses the same criterion and the same smooths', () => {
    expect(model.criterion).toBe(fx.criterion);
    expect(model.smooths.map((s) => s.label)).toEqual(LABELS[name]);
  });

  it('matches the EDF of every smooth within 3 %', () => {
    model.smooths.forEach((s, i) => expect(Math.abs(s.edf - fx.smooths[i].edf) / fx.smooths[i].edf).toBeLessThan(0.03));
    expect(Math.abs(model.edf - fx.edfTotal) / fx.edfTotal).toBeLessThan(0.02);
  });

  it('chooses the same smoothing parameters (same penalty scaling as mgcv)', () => {
    // mgcv scales the margins of a ti differently (EDF and fit are invariant to that), so ti is left out.
    const ours = model.smooths.flatMap((s) => s.lambda.map((l) => ({ l, ti: s.label.startsWith('ti(') })));
    expect(ours).toHaveLength(fx.sp.length);
    ours.forEach(({ l, ti }, i) => {
      if (!ti) expect(Math.abs(Math.log(l / fx.sp[i]))).toBeLessThan(fx.criterion === 'REML' ? 0.01 : 0.05);
    });
  });

  it('matches the fitted values', () => {
    let sd = 0;
    const mean = fx.fitted.reduce((a, b) => a + b, 0) / fx.fitted.length;
    for (const f of fx.fitted) sd += (f - mean) ** 2;
    sd = Math.sqrt(sd / fx.fitted.length);
    let maxDiff = 0;
    fx.fitted.forEach((f, i) => (maxDiff = Math.max(maxDiff, Math.abs(fitted[i] - f))));
    expect(maxDiff / sd).toBeLessThan(0.02);
  });
});
