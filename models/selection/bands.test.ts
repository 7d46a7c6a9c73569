import { describe, expect, it } from 'vitest';
import type { FittedForecaster, ModelArtifact, Series } from '../../core/types.ts';
import { bandCalibration, bandsText, effectiveCount, normalisedScores, rollBands, scaledQuantiles, scoreQuantile, tOverZ, widthRatio, type BandState } from './bands.ts';
import { normalQuantile } from '../gam/normal.ts';
import { createEnsemble, ensembleFromArtifact } from './ensemble.ts';

/** Deterministic pseudo-random numbers in [0, 1). */
const rand = (i: number) => {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
};

/** Nine scores −0.4 … 0.4, given out of order: Q_0.1 = −0.4, Q_0.5 = 0, Q_0.9 = 0.4 at plotting positions τ(n + 1). */
const NINE = [0.1, -0.4, 0.4, 0, -0.1, 0.3, -0.3, 0.2, -0.2];
/** Worth as many independent scores as a large sample: no small-sample widening (κ = 1 to 1e-9). */
const nine: Extract<BandState, { method: 'scaled' }> = { method: 'scaled', scores: NINE, effective: 1e10 };

describe('quantiles of normalised scores', () => {
  it('reads a level at plotting position τ(n + 1), interpolating, clamped to the extremes', () => {
    const s = [1, 2, 3, 4];
    expect(scoreQuantile(s, 0.5)).toBe(2.5); // h = 2.5
    expect(scoreQuantile(s, 0.3)).toBe(1.5); // h = 1.5
    expect(scoreQuantile(s, 0.1)).toBe(1); // h = 0.5: below the smallest
    expect(scoreQuantile(s, 0.9)).toBe(4); // h = 4.5: above the largest
    const nine = Float64Array.from(NINE).sort();
    expect(scoreQuantile(nine, 0.1)).toBe(-0.4); // h = 1
    expect(scoreQuantile(nine, 0.9)).toBe(0.4); // h = 9
    expect(scoreQuantile(nine, 0.25)).toBeCloseTo(-0.25, 15); // h = 2.5: halfway from −0.3 to −0.2
  });

  it('divides each error by its band width, dropping steps without a positive finite width or a finite error', () => {
    expect(normalisedScores([2, -1, 3, Number.NaN, 5], [4, 2, 0, 1, Number.NaN])).toEqual([0.5, -0.5]);
  });

  it('serves mean + (Q_τ(z) − median) × averaged width at every level asked for, the mean untouched', () => {
    const mean = [100, 200];
    const q = scaledQuantiles(mean, [10, 20], nine, [0.9, 0.1, 0.25, 0.5], {});
    expect(Object.keys(q).sort()).toEqual(['0.1', '0.25', '0.5', '0.9']);
    const close = (x: Float64Array, y: number[]) => y.forEach((v, k) => expect(x[k]).toBeCloseTo(v, 7));
    close(q['0.1'], [96, 192]);
    close(q['0.9'], [104, 208]);
    close(q['0.25'], [97.5, 195]);
    expect(Array.from(q['0.5'])).toEqual(mean);
    expect(widthRatio(nine)).toBeCloseTo(0.8, 8);
  });

  it('widens by t_ν / z × √(1 + 1/n_eff) around the median, for few independent scores', () => {
    // n_eff = 11: ν = 10, t_10(0.9) = 1.372184 (R qt), z(0.9) = 1.281552 → κ = 1.070721 × √(12/11) = 1.118317.
    const kappa = (1.372184 / 1.281552) * Math.sqrt(12 / 11);
    expect(widthRatio({ ...nine, effective: 11 })).toBeCloseTo(0.8 * kappa, 5);
    const q = scaledQuantiles([100], [10], { ...nine, effective: 11 }, [0.1, 0.5, 0.9], {});
    expect(q['0.9'][0]).toBeCloseTo(100 + 4 * kappa, 4);
    expect(q['0.5'][0]).toBe(100);
    // Exact against R's qt(0.9, ν), a real ν included (n_eff is not a whole number).
    const z = normalQuantile(0.9);
    for (const [nu, t] of [[1, 3.0776835372], [2, 1.8856180832], [5, 1.4758840488], [30, 1.3104150254], [10.5, 1.3675851988]]) expect(tOverZ(0.9, nu) * z).toBeCloseTo(t, 8);
    // At τ = ½ the limit: the ratio of the densities at 0, √(5/2) Γ(5/2) / Γ(3) = 1.0509… at ν = 5, just below t_5(0.5 + ε) / z(0.5 + ε).
    expect(tOverZ(0.5, 5)).toBeCloseTo((Math.sqrt(2.5) * (0.75 * Math.sqrt(Math.PI))) / 2, 10);
    expect(tOverZ(0.5001, 5)).toBeCloseTo(tOverZ(0.5, 5), 6);
    // Either side of ν = 10⁵, where the expansion takes over: the same to 1e-8.
    expect(tOverZ(0.9, 1e5 + 1)).toBeCloseTo(tOverZ(0.9, 1e5), 8);
    expect(tOverZ(0.9, 1e10)).toBeCloseTo(1, 9);
  });

  it("counts day-clustered scores as fewer independent ones (Kish's design effect)", () => {
    // Two days, each constant: ρ = 1, design effect 1 + (2 − 1) × 1 = 2 → 4 / 2 = 2 (one per day).
    expect(effectiveCount([1, 1, -1, -1], [1, 1, 1, 1], [2, 2])).toBe(2);
    // Day means equal, all the spread within days: ρ clamped at 0 → 4.
    expect(effectiveCount([1, -1, 1, -1], [1, 1, 1, 1], [2, 2])).toBe(4);
    // Halfway: days (2, 0) and (0, −2): MSB = 4, MSW = 2, n₀ = 2, ρ = (4 − 2) / (4 + 2) = 1/3 → 4 / (4/3) = 3.
    expect(effectiveCount([2, 0, 0, -2], [1, 1, 1, 1], [2, 2])).toBeCloseTo(3, 12);
  });

  it('keeps the averaged quantiles, all levels of the step, where the averaged band has no width', () => {
    const averaged = { '0.1': [99, 150], '0.9': [101, 250] };
    const q = scaledQuantiles([100, 200], [0, 20], nine, [0.1, 0.9], averaged);
    expect([q['0.1'][0], q['0.9'][0]]).toEqual([99, 101]);
    expect(q['0.1'][1]).toBeCloseTo(192, 7);
    expect(q['0.9'][1]).toBeCloseTo(208, 7);
  });

  it('never crosses, whatever the scores and levels', () => {
    const scores = Array.from({ length: 37 }, (_, i) => 3 * (rand(i) - 0.3) ** 3);
    const levels = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
    const widths = Array.from({ length: 24 }, (_, k) => 5 + 10 * rand(100 + k));
    const mean = Array.from({ length: 24 }, (_, k) => 100 + k);
    const q = scaledQuantiles(mean, widths, { method: 'scaled', scores, effective: 2.5 }, levels, {});
    for (let k = 0; k < 24; k++) for (let l = 1; l < levels.length; l++) expect(q[String(levels[l])][k]).toBeGreaterThanOrEqual(q[String(levels[l - 1])][k]);
  });

  it('covers about the nominal share of fresh errors from the same distribution, where the averaged band was twice too wide', () => {
    // Errors uniform on ±w/2 × 1.25 while the averaged P10–P90 has width 2w: averaged bands cover 100 %.
    const width = (i: number) => 10 + 5 * Math.sin(i / 7);
    const error = (i: number) => width(i) * 1.25 * (rand(i) - 0.5);
    const calib = bandCalibration(Array.from({ length: 200 }, (_, i) => error(i)), Array.from({ length: 200 }, (_, i) => 2 * width(i)), [100, 100]);
    expect(calib.method).toBe('scaled');
    let inside = 0;
    const N = 2000;
    for (let i = 1000; i < 1000 + N; i++) {
      const q = scaledQuantiles([0], [2 * width(i)], calib as Extract<BandState, { method: 'scaled' }>, [0.1, 0.9], {});
      if (error(i) >= q['0.1'][0] && error(i) <= q['0.9'][0]) inside++;
    }
    expect(inside / N).toBeGreaterThan(0.75);
    expect(inside / N).toBeLessThan(0.85);
  });
});

