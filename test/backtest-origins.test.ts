import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../forecast/backtest/driver.ts';
import { placeOrigins } from '../forecast/backtest/origins.ts';
import { recordingForecaster, simulatedLoad, type Seen } from './backtest-fixtures.ts';

const H = 3_600_000;

describe('placeOrigins', () => {
  it('puts the last origin at the latest local midnight whose horizon fits in the data', () => {
    const start = Date.parse('2024-01-01T00:00:00Z');
    // 10 days and 5 hours: the 11th midnight has only 5 targets, so the last origin is the 10th.
    const origins = placeOrigins({ startMs: start, stepSec: 3600, length: 245, horizon: 24, count: 3 });
    expect(origins).toEqual([168, 192, 216]);
    expect(placeOrigins({ startMs: start, stepSec: 3600, length: 240, horizon: 24, count: 1 })).toEqual([216]);
    expect(placeOrigins({ startMs: start, stepSec: 3600, length: 241, horizon: 1, count: 1 })).toEqual([240]);
  });

  it('steps back one local day across DST (23 h day), every origin at local midnight', () => {
    const zone = 'Europe/Paris';
    const start = Date.parse('2024-03-27T23:00:00Z'); // local midnight of 28 March
    const origins = placeOrigins({ startMs: start, stepSec: 3600, length: 24 * 5, horizon: 24, count: 3, timeZone: zone });
    const local = origins.map((o) => DateTime.fromMillis(start + o * H, { zone }));
    expect(local.map((d) => d.toISODate())).toEqual(['2024-03-30', '2024-03-31', '2024-04-01']);
    expect(local.every((d) => d.hour === 0 && d.minute === 0)).toBe(true);
    expect(origins[2] - origins[1]).toBe(23);
    expect(origins[1] - origins[0]).toBe(24);
  });

  it('honours --origin-step in steps and keeps the last origin at midnight', () => {
    const origins = placeOrigins({ startMs: Date.parse('2024-01-01T00:00:00Z'), stepSec: 3600, length: 24 * 30, horizon: 24, count: 3, originStepSteps: 24 * 7 });
    expect(origins).toEqual([29 * 24 - 14 * 24, 29 * 24 - 7 * 24, 29 * 24]);
  });

  it('refuses more origins than the data allows, a bad horizon and a bad step', () => {
    const p = { startMs: Date.parse('2024-01-01T00:00:00Z'), stepSec: 3600, length: 24 * 5, horizon: 24 };
    expect(() => placeOrigins({ ...p, count: 5, minHistory: 24 })).toThrow(expect.objectContaining({ code: 'TOO_FEW_DATA' }));
    expect(() => placeOrigins({ ...p, count: 4, minHistory: 25 })).toThrow(expect.objectContaining({ code: 'TOO_FEW_DATA' }));
    expect(placeOrigins({ ...p, count: 4, minHistory: 24 })).toEqual([24, 48, 72, 96]);
    expect(() => placeOrigins({ ...p, count: 1, horizon: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_HORIZON' }));
    expect(() => placeOrigins({ ...p, count: 1, originStepSteps: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ORIGIN_STEP' }));
  });
});

describe('runBacktest', () => {
  const series = simulatedLoad('a', '2024-01-01T00:00:00Z', 24 * 20);
  // The covariate is its own index, so a test can tell exactly which values a model received.
  const temperature = Float64Array.from({ length: series.values.length }, (_, i) => i);
  const forecastTemp = Float64Array.from({ length: series.values.length }, (_, i) => -i);

  it('shows each model only the values strictly before the origin, and weather up to the targets', async () => {
    const seen: Seen[] = [];
    const origins = placeOrigins({ startMs: series.start.getTime(), stepSec: 3600, length: series.values.length, horizon: 24, count: 4 });
    const results = await runBacktest(recordingForecaster(seen), { series, future: { temperature } }, { horizon: 24, origins });
    expect(seen).toHaveLength(4);
    for (let i = 0; i < 4; i++) {
      const o = origins[i];
      expect(seen[i].historyEnd).toBe(series.start.getTime() + o * H);
      expect(seen[i].length).toBe(o);
      expect(seen[i].lastValue).toBe(series.values[o - 1]);
      expect(Array.from(seen[i].fitCovariate!)).toEqual(Array.from(temperature.subarray(0, o)));
      expect(Array.from(seen[i].predictCovariate!)).toEqual(Array.from(temperature.subarray(o, o + 24)));
      expect(results[i].origin.getTime()).toBe(series.start.getTime() + o * H);
      expect(Array.from(results[i].actual)).toEqual(Array.from(series.values.subarray(o, o + 24)));
    }
  });

  it('feeds forecast weather over the horizon and observations over the history', async () => {
    const seen: Seen[] = [];
    const o = 24 * 10;
    await runBacktest(recordingForecaster(seen), { series, future: { temperature }, futureForecast: { temperature: forecastTemp } }, { horizon: 24, origins: [o] });
    expect(seen[0].fitCovariate![o - 1]).toBe(o - 1);
    expect(Array.from(seen[0].predictCovariate!)).toEqual(Array.from(forecastTemp.subarray(o, o + 24)));
  });

  it("tells the model how far the horizon's forecasts stand from observations: their RMSE over the last 28 days before the origin", async () => {
    // Forecasts off by +2 on even hours and −1 on odd ones: RMSE √2.5 wherever both exist.
    const off = Float64Array.from(temperature, (t, i) => t + (i % 2 === 0 ? 2 : -1));
    const gaps = Float64Array.from(off, (v, i) => (i < 24 ? Number.NaN : v));
    const seen: Seen[] = [];
    await runBacktest(recordingForecaster(seen), { series, future: { temperature } }, { horizon: 24, origins: [24 * 10] });
    await runBacktest(recordingForecaster(seen), { series, future: { temperature }, futureForecast: { temperature: gaps } }, { horizon: 24, origins: [24 * 10] });
    // Six days of pairs (the first day has no forecast): too few to say.
    await runBacktest(recordingForecaster(seen), { series, future: { temperature }, futureForecast: { temperature: gaps } }, { horizon: 24, origins: [24 * 7] });
    // Observations over the horizon: nothing measured.
    expect(seen[0].horizonErrorSd).toBeUndefined();
    expect(seen[1].horizonErrorSd!.temperature).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(seen[2].horizonErrorSd).toBeUndefined();
  });

  it('refits every k origins and conditions in between when the model can', async () => {
    const seen: Seen[] = [];
    const origins = [24 * 10, 24 * 11, 24 * 12, 24 * 13, 24 * 14];
    await runBacktest(recordingForecaster(seen, true), { series }, { horizon: 24, origins, refitEvery: 2 });
    expect(seen.map((s) => s.kind)).toEqual(['fit', 'condition', 'fit', 'condition', 'fit']);
    expect(seen.map((s) => s.length)).toEqual(origins);
    const noCondition: Seen[] = [];
    await runBacktest(recordingForecaster(noCondition, false), { series }, { horizon: 24, origins, refitEvery: 2 });
    expect(noCondition.every((s) => s.kind === 'fit')).toBe(true);
  });

  it('limits the history to maxHistory steps', async () => {
    const seen: Seen[] = [];
    await runBacktest(recordingForecaster(seen), { series }, { horizon: 24, origins: [24 * 10], maxHistory: 48 });
    expect(seen[0].length).toBe(48);
    expect(seen[0].historyStart).toBe(series.start.getTime() + (24 * 10 - 48) * H);
  });

  it('fails with WEATHER_MISSING when the weather does not cover a target', async () => {
    const holed = temperature.slice();
    holed[24 * 10 + 5] = Number.NaN;
    await expect(runBacktest(recordingForecaster([]), { series, future: { temperature: holed } }, { horizon: 24, origins: [24 * 10] })).rejects.toMatchObject({ code: 'WEATHER_MISSING' });
  });
});
