import { readFileSync } from 'node:fs';
import type { TermSpec } from '../design.ts';

/** A reference fit of R mgcv (bench/r/mgcv-fixture.R → test/fixtures/mgcv/<name>.json). */
export interface MgcvFixture {
  criterion: 'REML' | 'GCV';
  terms: TermSpec[];
  data: Record<string, number[]>;
  fitted: number[];
  smooths: { label: string; edf: number; knots: number[][] }[];
  sp: number[];
  edfTotal: number;
}

export const loadMgcvFixture = <T = MgcvFixture>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/mgcv/${name}.json`, import.meta.url), 'utf8')) as T;

/** The fixture's terms with mgcv's knots, so both fits use the same basis. */
export function withMgcvKnots(fx: MgcvFixture): TermSpec[] {
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

/** The fixture's data columns but the response. */
export const mgcvData = (fx: MgcvFixture): Record<string, Float64Array> =>
  Object.fromEntries(Object.entries(fx.data).filter(([k]) => k !== 'y').map(([k, v]) => [k, Float64Array.from(v)]));
