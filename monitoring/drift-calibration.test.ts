import { describe, expect, it } from 'vitest';
import { parseDay } from '../core/calendar.ts';
import { normalDraws, seededRandom } from '../core/random.ts';
import { calibrateDrift, calibrationEffects, GAP_DAYS } from './drift-calibration.ts';
import { seasonMatched } from './drift-features.ts';
import { standardisedDifference } from './stats/effect.ts';
import { excursions } from './stats/excursions.ts';

// The calibration procedure on synthetic daily data whose answer is known: stationary data has no
// drift, so every alarm on a new year is false and their rate should be about the budget.

const WINDOW = 14;
const SETTINGS = { windowDays: WINDOW, minReferenceDays: 28, minWindowValues: 7 };
const days = (from: string, count: number) => Array.from({ length: count }, (_, k) => parseDay(from) + k);

/** A year of daily values: AR(1) with correlation `rho` (0: iid), unit variance, a fresh start each year. */
function year(rho: number, rand: () => number, n = 365): number[] {
  const z = normalDraws(rand);
  const x = [z()];
  for (let t = 1; t < n; t++) x.push(rho * x[t - 1] + Math.sqrt(1 - rho * rho) * z());
  return x;
}

const TRAIN_DAYS = days('2021-01-01', 365);
const NEW_DAYS = days('2022-01-01', 365);
/** The season-matched reference of each window of the new year in the training year (drift.service.ts). */
const REFERENCES = NEW_DAYS.slice(WINDOW - 1).map((_, j) => seasonMatched(TRAIN_DAYS, NEW_DAYS.slice(j, j + WINDOW), WINDOW, 28).indices);

/** The effect of each day's window of a new year (`recent`) against its reference in the training year, as drift.service.ts computes it. */
function liveEffects(train: number[], recent: number[]): number[] {
  return REFERENCES.map((ref, j) =>
    standardisedDifference(
      ref.map((i) => train[i]),
      recent.slice(j, j + WINDOW),
    ),
  );
}

describe('calibration windows of the training', () => {
  it('compare every complete window with the same dates ± windowDays + the gap, less the window and the gap', () => {
    const d = days('2021-01-01', 365);
    // a bump on 1–14 July: its own window sees it against a flat reference; the windows ending
    // within the gap after it see it neither in themselves nor in their references.
    const bump = d.map((x) => (x >= parseDay('2021-07-01') && x <= parseDay('2021-07-14') ? 1 : 0) + 0.01 * Math.sin(x));
    const e = calibrationEffects(d, { x: bump }, SETTINGS).x;
    const at = (iso: string) => e[d.indexOf(parseDay(iso))];
    expect(e.slice(0, WINDOW - 1).every(Number.isNaN)).toBe(true);
    expect(e.slice(WINDOW - 1).every(Number.isFinite)).toBe(true); // the reference wraps around the year's end
    expect(at('2021-07-14')).toBeGreaterThan(50);
    // window 8–21 July: half the bump inside, the reference (from 23 July on, and to 30 June) flat
    expect(at('2021-07-21')).toBeGreaterThan(20);
    // window 22 July – 4 August starts a week after the bump: out of the reference's gap, not out of it
    expect(Math.abs(at('2021-08-04'))).toBeGreaterThan(0.1);
    // window 29 July – 11 August: the bump ends 15 days before, beyond the gap, inside the margin (14 + 7)
    expect(at('2021-08-11')).toBeLessThan(-0.1);
    expect(GAP_DAYS).toBe(7);
  });

  it('skip windows with a missing day', () => {
    const d = days('2021-01-01', 200).filter((x) => x !== parseDay('2021-03-01'));
    const e = calibrationEffects(d, { x: d.map((x) => Math.sin(x)) }, SETTINGS).x;
    const i = d.indexOf(parseDay('2021-03-02'));
    expect(e.slice(i, i + WINDOW - 1).every(Number.isNaN)).toBe(true);
    expect(Number.isFinite(e[i + WINDOW - 1])).toBe(true);
  });
});

