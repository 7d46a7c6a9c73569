import { describe, expect, it } from 'vitest';
import type { Covariates, Series } from '../../core/types.ts';
import { createGamForecaster } from '../../models/gam/gam-forecaster.ts';
import { simulatedLoadWithWeather } from '../../models/gam/__fixtures__/simulated.ts';
import { runBacktest } from './driver.ts';

const { series, temperature } = simulatedLoadWithWeather(130);
const params = { calendar: { country: 'US' }, halfLivesHours: [24], hourKnots: 7, tempKnots: 5, tempHourKnots: 4, inertiaKnots: 4, minHistoryDays: 28 };
const origins = [120 * 24, 121 * 24, 122 * 24];
const upTo = (o: number): [Series[], Map<string, Covariates>] => [[{ ...series, values: series.values.slice(0, o) }], new Map([[series.id, { future: { temperature: temperature.slice(0, o) } }]])];
const horizon = (o: number) => new Map([[series.id, { future: { temperature: temperature.slice(o, o + 24) } }]]);

describe('runBacktest refits', () => {
  it('fits the first origin refittable and refits the next ones from the previous fit', async () => {
    const gam = createGamForecaster(params);
    const results = await runBacktest(gam, { series, future: { temperature } }, { horizon: 24, origins });
    expect(results.map((r) => r.refitted)).toEqual([true, true, true]);
    // The same chain by hand: fit, refit, refit.
    let f = await gam.fit(...upTo(origins[0]), { refittable: true });
    for (let k = 0; k < origins.length; k++) {
      if (k > 0) f = await f.refit!(...upTo(origins[k]));
      const [fc] = await f.predict(24, horizon(origins[k]));
      expect(Array.from(results[k].forecast.mean)).toEqual(Array.from(fc.mean));
    }
  });
});
