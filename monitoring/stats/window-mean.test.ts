import { describe, expect, it } from 'vitest';
import { blockBootstrap, calibrateWindowThreshold } from './calibrate.ts';
import { normalDraws, seededRandom } from '../../core/random.ts';
import { changeRun, confirmedWindowAlarms, windowMeanRun } from './window-mean.ts';

const conf = { points: 2, minRelativeShift: 0.1, offset: 0 };

describe('window-mean chart', () => {
  it('fires when the mean of a full window reaches c, on the side of the mean', () => {
    // window 4: means 0.05 (at index 3), then (0 + 0 - 0.3 - 0.3)/4 = -0.15 at index 5
    const r = [0.1, 0.1, 0, 0, -0.3, -0.3, -0.3];
    const a = windowMeanRun(r, 4, 0.15);
    expect(a.alarm).toEqual({ index: 5, side: 'down', statistic: -0.15, run: 2 });
    expect(a.read).toBe(6);
    expect(a.window).toEqual([0, 0, -0.3, -0.3]);
    expect(windowMeanRun(r, 4, 0.25).alarm).toBeNull();
    // no alarm before the window is full, however large the values
    expect(windowMeanRun([5, 5, 5], 4, 0.15).alarm).toBeNull();
  });

  it('resumes from a stored window and skips missing values', () => {
    const first = windowMeanRun([0.2, Number.NaN, 0.2], 4, 0.2);
    expect(first).toMatchObject({ alarm: null, window: [0.2, 0.2] });
    const next = windowMeanRun([0.2, 0.2], 4, 0.2, first.window);
    expect(next.alarm).toMatchObject({ index: 1, side: 'up', statistic: 0.2 });
  });

  it('estimates the change where the shift from zero began', () => {
    expect(changeRun([0.01, -0.02, 0, 0.01, -0.3, -0.28, -0.31], -1)).toBe(3);
    expect(changeRun([0.2, 0.2, 0.2, 0.2], 1)).toBe(4);
  });

  it('counts confirmed alarms only, restarting with an empty window after each', () => {
    // -0.3 for 6 values from index 8: the window [0, -0.3, -0.3, -0.3] fires at index 10, the
    // change estimated at 8; the 4 values from 8 have median -0.3. The restarted window from 12
    // ([-0.3, -0.3, 0, 0]) stays above -0.2.
    const burst = Array.from({ length: 40 }, (_, t) => (t >= 8 && t < 14 ? -0.3 : 0));
    expect(confirmedWindowAlarms(burst, 4, 0.2, { ...conf, points: 4 })).toBe(1);
    expect(confirmedWindowAlarms(burst, 4, 0.2, { ...conf, points: 4, minRelativeShift: 0.4 })).toBe(0);
    // the offset turns centred values back into shares of the level before the median test
    expect(confirmedWindowAlarms(burst, 4, 0.2, { ...conf, points: 4, offset: 0.25 })).toBe(0);
    // one spike moves the window mean past c; the 4 values from it have median 0
    const spike = Array.from({ length: 20 }, (_, t) => (t === 6 ? 2 : 0));
    expect(confirmedWindowAlarms(spike, 4, 0.2, { ...conf, points: 4 })).toBe(0);
    expect(windowMeanRun(spike, 4, 0.2).alarm).toMatchObject({ index: 6, side: 'up', run: 1 });
  });
});

describe('window threshold calibration', () => {
  it('resamples blocks of consecutive residuals, the same for a seed', () => {
    const z = Float64Array.from({ length: 500 }, (_, i) => i);
    const a = blockBootstrap(z, 100, 10, seededRandom(3));
    expect(blockBootstrap(z, 100, 10, seededRandom(3))).toEqual(a);
    for (let b = 0; b < 10; b++) for (let j = 1; j < 10; j++) expect(a[b * 10 + j]).toBe(a[b * 10] + j);
  });

  const params = { window: 24, confirm: { points: 6, minRelativeShift: 0.1, offset: 0 }, alarmsPerYear: 1, stepsPerYear: 8760, blockLength: 168, years: 20, seed: 1, cMin: 0.1, cMax: 1 };
  /** A year of hourly shares: AR(1) errors (lag-1 0.9) of sd `sd`, plus day-long biases of `bias` on `days` days. */
  const year = (seed: number, sd: number, bias = 0, days: number[] = []) => {
    const draw = normalDraws(seededRandom(seed));
    let e = 0;
    return Float64Array.from({ length: 8760 }, (_, t) => {
      e = 0.9 * e + Math.sqrt(1 - 0.81) * sd * draw();
      return e + (days.includes(Math.floor(t / 24)) ? bias : 0);
    });
  };

  it('keeps the threshold at the smallest shift worth acting on when the residuals never come near it', () => {
    const c = calibrateWindowThreshold(year(1, 0.03), params);
    expect(c.threshold).toBe(0.1);
    expect(c.alarmsPerYear).toBe(0);
  });

  it('raises it above day-long errors seen in the year, and meets the target on fresh years', () => {
    const days = [30, 120, 200, 300];
    const c = calibrateWindowThreshold(year(2, 0.08, -0.2, days), params);
    expect(c.threshold).toBeGreaterThan(0.15);
    expect(c.threshold).toBeLessThan(0.3);
    expect(c.alarmsPerYear).toBeLessThanOrEqual(1);
    // one year at one a year: above every confirmed excursion of the year itself
    expect(c.inSample).toBeGreaterThanOrEqual(c.bootstrap);
    expect(confirmedWindowAlarms(year(2, 0.08, -0.2, days), 24, c.threshold, params.confirm)).toBe(0);
    expect(confirmedWindowAlarms(year(2, 0.08, -0.2, days), 24, c.threshold - 0.01, params.confirm)).toBeGreaterThan(0);
    // ten fresh years of the same process: near or below the target a year
    const fresh = (c: number) => [3, 4, 5, 6, 7, 8, 9, 10, 11, 12].reduce((a, s) => a + confirmedWindowAlarms(year(s, 0.08, -0.2, days), 24, c, params.confirm), 0) / 10;
    expect(fresh(c.threshold)).toBeLessThanOrEqual(1.5);
  });
});
