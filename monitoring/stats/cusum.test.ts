import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calibrateThreshold, blockBootstrap, confirmedAlarms } from './calibrate.ts';
import { confirmShift } from './confirm.ts';
import { CUSUM_START, cusumAlarms, cusumRun, cusumStep } from './cusum.ts';
import { normalDraws, seededRandom } from './rng.ts';
import { robustStandardise } from './robust.ts';

const ref = JSON.parse(readFileSync(new URL('./__fixtures__/cusum-r.json', import.meta.url), 'utf8')) as { z: number[]; k: number; h: number; up: number[]; down: number[]; alarm: number };

describe('two-sided CUSUM', () => {
  it('follows the recursion computed by hand', () => {
    // k = 0.5: S+ = 0.5, 2.0, 0.5, 0.5, 3.0 (excursion from step 0); S- = 0, 0, 0.5, 0, 0
    const z = [1, 2, -1, 0.5, 3];
    let s = CUSUM_START;
    const ups: number[] = [];
    const downs: number[] = [];
    for (const v of z) {
      s = cusumStep(s, v, 0.5);
      ups.push(s.up);
      downs.push(s.down);
    }
    expect(ups).toEqual([0.5, 2, 0.5, 0.5, 3]);
    expect(downs).toEqual([0, 0, 0.5, 0, 0]);
    expect(cusumRun(z, { k: 0.5, h: 3 }).alarm).toBeNull();
    expect(cusumRun(z, { k: 0.5, h: 2.9 }).alarm).toEqual({ index: 4, side: 'up', statistic: 3, changeIndex: 0 });
    // S- = 1.5, 3.0, 1.5, 4.0: crosses 3.9 at step 3, excursion from step 0
    expect(cusumRun([-2, -2, 1, -3], { k: 0.5, h: 3.9 }).alarm).toEqual({ index: 3, side: 'down', statistic: 4, changeIndex: 0 });
  });

  it('skips missing values and resumes from a stored state', () => {
    const a = cusumRun([1, Number.NaN, 2], { k: 0.5, h: 100 });
    expect(a.state.up).toBe(2);
    const b = cusumRun([1.5], { k: 0.5, h: 100 }, a.state);
    expect(b.state).toEqual({ up: 3, down: 0, upRun: 3, downRun: 0 });
  });

  it('agrees with the recursion written in R on the same numbers (bench/r/cusum-fixtures.R)', () => {
    let s = CUSUM_START;
    ref.z.forEach((v, t) => {
      s = cusumStep(s, v, ref.k);
      expect(s.up).toBeCloseTo(ref.up[t], 12);
      expect(s.down).toBeCloseTo(ref.down[t], 12);
    });
    const r = cusumRun(ref.z, { k: ref.k, h: ref.h });
    expect(r.alarm?.index).toBe(ref.alarm);
    expect(r.alarm?.side).toBe('down');
    // the step was injected at index 60: the excursion that alarmed starts near it
    expect(Math.abs(r.alarm!.changeIndex - 60)).toBeLessThanOrEqual(5);
  });

  it('has the textbook in-control ARL on iid N(0,1): about 168 for h = 4 and 465 for h = 5 (k = 0.5)', () => {
    const draw = normalDraws(seededRandom(7));
    const z = Float64Array.from({ length: 1_000_000 }, draw);
    const arl = (h: number) => {
      const { runLengths } = cusumAlarms(z, { k: 0.5, h });
      return runLengths.reduce((a, b) => a + b, 0) / runLengths.length;
    };
    expect(arl(4)).toBeGreaterThan(168 * 0.9);
    expect(arl(4)).toBeLessThan(168 * 1.1);
    expect(arl(5)).toBeGreaterThan(465 * 0.88);
    expect(arl(5)).toBeLessThan(465 * 1.12);
  });
});

