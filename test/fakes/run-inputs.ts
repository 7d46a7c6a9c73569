import { createHash } from 'node:crypto';
import { GridcastError } from '../../core/errors.ts';
import type { Covariates, Series } from '../../core/types.ts';
import type { InputRequest, RunInputs } from '../../forecast/inputs.ts';
import type { RunInputsSource } from '../../forecast/run/ports.ts';

const HOUR_MS = 3_600_000;

export interface FakeSeries {
  /** The hourly value starting at `ms` (NaN: missing). */
  load: (ms: number) => number;
  /** Observed temperature over the history; absent: the series has no weather input. */
  temperature?: (ms: number) => number;
  /** Forecast temperature over the horizon (NaN: none issued); absent: none at all. */
  forecastTemperature?: (ms: number) => number;
}

/**
 * The run inputs of generated series, in memory, shaped as forecast/inputs.ts loadRunInputs
 * shapes them (hourly history before the origin, temperature covariates only for series with a
 * weather input, a hash over everything, WEATHER_UNMAPPED for series without weather when
 * `weatherStations` are stored). Every request is kept in `asked`.
 */
export function fakeRunInputs(series: Record<string, FakeSeries>, timeZone = 'Europe/Paris', { weatherStations = 0 } = {}): RunInputsSource & { asked: InputRequest[] } {
  const asked: InputRequest[] = [];
  return {
    asked,
    async load(req) {
      asked.push(req);
      const ids = [...new Set(req.seriesIds)].sort();
      const unknown = ids.filter((id) => !series[id]);
      if (unknown.length > 0) throw new GridcastError('SERIES_NOT_FOUND', `unknown series ${unknown.join(', ')}`, { unknown });
      const steps = req.historyDays * 24;
      const start = req.origin.getTime() - steps * HOUR_MS;
      const over = (n: number, from: number, f: (ms: number) => number) => Float64Array.from({ length: n }, (_, k) => f(from + k * HOUR_MS));
      const history = new Map(ids.map((id): [string, Series] => [id, { id, start: new Date(start), stepSec: 3600, values: over(steps, start, series[id].load), timeZone }]));
      const fitCovariates = new Map<string, Covariates>();
      const predictCovariates = new Map<string, Covariates>();
      for (const id of ids) {
        const s = series[id];
        if (!s.temperature) continue;
        fitCovariates.set(id, { future: { temperature: over(steps, start, s.temperature) } });
        predictCovariates.set(id, { future: { temperature: over(req.horizonSteps, req.origin.getTime(), s.forecastTemperature ?? (() => Number.NaN)) } });
      }
      const hash = createHash('sha256');
      for (const id of ids) hash.update(id).update(new Uint8Array(history.get(id)!.values.buffer)).update(JSON.stringify([...(fitCovariates.get(id)?.future?.temperature ?? [])]));
      const unmapped = ids.filter((id) => !series[id].temperature);
      const warnings = unmapped.length > 0 && weatherStations > 0 ? [`WEATHER_UNMAPPED: ${unmapped.join(', ')} have no weather input although ${weatherStations} weather stations are stored`] : [];
      const inputs: RunInputs = {
        stepSec: 3600,
        history,
        weather: new Map(ids.map((id) => [id, series[id].temperature ? { stations: [{ station: `st-${id}`, weight: 1 }], from: 'own' } : null])),
        warnings,
        fitCovariates,
        predictCovariates,
        quality: new Map(ids.map((id) => [id, { imputed: 0, suspect: 0, missing: history.get(id)!.values.filter(Number.isNaN).length }])),
        hash: hash.digest('hex'),
      };
      return inputs;
    },
  };
}
