import { describe, expect, it } from 'vitest';
import type { Covariates, FittedForecaster, Forecaster, Series } from '../../core/types.ts';
import { makeArtifact } from '../artifact.ts';
import { buildForecaster, createAutoForecaster, type ModelRef } from '../auto.ts';
import { endOf } from '../timeindex.ts';
import { createSeasonalNaiveForecaster } from '../fallback/seasonal-naive.ts';
import { bandCalibration } from './bands.ts';
import { createEnsemble, ensembleFromArtifact } from './ensemble.ts';
import { forecastLikeWeather, sliceCovariates, validateCandidate, validationOrigins } from './validate.ts';

const START = new Date('2024-01-01T00:00:00Z');
const DAYS = 40;
/** A load that is exactly its temperature: a model reading the temperature is perfect on realised weather. */
const temperature = Float64Array.from({ length: DAYS * 24 }, (_, i) => 10 + 5 * Math.sin((i / 24) * 2 * Math.PI) + 3 * Math.sin(i / 97));
const s: Series = { id: 's', start: START, stepSec: 3600, values: Float64Array.from(temperature, (t) => t + 20), timeZone: 'UTC' };
const cov: Covariates = { future: { temperature, holiday: new Float64Array(temperature.length) } };

/** Forecasts the load as its weather plus 20, P10/P90 one unit either side: what a perfect weather model would. */
function weatherEcho(endMs: number): FittedForecaster {
  const self: FittedForecaster = {
    spec: { kind: 'echo', version: 1, params: {} },
    async condition(history) {
      return weatherEcho(endOf(history[0]).getTime());
    },
    async predict(horizon, covariates) {
      const t = covariates?.get('s')?.future?.temperature;
      if (!t || t.length < horizon) throw new Error('echo needs the temperature of the horizon');
      const mean = Float64Array.from(t.subarray(0, horizon), (x) => x + 20);
      return [{ seriesId: 's', start: new Date(endMs), stepSec: 3600, mean, quantiles: { '0.1': mean.map((x) => x - 1), '0.9': mean.map((x) => x + 1) }, model: 'echo' }];
    },
    residuals: () => new Map([['s', new Float64Array(0)]]),
    toArtifact: () => makeArtifact({ kind: 'echo', version: 1, params: {} }, { start: START.toISOString(), end: new Date(endMs).toISOString() }, 'h', {}),
  };
  return self;
}
const echo: Forecaster = {
  spec: { kind: 'echo', version: 1, params: {} },
  capabilities: { futureCovariates: true, probabilistic: true, global: false, minHistory: 24 },
  fit: async (history) => weatherEcho(endOf(history[0]).getTime()),
};