describe('threshold calibration by block bootstrap', () => {
  it('is deterministic for a seed and keeps blocks of consecutive residuals', () => {
    const z = Float64Array.from({ length: 500 }, (_, i) => i);
    const a = blockBootstrap(z, 100, 10, seededRandom(3));
    expect(blockBootstrap(z, 100, 10, seededRandom(3))).toEqual(a);
    for (let b = 0; b < 10; b++) for (let j = 1; j < 10; j++) expect(a[b * 10 + j]).toBe(a[b * 10] + j);
  });

  it('on iid N(0,1) residuals with ARL0 ≈ 465 wanted, lands near the textbook h = 5', () => {
    const draw = normalDraws(seededRandom(11));
    const z = Float64Array.from({ length: 20_000 }, draw);
    const c = calibrateThreshold(z, { alarmsPerYear: 8760 / 465, blockLength: 1, years: 30, seed: 5, inSample: false });
    expect(c.h).toBeGreaterThan(4.5);
    expect(c.h).toBeLessThan(5.6);
  });

  it('asks a much higher h of autocorrelated residuals than of iid ones, and meets its target on fresh paths', () => {
    const rand = normalDraws(seededRandom(13));
    const ar = new Float64Array(24 * 7 * 52);
    for (let t = 1; t < ar.length; t++) ar[t] = 0.9 * ar[t - 1] + Math.sqrt(1 - 0.81) * rand();
    const c = calibrateThreshold(ar, { seed: 2 });
    const iid = calibrateThreshold(Float64Array.from(ar.map(() => rand())), { seed: 2 });
    expect(c.h).toBeGreaterThan(3 * iid.h);
    expect(c.alarmsPerYear).toBeLessThanOrEqual(1);
    // a fresh AR(1) sample of ten years: false alarms per year near or below the target
    const fresh = new Float64Array(8760 * 10);
    for (let t = 1; t < fresh.length; t++) fresh[t] = 0.9 * fresh[t - 1] + Math.sqrt(1 - 0.81) * rand();
    expect(cusumAlarms(fresh, { k: 0.5, h: c.h }).count / 10).toBeLessThan(2);
  });

  it('raises h to meet the target on the sample itself when its persistence outlasts the blocks', () => {
    // regimes of a month above, then a month below, the centre: week blocks glue them at random
    const draw = normalDraws(seededRandom(17));
    const z = Float64Array.from({ length: 8760 }, (_, t) => (Math.floor(t / (30 * 24)) % 2 ? -0.8 : 0.8) + draw());
    const c = calibrateThreshold(z, { seed: 3 });
    expect(c.hSample).toBeGreaterThan(c.hBootstrap);
    expect(c.h).toBe(c.hSample);
    expect(cusumAlarms(z, { k: 0.5, h: c.h }).count).toBeLessThanOrEqual(1);
    expect(cusumAlarms(z, { k: 0.5, h: c.hBootstrap }).count).toBeGreaterThan(1);
  });
});

describe('confirmed alarms, as calibration counts them', () => {
  it('counts a sustained shift and not a spike, restarting after each alarm', () => {
    const c = { points: 2, minRelativeShift: 0.1, relative: (z: number) => z / 10 };
    // S+ = 0, 0, 2.5, 5 > 4 at step 3; excursion from step 2: median share of [3, 3] = 0.3 ≥ 0.1
    expect(confirmedAlarms([0, 0, 3, 3, 3, 0, 0], 0.5, 4, c)).toBe(1);
    expect(confirmedAlarms([0, 0, 3, 3, 3, 0, 0], 0.5, 4, { ...c, minRelativeShift: 0.5 })).toBe(0);
    // a spike crosses h at once; the 4 points from it have median share 0
    expect(confirmedAlarms([0, 20, 0, 0, 0, 0], 0.5, 4, { ...c, points: 4 })).toBe(0);
    // the side must match: an upward alarm with a downward median does not count
    expect(confirmedAlarms([0, 20, -3, -3, -3, 0], 0.5, 4, { ...c, points: 4 })).toBe(0);
  });
});

describe('confirmation of an alarm', () => {
  const level = 100;
  it('waits for enough points, confirms a 30 % step down, dismisses a single spike', () => {
    const fc = Array(6).fill(level);
    expect(confirmShift([70, 71], [level, level], 'down').status).toBe('pending');
    // differences -30, -28, -31, -29, -30, -32: median -30 on a level of 100
    const step = confirmShift([70, 72, 69, 71, 70, 68], fc, 'down');
    expect(step.status).toBe('confirmed');
    expect(step.status !== 'pending' && step.relativeShift).toBeCloseTo(-0.3, 12);
    expect(confirmShift([400, 101, 99, 100, 102, 98], fc, 'up').status).toBe('dismissed');
    // a shift on the other side than the alarm is no confirmation
    expect(confirmShift([130, 130, 130, 130, 130, 130], fc, 'down').status).toBe('dismissed');
  });
});

describe('robust standardisation', () => {
  it('is the median and 1.4826 MAD, unmoved by one spike', () => {
    expect(robustStandardise([1, 2, 3, 4, 1000])).toEqual({ center: 3, scale: 1.4826 });
  });
});
