import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TermSpec } from './design.ts';
import { fitGam } from './gam.ts';

interface Fixture {
  criterion: 'REML' | 'GCV';
  terms: TermSpec[];
  data: Record<string, number[]>;
  fitted: number[];
  smooths: { label: string; edf: number; knots: number[][] }[];
  sp: number[];
  edfTotal: number;
}

const load = (name: string): Fixture => JSON.parse(readFileSync(new URL(`../../test/fixtures/mgcv/${name}.json`, import.meta.url), 'utf8'));

/** The fixture's terms with mgcv's knots, so both fits use the same basis. */
function withKnots(fx: Fixture): TermSpec[] {
  const knotsOf = (prefix: string) => fx.smooths.find((s) => s.label.startsWith(prefix))!.knots;
  return fx.terms.map((t) => {
    if (t.kind === 's') return { ...t, knots: knotsOf(`s(${t.variable})`)[0] };
    if (t.kind === 'te' || t.kind === 'ti') {
      const k = knotsOf(`${t.kind}(${t.variables.join(',')})`);
      return { ...t, knots: [k[0], k[1]] as [number[], number[]] };
    }
    return t;
  });
}

const LABELS: Record<string, string[]> = {
  'additive-reml': ['s(x1)', 's(x2):fac0', 's(x2):fac1', 's(x2):fac2', 'te(x3,x4)'],
  'additive-gcv': ['s(x1)', 's(x2):fac0', 's(x2):fac1', 's(x2):fac2', 'te(x3,x4)'],
  'interaction-reml': ['s(x3)', 's(x4)', 'ti(x3,x4)'],
};

describe.each(Object.keys(LABELS))('GAM against R mgcv (%s)', (name) => {
  const fx = load(name);
  const data = Object.fromEntries(Object.entries(fx.data).filter(([k]) => k !== 'y').map(([k, v]) => [k, Float64Array.from(v)]));
  const { model, fitted } = fitGam(withKnots(fx), data, Float64Array.from(fx.data.y), fx.criterion);

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
