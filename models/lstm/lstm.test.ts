import { beforeAll, describe, expect, it } from 'vitest';
import type { Covariates, FittedForecaster, Forecast, Series } from '../../core/types.ts';
import { createLstmForecaster, lstmFromArtifact } from './forecaster.ts';
import type { LstmParams } from './params.ts';
import { seededRandom } from '../../core/random.ts';
import { buildFrame, layoutOf, resolveCalendar, writeSample } from './windows.ts';

const HOUR = 3600;
const START = Date.UTC(2024, 0, 1);
/** A network small enough to train in a few seconds on simulated data. */
const TINY: Partial<LstmParams> = {
  lookbackDays: 2,
  units: 8,
  hidden: 16,
  validationDays: 6,
  samplesPerEpoch: 384,
  batchSize: 64,
  learningRate: 0.01,
  maxEpochs: 10,
  patience: 10,
  maxValSamples: 256,
  // The default: tfjs-node when installed, else wasm (what CI gets), else cpu.
  backend: 'auto',
  seed: 7,
};

/** Hourly load with a daily cycle, lower weekends, a temperature effect and noise. */
function simulate(id: string, level: number, days: number, seed: number): { series: Series; temperature: Float64Array; full: Float64Array } {
  const n = days * 24;
  const rand = seededRandom(seed);
  const temperature = new Float64Array(n);
  const full = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hour = i % 24;
    const weekday = (Math.floor(i / 24) + 0) % 7; // 2024-01-01 is a Monday
    temperature[i] = 5 + 6 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + 3 * Math.sin(i / 50);
    const shape = 1 + 0.35 * Math.sin((2 * Math.PI * (hour - 7)) / 24) - (weekday >= 5 ? 0.15 : 0);
    full[i] = level * (shape + 0.01 * (10 - temperature[i]) + 0.03 * (rand() - 0.5));
  }
  return { series: { id, start: new Date(START), stepSec: HOUR, values: full.slice(0, n - 24) }, temperature, full };
}

const mae = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

/** Error of forecasting every hour with the mean of the last day. */
const constantMae = (s: Series, actual: ArrayLike<number>) => {
  const last = s.values.subarray(s.values.length - 24);
  const level = last.reduce((a, b) => a + b, 0) / 24;
  return mae(actual, Array.from({ length: actual.length }, () => level));
};

const horizonTemp = (x: { temperature: Float64Array }) => x.temperature.subarray(x.temperature.length - 24);
const historyTemp = (x: { temperature: Float64Array }) => x.temperature.subarray(0, x.temperature.length - 24);

function expectSane(f: Forecast) {
  for (const v of f.mean) expect(Number.isFinite(v)).toBe(true);
  for (const key of ['0.1', '0.5', '0.9']) for (const v of f.quantiles[key]) expect(Number.isFinite(v)).toBe(true);
  for (let i = 0; i < f.mean.length; i++) {
    expect(f.quantiles['0.1'][i]).toBeLessThanOrEqual(f.quantiles['0.5'][i]);
    expect(f.quantiles['0.5'][i]).toBeLessThanOrEqual(f.quantiles['0.9'][i]);
  }
}

describe('lstm forecaster on one series', () => {
  const sim = simulate('a', 100, 24, 1);
  const cov = new Map<string, Covariates>([['a', { future: { temperature: historyTemp(sim) } }]]);
  const future = new Map<string, Covariates>([['a', { future: { temperature: horizonTemp(sim) } }]]);
  let fitted: FittedForecaster<LstmParams>;

  beforeAll(async () => {
    fitted = await createLstmForecaster(TINY).fit([sim.series], cov);
  });

  it('learns a daily cycle clearly better than a constant forecast', async () => {
    const [f] = await fitted.predict(24, future);
    const actual = sim.full.subarray(sim.full.length - 24);
    expect(f.start.getTime()).toBe(START + sim.series.values.length * HOUR * 1000);
    expectSane(f);
    expect(mae(f.mean, actual)).toBeLessThan(0.5 * constantMae(sim.series, actual));
  });

  it('reloads from a JSON artifact and predicts identically', async () => {
    const a = JSON.parse(JSON.stringify(fitted.toArtifact()));
    expect(a.spec.kind).toBe('lstm');
    // wasm binaries load from node_modules (no silent fall back to the slow cpu backend).
    expect(a.state.training.backend).toMatch(/^(wasm|tensorflow)/);
    // Enough validation windows for the series' own error table (unseen series use the pooled one).
    expect(a.state.seriesErrors.map((e: { id: string }) => e.id)).toEqual(['a']);
    const again = lstmFromArtifact(a);
    expect(await again.predict(30, undefined, [0.05, 0.5, 0.95])).toEqual(await fitted.predict(30, undefined, [0.05, 0.5, 0.95]));
    expect(await again.predict(24, future)).toEqual(await fitted.predict(24, future));
    expect(again.residuals()).toEqual(fitted.residuals());
  });

  it('forecasts from a later origin without retraining, matching the residuals tfjs computed', async () => {
    const r = fitted.residuals().get('a')!;
    expect(r.length).toBe(sim.series.values.length);
    const t = r.length - 30;
    expect(Number.isFinite(r[t])).toBe(true);
    const cut: Series = { ...sim.series, values: sim.series.values.slice(0, t) };
    const later = await fitted.condition!([cut], new Map([['a', { future: { temperature: sim.temperature.slice(0, t) } }]]));
    const [f] = await later.predict(24, new Map([['a', { future: { temperature: sim.temperature.slice(t, t + 24) } }]]));
    expect(sim.series.values[t] - f.mean[0]).toBeCloseTo(r[t], 3);
  });

  it('gives the same weights and forecasts for the same seed and data', async () => {
    const twin = await createLstmForecaster(TINY).fit([sim.series], cov);
    expect((twin.toArtifact().state as { weights: unknown }).weights).toEqual((fitted.toArtifact().state as { weights: unknown }).weights);
    expect(await twin.predict(24, future)).toEqual(await fitted.predict(24, future));
  });
});