describe('the calibration from validation, and its fallback', () => {
  it('calibrates from two days or more and enough errors to place P10 and P90 inside them', () => {
    // Days (1 … 4) and (5 … 9): mostly between days, so worth little more than the two days.
    const ok = bandCalibration([1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 10, 10, 10, 10, 10, 10, 10, 10], [4, 5]);
    expect(ok).toMatchObject({ method: 'scaled', scores: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] });
    const effective = (ok as Extract<BandState, { method: 'scaled' }>).effective;
    expect(effective).toBe(effectiveCount([1, 2, 3, 4, 5, 6, 7, 8, 9], new Array(9).fill(10), [4, 5]));
    expect(effective).toBeGreaterThanOrEqual(2);
    expect(effective).toBeLessThan(4);
    expect(bandsText(ok)).toMatch(/^bands: averaged P10–P90 × [0-9.]+ from 9 validation errors \(≈ [23]\.\d independent\)$/);
  });

  it('falls back to averaging, saying why, on one day or too few errors', () => {
    const oneDay = bandCalibration(new Array(24).fill(1), new Array(24).fill(2), [24]);
    expect(oneDay).toEqual({ method: 'averaged', reason: "members' quantiles averaged: 24 validation errors with a band over 1 day (calibration needs 2 days and 9 errors)" });
    // Two days but 8 errors; and two days whose second has no band width at all.
    expect(bandCalibration(new Array(8).fill(1), new Array(8).fill(2), [4, 4]).method).toBe('averaged');
    expect(bandCalibration(new Array(20).fill(1), [...new Array(10).fill(2), ...new Array(10).fill(0)], [10, 10])).toMatchObject({ method: 'averaged', reason: expect.stringContaining('10 validation errors with a band over 1 day') });
    expect(bandsText(oneDay)).toBe("bands: members' quantiles averaged: 24 validation errors with a band over 1 day (calibration needs 2 days and 9 errors)");
  });

  it('rolls on: the newest scores replace as many of the oldest', () => {
    expect(rollBands({ method: 'scaled', scores: [1, 2, 3], effective: 2 }, [10, 20, 5], [10, 10, 0])).toEqual({ method: 'scaled', scores: [3, 1, 2], effective: 2 });
    const averaged: BandState = { method: 'averaged', reason: 'x' };
    expect(rollBands(averaged, [1], [1])).toBe(averaged);
  });
});

