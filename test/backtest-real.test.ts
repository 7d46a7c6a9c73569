import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHongVanillaForecaster } from '../bench/baselines/hong-vanilla.ts';
import { loadSeriesCsv } from '../bin/lib/load-series.ts';
import { loadWeatherCsv, pickStations, weatherOnSeries } from '../bin/lib/load-weather.ts';
import { accuracy } from '../forecast/metrics.ts';

const dir = process.env.GRIDCAST_SHARED_DATA ?? '';

describe.runIf(!!process.env.GRIDCAST_SHARED_DATA)('backtest baselines on GEFCom2012 (Hong, Pinson & Fan, IJF 30(2), 2014)', () => {
  it("reproduces Hong's vanilla benchmark: about 5.1–5.2 % MAPE on the 2007 system total", async () => {
    const system = loadSeriesCsv(join(dir, 'gefcom2012/load.csv.gz'), { ids: ['system'] }).get('system')!;
    const w = loadWeatherCsv(join(dir, 'gefcom2012/weather.csv.gz'));
    const temp = weatherOnSeries(system, w, pickStations(w, 'mean', 'weather.csv.gz'));
    const at = (iso: string) => (Date.parse(iso) - system.start.getTime()) / 3_600_000;
    const [from, cut, end] = [at('2005-01-01T00:00:00Z'), at('2007-01-01T00:00:00Z'), at('2008-01-01T00:00:00Z')];
    const history = { ...system, start: new Date(system.start.getTime() + from * 3_600_000), values: system.values.slice(from, cut) };
    const fitted = await createHongVanillaForecaster().fit([history], new Map([['system', { future: { temperature: temp.slice(from, cut) } }]]));
    const [f] = await fitted.predict(end - cut, new Map([['system', { future: { temperature: temp.slice(cut, end) } }]]));
    const a = accuracy(system.values.slice(cut, end), f.mean);
    expect(a.n).toBe(8760);
    expect(a.mape).toBeGreaterThan(4.9);
    expect(a.mape).toBeLessThan(5.4);
  });
});
