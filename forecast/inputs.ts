import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { GridcastError } from '../core/errors.ts';
import type { Covariates, Series } from '../core/types.ts';
import { dataHash } from '../models/artifact.ts';
import type { Queryable } from '../store/db.ts';
import { listSeries } from '../store/series.repository.ts';
import type { SeriesRow } from '../core/series.ts';
import { hourlyDayAheadWeatherFc, hourlyLatestWeatherFc, hourlyWeatherObs } from '../store/weather.repository.ts';
import { blendStations, describeWeather, resolveWeather, weatherKey, type WeatherInput, type WeatherNode } from '../core/topology/weather.ts';
import { HourlyLoader } from './inputs-history.ts';
import { WEATHER_ERROR_DAYS, weatherForecastRmse } from './weather-error.ts';

export interface InputRequest {
  seriesIds: string[];
  /** Forecast origin T: history strictly before T (hourly buckets), weather forecasts issued at or before T. */
  origin: Date;
  /** History window length before T. */
  historyDays: number;
  /** Hourly steps from T. */
  horizonSteps: number;
  /** Mid-term: replay observed temperature of these past years on the target calendar (returns scenarios). */
  scenarioYears?: number[];
  /**
   * Knowledge time: only rows received at or before it (metering versions, late measurements,
   * weather). Absent: everything stored now. A re-run passes the first run's issue time to see
   * what was known then; it is not the origin, since imported history was received after its origins.
   */
  asOf?: Date;
  /**
   * Weather inputs to use instead of resolving the topology's, for the series present here (null:
   * none): a reproduction passes its run's, a run its champions' (what they were trained on).
   */
  weather?: Record<string, WeatherInput | null>;
}

export interface RunInputs {
  stepSec: 3600;
  /** Hourly, [origin - historyDays, origin), NaN where missing; Series.timeZone from topology. */
  history: Map<string, Series>;
  /** The stations (and weights) making each series' temperature, null where it has none: recorded by runs and the registry. */
  weather: Map<string, WeatherInput | null>;
  /** Coded warnings on the weather inputs (WEATHER_UNMAPPED, WEATHER_NO_OBSERVATIONS), for the command's output and the record. */
  warnings: string[];
  /** { future: { temperature } } aligned with history (observations), only for series with a weather input. */
  fitCovariates: Map<string, Covariates>;
  /** { future: { temperature } } of length horizonSteps from the latest forecast issued <= origin for each target (NaN where none). */
  predictCovariates: Map<string, Covariates>;
  /** year -> predict covariates from that year's observations. */
  scenarios?: Map<number, Map<string, Covariates>>;
  /** Hours of the history window that are imputed, suspect (worst point quality of the hour) or missing. */
  quality: Map<string, { imputed: number; suspect: number; missing: number }>;
  /** sha256 over everything above (the run's inputs hash). */
  hash: string;
}

const STEP_SEC = 3600;
const HOUR_MS = STEP_SEC * 1000;
export const TEMPERATURE = 'temperature';

/**
 * Loads what a forecast run (or a training) needs from the store: hourly actuals through
 * queryMeasurements (own measurements, best metering version, or roll-up of children), and the
 * temperature of each series: the weighted mean of the stations its weather input names
 * (core/topology/weather.ts: own source, else descendants', else a moving load's substations',
 * else an ancestor's).
 */