describe('the calibrated alarm on stationary data', () => {
  for (const rho of [0, 0.7]) {
    it(`raises about the budget of false alarm episodes a year, or fewer (daily values ${rho === 0 ? 'iid' : `AR(1), ρ = ${rho}`})`, () => {
      const rand = seededRandom(rho === 0 ? 101 : 202);
      let alarms = 0;
      let gaussianOnly = 0;
      let years = 0;
      for (let r = 0; r < 60; r++) {
        const train = year(rho, rand);
        const cal = calibrateDrift(calibrationEffects(TRAIN_DAYS, { x: train }, SETTINGS), 1, 28);
        expect(cal.effectiveFeatures).toBe(1);
        for (let y = 0; y < 2; y++) {
          const e = liveEffects(train, year(rho, rand));
          alarms += excursions(e, cal.features.x.threshold);
          gaussianOnly += excursions(e, cal.features.x.gaussian);
          years += 1;
        }
      }
      // 120 series-years, each with its own training year. At most the budget, allowing for the
      // count's noise (about ±0.15); not far below it (the in-sample floor makes it conservative:
      // 0.6–0.8 on 600 series-years). The Gaussian threshold alone, on one training year's spread, is
      // not enough (1.1–1.7 on 600): the floor is needed.
      expect(alarms / years).toBeLessThanOrEqual(1.15);
      expect(alarms / years).toBeGreaterThan(0.4);
      expect(gaussianOnly).toBeGreaterThan(alarms);
    });
  }

  it('a shifted window is flagged: three standard deviations over the whole window', () => {
    const rand = seededRandom(303);
    const train = year(0.7, rand);
    const cal = calibrateDrift(calibrationEffects(TRAIN_DAYS, { x: train }, SETTINGS), 1, 28);
    const recent = year(0.7, rand).map((v, t) => (t >= 180 ? v + 3 : v));
    const e = liveEffects(train, recent);
    // e[k] is the window ending on day k + WINDOW − 1: from k = 180 on, wholly inside the shift
    const c = cal.features.x.threshold;
    expect(e.slice(180, 330).filter((v) => v >= c).length).toBeGreaterThan(140);
    expect(e.slice(0, 150).filter((v) => Math.abs(v) >= c).length).toBeLessThan(15);
  });

  it('splits the budget over the effective number of features: three copies and one independent feature count about twice', () => {
    const rand = seededRandom(404);
    const trainDays = TRAIN_DAYS;
    const a = year(0.7, rand);
    const noise = normalDraws(rand);
    const copy = () => a.map((v) => v + 0.05 * noise());
    const cal = calibrateDrift(calibrationEffects(trainDays, { a, b: copy(), c: copy(), d: year(0.7, rand) }, SETTINGS), 1, 28);
    // Galwey: eigenvalues about 3 and 1 → (√3 + 1)² / 4 ≈ 1.87
    expect(cal.effectiveFeatures).toBeGreaterThan(1.7);
    expect(cal.effectiveFeatures).toBeLessThan(2.1);
    expect(cal.features.a.alarmsPerYear).toBeCloseTo(1 / cal.effectiveFeatures, 12);
    const alone = calibrateDrift(calibrationEffects(trainDays, { a }, SETTINGS), 1, 28);
    expect(cal.features.a.gaussian).toBeGreaterThan(alone.features.a.gaussian);
  });

  it('does not calibrate a feature with too few training windows, and says why', () => {
    const trainDays = days('2021-06-01', 30);
    const cal = calibrateDrift(calibrationEffects(trainDays, { x: year(0, seededRandom(5), 30) }, SETTINGS), 1, 28);
    expect(cal.features).toEqual({});
    expect(cal.notCalibrated.x).toMatch(/fewer than 28/);
  });
});
