import { describe, expect, it } from 'vitest';
import { validateTopology } from '../../core/topology/validate.ts';
import { balanceTerms, regionalConsumption } from './balance.ts';
import { consumptionFromWithdrawal, estimatePv, interpolateAt, pvFromClearSky, pvFromIrradiance } from './disaggregate.ts';
import { redundantLookup, valueAtOtherEnd } from './redundancy.ts';

const near = (a: ArrayLike<number>, b: number[]) => expect(Array.from(a).map((x) => Math.round(x * 1e9) / 1e9)).toEqual(b);

describe('disaggregation (A7)', () => {
  it('estimates PV as capacity × 0.85 × G/1000 and adds it back to the withdrawal it offsets', () => {
    // 10 MW of PV: G = 0 → 0; 500 → 10·0.85·0.5 = 4.25; 1000 → 8.5; missing G stays missing.
    const pv = pvFromIrradiance([0, 500, 1000, NaN], 10);
    near(pv, [0, 4.25, 8.5, NaN]);
    near(consumptionFromWithdrawal([50, 40, 30, 20], pv), [50, 44.25, 38.5, NaN]);
  });

  it('uses a clear-sky model without irradiance: zero at night, positive at noon', () => {
    const night = Date.UTC(2026, 5, 21, 0, 0);
    const noon = Date.UTC(2026, 5, 21, 12, 0);
    const [n, d] = pvFromClearSky([night, noon], 48.85, 2.35, 10);
    expect(n).toBe(0);
    // Midsummer noon in Paris: about 900 W/m² clear sky × 0.6 clearness × 0.85 × 10 MW ≈ 4.6 MW.
    expect(d).toBeGreaterThan(4);
    expect(d).toBeLessThan(5.5);
  });

  it('interpolates irradiance between observations, never across a long gap', () => {
    const h = 3_600_000;
    near(interpolateAt([0, h, 4 * h], [100, 200, 400], [0, h / 2, h, 2 * h, 5 * h], h), [100, 150, 200, NaN, NaN]);
  });
});

describe('regional balance (A6)', () => {
  const topology = validateTopology({
    nodes: [
      { id: 'nation', kind: 'load', unit: 'MW' },
      { id: 'A', parent: 'nation', kind: 'load', unit: 'MW' },
      { id: 'B', parent: 'nation', kind: 'load', unit: 'MW' },
      { id: 'genA', kind: 'generation', unit: 'MW', attrs: { site: 'A' } },
      { id: 'genB', kind: 'generation', unit: 'MW', attrs: { site: 'B' } },
      { id: 'ab.a', kind: 'flow', unit: 'MW', attrs: { from: 'A', to: 'B', measuredAt: 'A' } },
      { id: 'ab.b', kind: 'flow', unit: 'MW', attrs: { from: 'A', to: 'B', measuredAt: 'B' } },
    ],
  });

  it('takes production at the site and flows measured at the region’s own end, signed as exports', () => {
    expect(balanceTerms(topology, 'A')).toEqual({ region: 'A', production: ['genA'], exports: [{ seriesId: 'ab.a', sign: 1 }] });
    expect(balanceTerms(topology, 'B')).toEqual({ region: 'B', production: ['genB'], exports: [{ seriesId: 'ab.b', sign: -1 }] });
  });

  it('computes consumption = production − net exports by hand', () => {
    // A produces 120 and sends 30 to B: A consumes 90. B produces 50, receives 29.4 (2 % losses): B consumes 79.4.
    near(regionalConsumption([[120]], [{ values: [30], sign: 1 }]), [90]);
    near(regionalConsumption([[50]], [{ values: [29.4], sign: -1 }]), [79.4]);
    // Two producers, two lines: 10 + 5 − (+1)(3) − (−1)(−2) = 10; a missing flow → missing, not a partial sum.
    near(regionalConsumption([[10, 10], [5, 5]], [{ values: [3, NaN], sign: 1 }, { values: [-2, 1], sign: -1 }]), [10, NaN]);
  });

  it('refuses a balance that would miss a line', () => {
    const t = validateTopology({
      nodes: [
        { id: 'A', kind: 'load', unit: 'MW' },
        { id: 'B', kind: 'load', unit: 'MW' },
        { id: 'ab.b', kind: 'flow', unit: 'MW', attrs: { from: 'A', to: 'B', measuredAt: 'B' } },
      ],
    });
    expect(() => balanceTerms(t, 'A')).toThrow(expect.objectContaining({ code: 'BALANCE_INCOMPLETE' }));
  });
});

describe('redundancy (A3)', () => {
  it('converts through the losses in the direction of the flow', () => {
    expect(valueAtOtherEnd(100, 0.02, 'from')).toBeCloseTo(98);
    expect(valueAtOtherEnd(-98, 0.02, 'from')).toBeCloseTo(-100);
    expect(valueAtOtherEnd(98, 0.02, 'to')).toBeCloseTo(100);
    expect(valueAtOtherEnd(-100, 0.02, 'to')).toBeCloseTo(-98);
  });

  it('fills one end from the other through the losses, with the inputs for the audit log', () => {
    const lookup = redundantLookup({ seriesId: 'ab.b', points: new Map([[1000, 98]]) }, 0.02, 'from');
    expect(lookup(1000)!.value).toBeCloseTo(100);
    expect(lookup(1000)!.inputs).toMatchObject({ redundantWith: 'ab.b', otherValue: 98 });
    expect(lookup(2000)).toBeUndefined();
  });
});

describe('PV estimate of the derived-series job (A7)', () => {
  const h = 3_600_000;
  const noon = Date.UTC(2026, 5, 21, 12, 0);
  const paris = { latitude: 48.85, longitude: 2.35 };

  it('interpolates measured irradiance, holds the last observation briefly, then falls back to clear sky, labelled', () => {
    const obs = { ts: [noon, noon + h / 6], values: [800, 600] };
    const ts = [noon + h / 12, noon + h / 6 + 10 * 60_000, noon + h];
    const { pv, clearSky } = estimatePv(ts, obs, 10, paris, 2 * h);
    near(pv.slice(0, 2), [(10 * 0.85 * 700) / 1000, (10 * 0.85 * 600) / 1000]);
    expect([...clearSky]).toEqual([0, 0, 1]);
    expect(pv[2]).toBeCloseTo(pvFromClearSky([noon + h], paris.latitude, paris.longitude, 10)[0]);
  });

  it('leaves a point unknown when there is neither irradiance nor a position', () => {
    const { pv, clearSky } = estimatePv([noon], { ts: [], values: [] }, 10, undefined, 2 * h);
    expect(Number.isNaN(pv[0])).toBe(true);
    expect([...clearSky]).toEqual([0]);
  });
});