export async function loadRunInputs(q: Queryable, req: InputRequest): Promise<RunInputs> {
  validate(req);
  const ids = [...new Set(req.seriesIds)].sort();
  const origin = req.origin.getTime();
  const steps = req.historyDays * 24;
  const from = origin - steps * HOUR_MS;
  const topology = new Map((await listSeries(q)).map((r) => [r.id, r]));

  const history = new Map<string, Series>();
  const quality = new Map<string, { imputed: number; suspect: number; missing: number }>();
  const loader = new HourlyLoader(q, topology, from, steps, req.asOf);
  for (const id of ids) {
    const row = topology.get(id);
    if (!row) throw new GridcastError('SERIES_NOT_FOUND', `Unknown series '${id}': create it (topology) before forecasting it.`, { seriesId: id });
    const hourly = await loader.load(id);
    const counts = { imputed: 0, suspect: 0, missing: 0 };
    for (let i = 0; i < steps; i++) {
      if (Number.isNaN(hourly.values[i])) counts.missing++;
      else if (hourly.quality[i] === 'imputed') counts.imputed++;
      else if (hourly.quality[i] === 'suspect') counts.suspect++;
    }
    history.set(id, { id, start: new Date(from), stepSec: STEP_SEC, values: hourly.values.slice(), timeZone: row.timeZone });
    quality.set(id, counts);
  }

  const { weather, warnings } = await weatherInputs(topology, ids, loader, req);
  const stations = [...new Set([...weather.values()].flatMap((w) => w?.stations.map((s) => s.station) ?? []))].sort();
  const obsHistory = new Map<string, Float64Array>();
  const fcHorizon = new Map<string, Float64Array>();
  // The forecasts a daily run at this time of day read over the last weeks: how far they stood from the observations.
  const errorDays = Math.min(WEATHER_ERROR_DAYS, req.historyDays);
  const obsRecent = new Map<string, Float64Array>();
  const fcRecent = new Map<string, Float64Array>();
  for (const st of stations) {
    const obs = await hourlyWeatherObs(q, st, TEMPERATURE, from, steps, req.asOf);
    obsHistory.set(st, obs);
    obsRecent.set(st, obs.subarray(steps - errorDays * 24));
    fcRecent.set(st, await hourlyDayAheadWeatherFc(q, st, TEMPERATURE, origin, errorDays, req.asOf));
    fcHorizon.set(st, await hourlyLatestWeatherFc(q, st, TEMPERATURE, origin, req.horizonSteps, req.asOf));
  }
  const mapped = [...weather].filter((e): e is [string, WeatherInput] => e[1] !== null);
  const errorSd = new Map(
    mapped.map(([id, w]) => [id, weatherForecastRmse(blendStations(w.stations, obsRecent, errorDays * 24), blendStations(w.stations, fcRecent, errorDays * 24), 0, errorDays * 24, STEP_SEC)] as const),
  );
  const perSeries = (byStation: Map<string, Float64Array>, length: number) =>
    new Map(
      mapped.map(([id, w]): [string, Covariates] => {
        const sd = errorSd.get(id);
        return [id, { future: { [TEMPERATURE]: blendStations(w.stations, byStation, length) }, ...(sd === undefined ? {} : { horizonErrorSd: { [TEMPERATURE]: sd } }) }];
      }),
    );
  const fitCovariates = perSeries(obsHistory, steps);
  const predictCovariates = perSeries(fcHorizon, req.horizonSteps);
  const blind = mapped.filter(([id]) => steps > 0 && !fitCovariates.get(id)!.future![TEMPERATURE].some(Number.isFinite));
  if (blind.length > 0) {
    warnings.push(
      `WEATHER_NO_OBSERVATIONS: ${count(blind.length)} (${list(blind.map(([id]) => id))}) map to stations without a temperature observation between ${new Date(from).toISOString()} and ${new Date(origin).toISOString()} (${list([...new Set(blind.flatMap(([, w]) => w.stations.map((s) => s.station)))])}): their models run without weather; ingest the stations' observations.`,
    );
  }

  let scenarios: Map<number, Map<string, Covariates>> | undefined;
  if (req.scenarioYears) {
    scenarios = new Map();
    for (const year of [...new Set(req.scenarioYears)].sort((a, b) => a - b)) {
      const byStation = new Map<string, Float64Array>();
      for (const st of stations) byStation.set(st, await replayedYear(q, st, origin, req.horizonSteps, year, req.asOf));
      scenarios.set(year, perSeries(byStation, req.horizonSteps));
    }
  }

  const inputs = { stepSec: STEP_SEC, history, weather, warnings, fitCovariates, predictCovariates, ...(scenarios ? { scenarios } : {}), quality } as const;
  return { ...inputs, hash: inputsHash(inputs, origin, req.horizonSteps) };
}