describe('lstm as a global model', () => {
  it('forecasts a series it never saw from weights learnt on three others', async () => {
    const train = [simulate('s1', 100, 20, 11), simulate('s2', 200, 20, 12), simulate('s3', 400, 20, 13)];
    const unseen = simulate('new', 300, 20, 14);
    const fitted = await createLstmForecaster(TINY).fit(
      train.map((x) => x.series),
      new Map(train.map((x) => [x.series.id, { future: { temperature: historyTemp(x) } }])),
    );
    const later = await fitted.condition!([unseen.series], new Map([['new', { future: { temperature: historyTemp(unseen) } }]]));
    const [f] = await later.predict(24, new Map([['new', { future: { temperature: horizonTemp(unseen) } }]]));
    expect(f.seriesId).toBe('new');
    expectSane(f);
    const actual = unseen.full.subarray(unseen.full.length - 24);
    expect(mae(f.mean, actual)).toBeLessThan(0.5 * constantMae(unseen.series, actual));
  });
});

describe('lstm input checks', () => {
  it('rejects a history shorter than its input window', async () => {
    const short: Series = { id: 'x', start: new Date(START), stepSec: HOUR, values: new Float64Array(30).fill(1) };
    await expect(createLstmForecaster(TINY).fit([short])).rejects.toMatchObject({ code: 'HISTORY_TOO_SHORT' });
  });

  it('rejects series of different steps, misaligned temperature and bad parameters', async () => {
    const a = simulate('a', 100, 10, 1).series;
    const b: Series = { ...simulate('b', 100, 10, 2).series, stepSec: 900 };
    await expect(createLstmForecaster(TINY).fit([a, b])).rejects.toMatchObject({ code: 'STEP_MISMATCH' });
    await expect(createLstmForecaster(TINY).fit([a], new Map([['a', { future: { temperature: new Float64Array(5) } }]]))).rejects.toMatchObject({ code: 'COVARIATE_LENGTH' });
    expect(() => createLstmForecaster({ units: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
  });

  it('trains through gaps, with and without temperature, and never forecasts NaN', async () => {
    const withTemp = simulate('t', 100, 20, 21);
    const bare = simulate('b', 150, 20, 22);
    for (let i = 100; i < 160; i++) withTemp.series.values[i] = Number.NaN;
    for (let i = bare.series.values.length - 5; i < bare.series.values.length; i++) bare.series.values[i] = Number.NaN;
    const fitted = await createLstmForecaster(TINY).fit([withTemp.series, bare.series], new Map([['t', { future: { temperature: historyTemp(withTemp) } }]]));
    // No temperature over the horizon: documented as "unknown", the network's no-weather forecast.
    const forecasts = await fitted.predict(48);
    expect(forecasts.map((f) => f.seriesId)).toEqual(['t', 'b']);
    for (const f of forecasts) expectSane(f);
    const nanTemp = new Float64Array(48).fill(Number.NaN);
    for (const f of await fitted.predict(48, new Map([['t', { future: { temperature: nanTemp } }]]))) expectSane(f);
    await expect(fitted.predict(24, new Map([['t', { future: { temperature: nanTemp } }]]))).rejects.toMatchObject({ code: 'COVARIATE_LENGTH' });
  });
});

describe('lstm calendar inputs', () => {
  it('flags the public holidays of the configured country over the horizon', () => {
    const L = layoutOf(HOUR, { horizon: 24, lookbackDays: 2 });
    const start = Date.UTC(2024, 11, 23); // Monday 23 December; the origin is Christmas Day 00:00
    const n = L.window + L.horizon;
    const seq = new Float32Array(L.days * L.seqFeatures);
    const stat = new Float32Array(L.staticFeatures);
    const holidayFlags = (calendar: { country?: string }) => {
      const f = buildFrame(new Float64Array(n).fill(1), undefined, { mean: 0, sd: 1 }, start, HOUR, 'UTC', calendar);
      writeSample(f, L.window, L, seq, 0, stat, 0);
      return Array.from(stat.subarray(6 * 24, 7 * 24));
    };
    expect(holidayFlags({ country: 'US' })).toEqual(new Array(24).fill(1));
    // As a fitted model stores it: the holidays written out once at fit time.
    expect(holidayFlags(resolveCalendar({ country: 'US' }, Date.UTC(2020, 0, 1), Date.UTC(2022, 0, 1)))).toEqual(new Array(24).fill(1));
    expect(holidayFlags({})).toEqual(new Array(24).fill(0));
  });
});