describe('the mixture serves calibrated bands', () => {
  const START = new Date('2024-01-01T00:00:00Z');
  const DAY = 3; // steps of the served horizon in this small case

  /** A member forecasting constants: mean, P10 lo, P90 hi, levels between on the line through them. */
  function member(label: string, mean: number, lo: number, hi: number): FittedForecaster {
    const f: FittedForecaster = {
      spec: { kind: `fake-${label}`, version: 1, params: {} },
      async condition() {
        return f;
      },
      async predict(h, _c, levels = [0.1, 0.5, 0.9]) {
        const quantiles = Object.fromEntries(levels.map((t) => [String(t), new Float64Array(h).fill(lo + ((t - 0.1) / 0.8) * (hi - lo))]));
        return [{ seriesId: 's', start: START, stepSec: 3600, mean: new Float64Array(h).fill(mean), quantiles, model: label }];
      },
      residuals: () => new Map(),
      toArtifact: () => ({ formatVersion: 1, spec: f.spec, trainWindow: { start: '', end: '' }, dataHash: label, state: null }),
    };
    return f;
  }
  const a = member('a', 100, 90, 110);
  const b = member('b', 110, 100, 120);
  const load = (x: ModelArtifact) => (x.dataHash === 'a' ? a : b);
  const members = [
    { label: 'a', weight: 0.5, fitted: a },
    { label: 'b', weight: 0.5, fitted: b },
  ];
  const window = { start: '2024-01-01T00:00:00.000Z', end: '2024-01-02T00:00:00.000Z' };
  const history: Series = { id: 's', start: START, stepSec: 3600, values: new Float64Array(24).fill(105), timeZone: 'UTC' };
  const endMs = START.getTime() + 24 * 3600_000;

  it('as computed by hand: mean 105, averaged width 20, scores −0.4 … 0.4 → P10 97, P90 113; averaged → 95, 115', async () => {
    const scaled = createEnsemble(members, window, 'h', { bands: nine, endMs, horizonSteps: DAY });
    const [f] = await scaled.predict(2);
    expect(Array.from(f.mean)).toEqual([105, 105]);
    expect(f.quantiles['0.1'][1]).toBeCloseTo(97, 7);
    expect(f.quantiles['0.9'][1]).toBeCloseTo(113, 7);
    expect(f.model).toBe('mlpol(a 0.50, b 0.50)');
    // Levels other than the band's: read off the same scores (Q_0.25 = −0.25 → 105 − 5).
    const [g] = await scaled.predict(2, undefined, [0.25]);
    expect(Object.keys(g.quantiles)).toEqual(['0.25']);
    expect(g.quantiles['0.25'][0]).toBeCloseTo(100, 7);
    const [avg] = await createEnsemble(members, window, 'h', { bands: { method: 'averaged', reason: 'too few' } }).predict(2);
    expect([avg.quantiles['0.1'][0], avg.quantiles['0.9'][0]]).toEqual([95, 115]);
    // Without any calibration (an artifact from before): averaged too.
    const [old] = await createEnsemble(members, window, 'h').predict(2);
    expect([old.quantiles['0.1'][0], old.quantiles['0.9'][0]]).toEqual([95, 115]);
  });

  it('serves averaged bands, said in fallbackReason, where a member fails: not the mixture calibrated', async () => {
    const broken: FittedForecaster = { ...b, predict: async () => Promise.reject(new Error('no weather')) };
    const c = member('c', 120, 110, 130);
    const three = createEnsemble([...members, { label: 'broken', weight: 0.5, fitted: broken }].map((m) => (m.label === 'b' ? { ...m, fitted: c } : m)), window, 'h', { bands: nine, endMs, horizonSteps: DAY });
    const [f] = await three.predict(1);
    // a and c at 0.5 each: mean 110, quantiles averaged (100 + 110) / 2 and (110 + 130) / 2.
    expect([f.mean[0], f.quantiles['0.1'][0], f.quantiles['0.9'][0]]).toEqual([110, 100, 120]);
    expect(f.fallbackReason).toMatch(/^model-failed \(broken: no weather\)$/);
  });

  it('keeps its calibration through the artifact, and rolls it on with each conditioning', async () => {
    const scaled = createEnsemble(members, window, 'h', { bands: nine, endMs, horizonSteps: DAY });
    const again = ensembleFromArtifact(JSON.parse(JSON.stringify(scaled.toArtifact())), load);
    const [f] = await again.predict(1);
    expect(f.quantiles['0.1'][0]).toBeCloseTo(97, 7);
    expect(f.quantiles['0.9'][0]).toBeCloseTo(113, 7);
    // Three new served steps at 125: scores (125 − 105) / 20 = 1 replace the oldest three, NINE's first (0.1, −0.4, 0.4).
    const longer: Series = { ...history, values: Float64Array.from({ length: 30 }, (_, i) => (i < 24 ? 105 : 125)) };
    const moved = await again.condition!([longer]);
    const [m] = await moved.predict(1);
    // Window now 0, −0.1, 0.3, −0.3, 0.2, −0.2, 1, 1, 1 → sorted −0.3 … 1: Q_0.1 = −0.3, median 0.2, Q_0.9 = 1;
    // centred on the mean: 105 + (−0.3 − 0.2) × 20 = 95 and 105 + (1 − 0.2) × 20 = 121.
    expect(m.quantiles['0.1'][0]).toBeCloseTo(95, 7);
    expect(m.quantiles['0.5'][0]).toBe(105);
    expect(m.quantiles['0.9'][0]).toBeCloseTo(121, 7);
    expect(Array.from(m.mean)).toEqual([105]);
    const stored = JSON.parse(JSON.stringify(moved.toArtifact()));
    const [r] = await ensembleFromArtifact(stored, load).predict(1);
    expect(Array.from(r.quantiles['0.9'])).toEqual(Array.from(m.quantiles['0.9']));
  });
});