function validate(req: InputRequest): void {
  const t = req.origin?.getTime();
  if (!Number.isFinite(t) || t % HOUR_MS !== 0) {
    throw new GridcastError('INPUT_ORIGIN_INVALID', `the origin must be a whole UTC hour, got ${Number.isFinite(t) ? req.origin.toISOString() : String(req.origin)}`);
  }
  if (!Number.isInteger(req.historyDays) || req.historyDays < 1) {
    throw new GridcastError('INPUT_HISTORY_INVALID', `historyDays must be a positive whole number, got ${req.historyDays}`);
  }
  if (!Number.isInteger(req.horizonSteps) || req.horizonSteps < 0) {
    throw new GridcastError('INPUT_HORIZON_INVALID', `horizonSteps must be a whole number >= 0, got ${req.horizonSteps}`);
  }
  for (const y of req.scenarioYears ?? []) {
    if (!Number.isInteger(y)) throw new GridcastError('INPUT_SCENARIO_INVALID', `scenario years must be whole years, got ${y}`);
  }
}

const count = (n: number) => `${n} series`;
const list = (ids: string[]) => (ids.length > 5 ? `${ids.slice(0, 5).join(', ')}, …` : ids.join(', '));

/**
 * The weather input of each series: the request's where given, else resolved on the stored
 * topology, with its children's mean load over the window weighting an aggregate's stations. A
 * series left without any while weather stations exist is named in WEATHER_UNMAPPED.
 */
async function weatherInputs(
  topology: Map<string, SeriesRow>,
  ids: string[],
  loader: HourlyLoader,
  req: InputRequest,
): Promise<{ weather: Map<string, WeatherInput | null>; warnings: string[] }> {
  const rows = [...topology.values()].filter((r) => !r.attrs.derived);
  const stations = rows.filter((r) => r.kind === 'weather').map((r) => r.id);
  const nodes: WeatherNode[] = rows.map((r) => {
    const sharing = r.attrs.sharing as { substations?: string[] } | undefined;
    return { id: r.id, parent: r.parent, ...(r.weatherStation !== undefined ? { weatherStation: r.weatherStation } : {}), ...(sharing?.substations ? { substations: sharing.substations } : {}) };
  });
  const given = req.weather ?? {};
  // First pass: which children's loads weigh an aggregate; then their mean load over the window.
  const asked = new Set<string>();
  resolveWeather(nodes, { stations, loadOf: (id) => void asked.add(id) }, ids);
  const loads = new Map<string, number>();
  for (const id of [...asked].sort()) {
    const v = (await loader.load(id)).values;
    let sum = 0;
    let n = 0;
    for (const x of v) {
      if (!Number.isFinite(x)) continue;
      sum += x;
      n++;
    }
    if (n > 0) loads.set(id, sum / n);
  }
  const resolved = resolveWeather(nodes, { stations, loadOf: (id) => loads.get(id) }, ids);
  const weather = new Map(ids.map((id) => [id, Object.hasOwn(given, id) ? given[id] : resolved.get(id)!]));
  const warnings: string[] = [];
  const stationSet = (w: WeatherInput | null | undefined) => (w ? w.stations.map((x) => x.station).join(',') : '');
  const overridden = ids.filter((id) => Object.hasOwn(given, id) && stationSet(given[id]) !== stationSet(resolved.get(id)));
  if (overridden.length > 0) {
    warnings.push(
      `WEATHER_INPUT_RECORDED: ${count(overridden.length)} use the weather recorded with their model or run, not the topology's as it stands: ${overridden
        .slice(0, 5)
        .map((id) => `${id} ${describeWeather(given[id])} (topology: ${describeWeather(resolved.get(id))})`)
        .join('; ')}${overridden.length > 5 ? '; …' : ''}`,
    );
  }
  const unmapped = ids.filter((id) => weather.get(id) === null && topology.get(id)!.kind !== 'weather');
  if (unmapped.length > 0 && stations.length > 0) {
    warnings.push(
      `WEATHER_UNMAPPED: ${count(unmapped.length)} (${list(unmapped)}) have no weather input although ${stations.length} weather station${stations.length > 1 ? 's are' : ' is'} stored: their models run on the calendar alone. Give them (or an ancestor) a weatherStation in the topology — a station, a weighted list or mean — or load it with 'gridcast topology load FILE --weather mean'.`,
    );
  }
  return { weather, warnings };
}

