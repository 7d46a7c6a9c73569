import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Series } from '../core/types.ts';
import { createProfileForecaster } from './fallback/profile.ts';
import { createSeasonalNaiveForecaster } from './fallback/seasonal-naive.ts';
import { createGamArimaForecaster } from './gam-arima.ts';
import { coverage } from './quantiles/empirical.ts';

const DATA = process.env.GRIDCAST_SHARED_DATA;

/** Hourly series of one zone of GEFCom2012 between two UTC instants; absent hours stay NaN. */
function gefcomSeries(id: string, from: string, to: string): Series {
  const start = Date.parse(from);
  const n = (Date.parse(to) - start) / 3600_000;
  const values = new Float64Array(n).fill(Number.NaN);
  const text = gunzipSync(readFileSync(join(DATA!, 'gefcom2012', 'load.csv.gz'))).toString('utf8');
  const prefix = `${id},`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const [, ts, value] = line.split(',');
    const i = (Date.parse(ts) - start) / 3600_000;
    if (i >= 0 && i < n) values[i] = Number(value);
  }
  return { id, start: new Date(start), stepSec: 3600, values };
}

describe.runIf(!!DATA)('gam-arima on GEFCom2012 system load (profile base), 31 daily origins in March 2007', () => {
  it('beats its base and the weekly seasonal naive on the first hours, with finite labelled output', async () => {
    const s = gefcomSeries('system', '2007-01-01T00:00:00Z', '2007-04-01T00:00:00Z');
    const trainEnd = (Date.parse('2007-03-01T00:00:00Z') - s.start.getTime()) / 3600_000;
    const slice = (to: number): Series => ({ ...s, values: s.values.slice(0, to) });
    const base = createProfileForecaster({ weeks: 4 });
    // State-moving conditioning keeps 31 origins fast; the refitting default is measured in bench/accuracy.
    let fitted = await createGamArimaForecaster(base, { refitArimaOnCondition: false }).fit([slice(trainEnd)]);
    const mae = { composite: 0, base: 0, naive: 0 };
    let inside = 0;
    let origins = 0;
    for (let origin = trainEnd; origin + 24 <= s.values.length; origin += 24) {
      if (origin > trainEnd) fitted = await fitted.condition!([slice(origin)]);
      const [f] = await fitted.predict(24);
      const [b] = await (await base.fit([slice(origin)])).predict(24);
      const [n] = await (await createSeasonalNaiveForecaster({ period: 'week' }).fit([slice(origin)])).predict(24);
      expect(f.model).toBe('profile+arima');
      expect(f.mean.every(Number.isFinite)).toBe(true);
      const actual = s.values.subarray(origin, origin + 24);
      for (let h = 0; h < 6; h++) {
        mae.composite += Math.abs(actual[h] - f.mean[h]);
        mae.base += Math.abs(actual[h] - b.mean[h]);
        mae.naive += Math.abs(actual[h] - n.mean[h]);
      }
      inside += coverage(actual, f.quantiles['0.1'], f.quantiles['0.9']);
      origins++;
    }
    expect(origins).toBe(31);
    expect(mae.composite).toBeLessThan(0.7 * mae.base);
    expect(mae.composite).toBeLessThan(mae.naive);
    expect(inside / origins).toBeGreaterThanOrEqual(0.7);
    expect(inside / origins).toBeLessThanOrEqual(0.95);
  });
});
