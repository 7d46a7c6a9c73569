import { describe, expect, it } from 'vitest';
import type { Series } from '../../core/types.ts';
import { gefcom2012 } from '../../bench/datasets.ts';
import { createGamForecaster } from './gam-forecaster.ts';

const DATA = process.env.GRIDCAST_SHARED_DATA;

/**
 * Hong's vanilla regression has 5.1–5.2 % MAPE on the system total for 2007 (trained on 2005–2006,
 * actual temperatures, mean of all stations): the GAM with thermal inertia must do better.
 */
describe.runIf(!!DATA)('GAM on GEFCom2012 system load, 2007 with actual temperatures', () => {
  it('beats the published vanilla benchmark (MAPE < 5 %)', async () => {
    const c = gefcom2012(DATA!).find((x) => x.seriesId === 'system')!;
    const s = c.input.series;
    const temp = c.input.future!.temperature;
    const at = (iso: string) => Math.round((Date.parse(iso) - s.start.getTime()) / 3_600_000);
    const [from, cut, end] = [at('2005-01-01T00:00:00Z'), at('2007-01-01T00:00:00Z'), at('2008-01-01T00:00:00Z')];
    const history: Series = { ...s, start: new Date(s.start.getTime() + from * 3_600_000), values: s.values.slice(from, cut), timeZone: 'UTC' };
    const fitted = await createGamForecaster({ calendar: { country: 'US' } }).fit([history], new Map([[s.id, { future: { temperature: temp.slice(from, cut) } }]]));
    const [fc] = await fitted.predict(end - cut, new Map([[s.id, { future: { temperature: temp.slice(cut, end) } }]]));
    let ape = 0;
    let n = 0;
    fc.mean.forEach((f, i) => {
      const a = s.values[cut + i];
      if (Number.isFinite(a) && a > 0) {
        ape += Math.abs((a - f) / a);
        n++;
      }
    });
    expect(n).toBeGreaterThan(8700);
    expect((100 * ape) / n).toBeLessThan(5);
  }, 120_000);
});