/** A series' weather inputs grouped for people: `mean of 11 stations (s1 … s11): system, z1, …`. */
export function describeWeatherInputs(weather: ReadonlyMap<string, WeatherInput | null> | Record<string, WeatherInput | null>): string[] {
  const entries = weather instanceof Map ? [...weather] : Object.entries(weather);
  const groups = new Map<string, string[]>();
  for (const [id, w] of entries.sort(([a], [b]) => (a < b ? -1 : 1))) {
    const d = describeWeather(w);
    groups.set(d, [...(groups.get(d) ?? []), id]);
  }
  return [...groups].map(([d, ids]) => `${d}: ${ids.length > 8 ? `${ids.slice(0, 8).join(', ')}, … (${ids.length} series)` : ids.join(', ')}`);
}

/**
 * Observed temperature of `year` on the target calendar: each target hour takes the observation
 * of the same UTC month, day and hour, the first target's year mapped to `year` and later years
 * following it (a horizon across New Year stays continuous). UTC, not local time, so that every
 * target hour has exactly one source hour across DST changes; Feb 29 maps to Feb 28 of a common year.
 */
async function replayedYear(q: Queryable, station: string, origin: number, steps: number, year: number, asOf?: Date): Promise<Float64Array> {
  const out = new Float64Array(steps).fill(Number.NaN);
  if (steps === 0) return out;
  const shift = year - DateTime.fromMillis(origin, { zone: 'utc' }).year;
  const source = new Float64Array(steps);
  for (let k = 0; k < steps; k++) {
    const t = DateTime.fromMillis(origin + k * HOUR_MS, { zone: 'utc' });
    const y = t.year + shift;
    const day = t.month === 2 && t.day === 29 && !DateTime.utc(y).isInLeapYear ? 28 : t.day;
    source[k] = DateTime.utc(y, t.month, day, t.hour).toMillis();
  }
  // Non-decreasing: only a Feb 29 mapped to Feb 28 repeats an hour.
  const lo = source[0];
  const hours = (source[steps - 1] - lo) / HOUR_MS + 1;
  const obs = await hourlyWeatherObs(q, station, TEMPERATURE, lo, hours, asOf);
  for (let k = 0; k < steps; k++) out[k] = obs[(source[k] - lo) / HOUR_MS];
  return out;
}

/**
 * One sha256 over ids, time zones, timestamps, values and covariates in a canonical order: the
 * history through dataHash, the horizon and every scenario as value-less series starting at the
 * origin (so origin and horizon length are part of it), then the quality counts.
 */
function inputsHash(inputs: Omit<RunInputs, 'hash'>, origin: number, horizonSteps: number): string {
  const h = createHash('sha256');
  const history = [...inputs.history.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const horizon = history.map((s) => ({ id: s.id, start: new Date(origin), stepSec: STEP_SEC, values: new Float64Array(horizonSteps) }));
  h.update(`gridcast-run-inputs\0v1\0`);
  for (const s of history) h.update(`zone\0${s.id}\0${s.timeZone ?? ''}\0weather\0${weatherKey(inputs.weather.get(s.id))}\0`);
  h.update(`history\0${dataHash(history, inputs.fitCovariates)}\0`);
  h.update(`horizon\0${dataHash(horizon, inputs.predictCovariates)}\0`);
  for (const [year, cov] of [...(inputs.scenarios ?? new Map<number, Map<string, Covariates>>())].sort(([a], [b]) => a - b)) {
    h.update(`scenario\0${year}\0${dataHash(horizon, cov)}\0`);
  }
  for (const s of history) {
    const c = inputs.quality.get(s.id)!;
    h.update(`quality\0${s.id}\0${c.imputed}\0${c.suspect}\0${c.missing}\0`);
  }
  return h.digest('hex');
}
