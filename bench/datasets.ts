import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Series } from '../core/types.ts';
import type { BacktestInput } from '../forecast/backtest/driver.ts';
import { loadSeriesCsv } from '../bin/lib/load-series.ts';
import { loadWeatherCsv, pickStations, weatherOnSeries } from '../bin/lib/load-weather.ts';

/** The real data folder: GRIDCAST_SHARED_DATA, else ../shared/data beside the clone. */
export function sharedDataDir(): string {
  const dir = process.env.GRIDCAST_SHARED_DATA ?? resolve(import.meta.dirname, '../../shared/data');
  if (!existsSync(join(dir, 'gefcom2012')) || !existsSync(join(dir, 'bigdeal2022'))) {
    throw new Error(`real data not found in ${dir}: set GRIDCAST_SHARED_DATA to the folder holding gefcom2012/ and bigdeal2022/`);
  }
  return dir;
}

export interface BenchCase {
  dataset: string;
  /** 'system', 'z1', 'ldc1', ... */
  seriesId: string;
  /** 'observed' or 'forecast' temperatures over the horizons. */
  weather: 'observed' | 'forecast';
  input: BacktestInput;
}

/**
 * GEFCom2012: the 20 zones and the system, each with the mean of the 11 stations (which station
 * serves which zone is not given; the mean is also what Hong's published benchmark uses).
 */
export function gefcom2012(dir: string): BenchCase[] {
  const series = loadSeriesCsv(join(dir, 'gefcom2012/load.csv.gz'));
  const w = loadWeatherCsv(join(dir, 'gefcom2012/weather.csv.gz'));
  const stations = pickStations(w, 'mean', 'gefcom2012/weather.csv.gz');
  const ids = ['system', ...Array.from({ length: 20 }, (_, i) => `z${i + 1}`)];
  // All series share one time index, so one temperature array serves every case.
  const temp = weatherOnSeries(series.get('system')!, w, stations);
  return ids.map((id) => {
    const s = series.get(id)!;
    return { dataset: 'gefcom2012', seriesId: id, weather: 'observed' as const, input: { series: s, future: { temperature: sameSpan(s, series.get('system')!, temp) } } };
  });
}

/**
 * BigDEAL 2022: ldc1..ldc3 with the mean of the 6 stations, once with observed temperatures over
 * the horizons and once with the published temperature forecasts. The forecast file has one value
 * per station and target hour and no issue time: we take each value as the day-ahead forecast
 * available before the origin of that day (the challenge published them as such).
 */
export function bigdeal2022(dir: string): BenchCase[] {
  const series = loadSeriesCsv(join(dir, 'bigdeal2022/load.csv.gz'));
  const w = loadWeatherCsv(join(dir, 'bigdeal2022/weather.csv.gz'));
  const wf = loadWeatherCsv(join(dir, 'bigdeal2022/weather_forecasts.csv.gz'));
  const out: BenchCase[] = [];
  for (const id of ['ldc1', 'ldc2', 'ldc3']) {
    const s = series.get(id)!;
    const temperature = weatherOnSeries(s, w, pickStations(w, 'mean', 'weather.csv.gz'));
    const forecast = weatherOnSeries(s, wf, pickStations(wf, 'mean', 'weather_forecasts.csv.gz'));
    out.push({ dataset: 'bigdeal2022', seriesId: id, weather: 'observed', input: { series: s, future: { temperature } } });
    out.push({ dataset: 'bigdeal2022', seriesId: id, weather: 'forecast', input: { series: s, future: { temperature }, futureForecast: { temperature: forecast } } });
  }
  return out;
}

function sameSpan(s: Series, ref: Series, values: Float64Array): Float64Array {
  const offset = (s.start.getTime() - ref.start.getTime()) / (s.stepSec * 1000);
  const out = new Float64Array(s.values.length).fill(Number.NaN);
  for (let i = 0; i < out.length; i++) if (i + offset >= 0 && i + offset < values.length) out[i] = values[i + offset];
  return out;
}
