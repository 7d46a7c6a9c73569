import { z } from 'zod';
import { GridcastError } from '../../core/errors.ts';
import type { Series } from '../../core/types.ts';
import { instantMs, numberOrMissing, readCsv } from './read-csv.ts';

const WeatherRow = z.object({
  station_id: z.string().min(1, 'station_id is empty'),
  ts: instantMs,
  variable: z.string().min(1, 'variable is empty'),
  value: numberOrMissing,
});

/** One weather variable per station: epoch ms → value. */
export type StationValues = Map<string, Map<number, number>>;

/** `station_id,ts,variable,value` CSV (gzip accepted) → values of one variable by station. */
export function loadWeatherCsv(file: string, variable = 'temperature'): StationValues {
  const rows = readCsv(file, ['station_id', 'ts', 'variable', 'value'], WeatherRow);
  const out: StationValues = new Map();
  for (const r of rows) {
    if (r.variable !== variable || !Number.isFinite(r.value)) continue;
    let m = out.get(r.station_id);
    if (!m) out.set(r.station_id, (m = new Map()));
    m.set(r.ts, r.value);
  }
  if (out.size === 0) throw new GridcastError('WEATHER_MISSING', `'${file}' holds no '${variable}' values`, { file, variable });
  return out;
}

/**
 * Stations to average: 'mean' (or omitted) → every station of the file; otherwise a
 * comma-separated list, each of which must exist.
 */
export function pickStations(weather: StationValues, spec: string | undefined, file: string): string[] {
  if (!spec || spec === 'mean') return [...weather.keys()].sort();
  const ids = spec.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) {
    if (!weather.has(id)) throw new GridcastError('UNKNOWN_STATION', `station '${id}' is not in '${file}'; stations there: ${[...weather.keys()].sort().join(', ')}`, { station: id, file });
  }
  return ids;
}

/**
 * The mean of the stations at every step of `s` (NaN where none of them has a value). A weather
 * step coarser than the series is linearly interpolated between its two neighbouring readings.
 */
export function weatherOnSeries(s: Series, weather: StationValues, stations: string[]): Float64Array {
  const out = new Float64Array(s.values.length);
  const stepMs = s.stepSec * 1000;
  const t0 = s.start.getTime();
  const sorted = stations.map((id) => {
    const m = weather.get(id)!;
    return { m, times: Float64Array.from([...m.keys()]).sort() };
  });
  for (let i = 0; i < out.length; i++) {
    const ms = t0 + i * stepMs;
    let sum = 0;
    let cnt = 0;
    for (const { m, times } of sorted) {
      const v = m.get(ms) ?? interpolate(m, times, ms);
      if (Number.isFinite(v)) {
        sum += v;
        cnt++;
      }
    }
    out[i] = cnt > 0 ? sum / cnt : Number.NaN;
  }
  return out;
}

/** Readings further apart than this are not bridged. */
const MAX_GAP_MS = 3 * 3_600_000;

function interpolate(m: Map<number, number>, times: Float64Array, ms: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < ms) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0 || lo === times.length) return Number.NaN;
  const a = times[lo - 1];
  const b = times[lo];
  if (b - a > MAX_GAP_MS) return Number.NaN;
  const w = (ms - a) / (b - a);
  return m.get(a)! * (1 - w) + m.get(b)! * w;
}