describe('validation on forecast-like weather', () => {
  const we = { variable: 'temperature', sd: 1 };

  it('adds errors to the weather variable only, the same for the same start, others for another, none at sd 0', () => {
    const slice: Covariates = { future: { temperature: temperature.slice(0, 24), holiday: new Float64Array(24) } };
    const a = forecastLikeWeather(slice, we, START.getTime(), 3600)!;
    const b = forecastLikeWeather(slice, we, START.getTime(), 3600)!;
    const c = forecastLikeWeather(slice, we, START.getTime() + 86_400_000, 3600)!;
    expect(Array.from(a.future!.temperature)).toEqual(Array.from(b.future!.temperature));
    expect(Array.from(a.future!.temperature)).not.toEqual(Array.from(c.future!.temperature));
    expect(Array.from(a.future!.temperature)).not.toEqual(Array.from(temperature.slice(0, 24)));
    expect(a.future!.holiday).toBe(slice.future!.holiday);
    // The caller's arrays are not touched.
    expect(Array.from(slice.future!.temperature)).toEqual(Array.from(temperature.slice(0, 24)));
    expect(forecastLikeWeather(slice, { ...we, sd: 0 }, START.getTime(), 3600)).toBe(slice);
    expect(forecastLikeWeather(slice, undefined, START.getTime(), 3600)).toBe(slice);
    expect(forecastLikeWeather(undefined, we, START.getTime(), 3600)).toBeUndefined();
    const noWeather: Covariates = { future: { holiday: new Float64Array(24) } };
    expect(forecastLikeWeather(noWeather, we, START.getTime(), 3600)).toBe(noWeather);
  });

  it('keeps the measured forecast error through slices and forecast-like weather', () => {
    const measured: Covariates = { ...cov, horizonErrorSd: { temperature: 1.3 } };
    const slice = sliceCovariates(measured, 24, 48)!;
    expect(slice.future!.temperature.length).toBe(24);
    expect(slice.horizonErrorSd).toEqual({ temperature: 1.3 });
    expect(forecastLikeWeather(slice, we, START.getTime(), 3600)!.horizonErrorSd).toEqual({ temperature: 1.3 });
  });

  it('draws errors of the asked standard deviation, persistent over hours', () => {
    const long: Covariates = { future: { temperature: new Float64Array(24 * 400) } };
    const e = forecastLikeWeather(long, { variable: 'temperature', sd: 2 }, START.getTime(), 3600)!.future!.temperature;
    const mean = e.reduce((x, y) => x + y, 0) / e.length;
    const sd = Math.sqrt(e.reduce((x, y) => x + (y - mean) ** 2, 0) / e.length);
    expect(sd).toBeGreaterThan(1.7);
    expect(sd).toBeLessThan(2.3);
    let lag1 = 0;
    for (let i = 1; i < e.length; i++) lag1 += (e[i] - mean) * (e[i - 1] - mean);
    // AR(1) with correlation 1/e after 12 hours: exp(−1/12) ≈ 0.92 an hour apart.
    expect(lag1 / (e.length - 1) / sd ** 2).toBeGreaterThan(0.85);
  });

  it('gives a perfect weather model the errors of its weather forecast for calibration, the realised-weather errors for comparison, and leaves a calendar model unchanged', async () => {
    const origins = validationOrigins(s, 24, 4, 7 * 24);
    const realised = await validateCandidate(echo, s, cov, origins, 24, true);
    const forecastLike = await validateCandidate(echo, s, cov, origins, 24, true, we);
    expect(Math.max(...realised.errors.map(Math.abs))).toBeLessThan(1e-9);
    expect(realised.calibration.errors).toBe(realised.errors);
    // Candidates are compared on the realised weather, with or without a WeatherError.
    expect(Array.from(forecastLike.errors)).toEqual(Array.from(realised.errors));
    expect(Array.from(forecastLike.widths)).toEqual(Array.from(realised.widths));
    const cal = forecastLike.calibration.errors;
    const mae = cal.reduce((a, x) => a + Math.abs(x), 0) / cal.length;
    expect(mae).toBeGreaterThan(0.3);
    expect(mae).toBeLessThan(2);
    // Each origin's calibration errors are minus the weather errors drawn for that origin's start.
    const o = origins[2];
    const drawn = forecastLikeWeather({ future: { temperature: temperature.slice(o, o + 24) } }, we, START.getTime() + o * 3_600_000, 3600)!.future!.temperature;
    expect(Array.from(cal.slice(48, 72), (x) => +x.toFixed(9))).toEqual(Array.from(drawn, (t, k) => +(temperature[o + k] - t).toFixed(9)));
    const naive = createSeasonalNaiveForecaster({ period: 'week' });
    const a = await validateCandidate(naive, s, cov, origins, 24, true);
    const b = await validateCandidate(naive, s, cov, origins, 24, true, we);
    expect(Array.from(b.calibration.errors)).toEqual(Array.from(a.errors));
  });

  it("scores a calibrated model's served days on the same forecast-like weather, and keeps the setting in its artifact", async () => {
    const origins = validationOrigins(s, 24, 4, 7 * 24);
    const v = await validateCandidate(echo, s, cov, origins, 24, true, we);
    const bands = bandCalibration(v.calibration.errors, v.calibration.widths, v.rounds);
    expect(bands.method).toBe('scaled');
    const fitEnd = s.values.length - 48;
    const history = { ...s, values: s.values.slice(0, fitEnd) };
    const info = { endMs: endOf(history).getTime(), horizonSteps: 24, bands };
    const withError = createEnsemble([{ label: 'echo', weight: 1, fitted: weatherEcho(info.endMs) }], { start: '', end: '' }, 'h', { ...info, weatherError: we });
    const realised = createEnsemble([{ label: 'echo', weight: 1, fitted: weatherEcho(info.endMs) }], { start: '', end: '' }, 'h', info);
    const next = new Map([['s', cov]]);
    const scoresOf = (f: FittedForecaster) => (f.toArtifact().state as { bands: { scores: number[] } }).bands.scores;
    const rolledNoisy = scoresOf(await withError.condition!([s], next));
    const rolledExact = scoresOf(await realised.condition!([s], next));
    // The newest 24 scores are the served day's: zero on the realised weather, the weather errors' otherwise.
    expect(Math.max(...rolledExact.slice(-24).map(Math.abs))).toBe(0);
    expect(Math.max(...rolledNoisy.slice(-24).map(Math.abs))).toBeGreaterThan(0.05);
    const artifact = withError.toArtifact();
    expect((artifact.state as { weatherError?: unknown }).weatherError).toEqual(we);
    const back = ensembleFromArtifact(JSON.parse(JSON.stringify(artifact)), () => weatherEcho(info.endMs));
    expect(JSON.stringify(back.toArtifact())).toBe(JSON.stringify(artifact));
  });

  it("calibrates a mixture's bands on the members' errors on forecast-like weather, its weights on the realised weather", async () => {
    const build = (ref: ModelRef) => (ref.kind === 'echo' ? echo : buildForecaster(ref));
    const params = (weatherErrorSd: number) => ({ minGamDays: 30, minProfileDays: 14, primary: { kind: 'echo' }, noWeather: { kind: 'profile' }, validation: { origins: 4, weatherErrorSd }, combine: 'mlpol' as const });
    const history = { ...s, values: s.values.slice(0, s.values.length - 24) };
    const fitCov = new Map([['s', { future: { temperature: temperature.slice(0, history.values.length) } }]]);
    const next = new Map([['s', { future: { temperature: temperature.slice(history.values.length) } }]]);
    const run = async (sd: number) => {
      const f = await createAutoForecaster(params(sd), build).fit([history], fitCov);
      const [fc] = await f.predict(24, next);
      return fc;
    };
    const [noisy, exact] = [await run(1), await run(0)];
    expect(noisy.model).toMatch(/^mlpol\(echo /);
    // Same weights, same mean: the weights are learned on the realised weather.
    expect(noisy.model).toBe(exact.model);
    expect(Array.from(noisy.mean)).toEqual(Array.from(exact.mean));
    const width = (f: typeof noisy) => f.quantiles['0.9'].reduce((a, v, k) => a + v - f.quantiles['0.1'][k], 0) / 24;
    // Wider bands: the echo's calibration errors are its weather's, not zero.
    expect(width(noisy)).toBeGreaterThan(1.2 * width(exact));
  });

  it("calibrates on the error the run's horizon is known to carry, over the assumed one", async () => {
    const build = (ref: ModelRef) => (ref.kind === 'echo' ? echo : buildForecaster(ref));
    const params = { minGamDays: 30, minProfileDays: 14, primary: { kind: 'echo' }, noWeather: { kind: 'profile' }, validation: { origins: 4, weatherErrorSd: 1 }, combine: 'mlpol' as const };
    const history = { ...s, values: s.values.slice(0, s.values.length - 24) };
    const next = new Map([['s', { future: { temperature: temperature.slice(history.values.length) } }]]);
    const run = async (horizonErrorSd?: number) => {
      const c: Covariates = { future: { temperature: temperature.slice(0, history.values.length) }, ...(horizonErrorSd === undefined ? {} : { horizonErrorSd: { temperature: horizonErrorSd } }) };
      const f = await createAutoForecaster(params, build).fit([history], new Map([['s', c]]));
      const [fc] = await f.predict(24, next);
      return { fc, text: JSON.stringify(f.toArtifact()) };
    };
    const width = (f: { quantiles: Record<string, Float64Array> }) => f.quantiles['0.9'].reduce((a, v, k) => a + v - f.quantiles['0.1'][k], 0) / 24;
    const [observed, assumed, measured] = [await run(0), await run(), await run(3)];
    expect(observed.text).toMatch(/validation errors \(/);
    expect(assumed.text).toMatch(/validation errors on temperature \+ 1 °C forecast-like errors \(/);
    expect(measured.text).toMatch(/validation errors on temperature \+ 3\.00 °C forecast-like errors \(the RMSE of the forecasts the run reads\)/);
    expect(Array.from(observed.fc.mean)).toEqual(Array.from(assumed.fc.mean));
    expect(width(assumed.fc)).toBeGreaterThan(1.2 * width(observed.fc));
    expect(width(measured.fc)).toBeGreaterThan(1.5 * width(assumed.fc));
  });
});
