import { GridcastError } from '../../core/errors.ts';
import { PERFORMANCE_RATIO } from '../prepare/disaggregate.ts';
import type { Topology } from '../../core/topology/schema.ts';
import { createCalendar, type LocalTime } from './calendar.ts';
import { readGrid } from './grid.ts';
import { substationLoad, trainTimetable } from './load.ts';
import { gauss, smoothNoise, streamKey, uniform } from './random.ts';
import { createWeather, type Station } from './weather.ts';
import { createWeatherForecaster, issueTimes } from './weather-forecast.ts';

export interface SimulatorOptions {
  seed: number;
  topology: Topology;
  /** Country of the public holidays (date-holidays code). Default 'FR'. */
  holidays?: string;
  /** Sensor faults (gaps and outliers); false for clean data. */
  faults?: false | { gapsPerDay?: number; outlierRate?: number };
  /** Weather observation cadence in seconds (default 600); coarser generation steps report every step. */
  weatherStepSec?: number;
}

export interface SimMeasurement {
  seriesId: string;
  ts: Date;
  value: number;
}
export interface SimWeather {
  stationId: string;
  ts: Date;
  variable: 'temperature' | 'irradiance';
  value: number;
}
/** A temperature forecast as the simulated weather service issued it (no MQTT topic: written directly). */
export interface SimWeatherForecast {
  stationId: string;
  variable: 'temperature';
  issuedAt: Date;
  targetTs: Date;
  value: number;
}
export interface SimBatch {
  measurements: SimMeasurement[];
  weather: SimWeather[];
}

export interface Simulator {
  readonly topology: Topology;
  /** Series the simulator measures (bottom loads, trains, production, line ends). */
  readonly seriesIds: readonly string[];
  /** Weather stations it reports (variables 'temperature' °C and 'irradiance' W/m²). */
  readonly stationIds: readonly string[];
  /** Every point in [from, to) on the stepSec grid (aligned on the epoch). */
  generate(from: Date, to: Date, stepSec: number): SimBatch;
  /** The same points in batches of chunkSec of simulated time, for long backfills. */
  chunks(from: Date, to: Date, stepSec: number, chunkSec?: number): Generator<SimBatch>;
  /** Noise- and fault-free values at one instant, in the series' units (a test oracle). */
  trueValues(ts: Date): Map<string, number>;
  /** Temperature forecasts of every station issued in [from, to), hourly targets (see weather-forecast.ts). */
  weatherForecasts(from: Date, to: Date): SimWeatherForecast[];
}

const HOUR = 3_600_000;
/** Thermal inertia: time constant of the exponentially smoothed temperature driving thermal loads. */
const INERTIA_HOURS = 36;
const INERTIA_WINDOW = 10 * INERTIA_HOURS;
const NOISE_SD = 0.004;
const GAP_WINDOW_MS = 6 * HOUR;

/**
 * A synthetic grid from a seed. Values are pure functions of (seed, topology, instant), so the
 * same seed gives the same data for live ticks and backfills alike. See ingest/simulator/README.md.
 */
export function createSimulator(opts: SimulatorOptions): Simulator {
  const { seed, topology } = opts;
  const grid = readGrid(topology, seed);
  const weather = createWeather(seed);
  const faults = opts.faults === false ? undefined : { gapsPerDay: opts.faults?.gapsPerDay ?? 0.5, outlierRate: opts.faults?.outlierRate ?? 2e-4 };
  const weatherStepMs = (opts.weatherStepSec ?? 600) * 1000;
  const calendars = new Map<string, (t: number) => LocalTime>();
  const calendarOf = (zone: string) => {
    let c = calendars.get(zone);
    if (!c) {
      // Every series asks for the same instant within a step: keep the last answer.
      const compute = createCalendar(zone, opts.holidays ?? 'FR');
      let lastT = NaN;
      let last: LocalTime;
      c = (t) => (t === lastT ? last : ((lastT = t), (last = compute(t))));
      calendars.set(zone, c);
    }
    return c;
  };
  const smoothed = smoothedTemperature(weather.temperature);

  const seriesIds = [
    ...grid.substations.map((s) => s.node.id),
    ...grid.trains.map((t) => t.node.id),
    ...grid.producers.map((p) => p.node.id),
    ...grid.lines.flatMap((l) => l.ends.map((e) => e.id)),
  ];
  const keys = new Map(seriesIds.map((id) => [id, { noise: streamKey(`noise/${id}`), gap: streamKey(`gap/${id}`), outlier: streamKey(`outlier/${id}`) }]));

  /** True values in MW (before unit conversion). */
  const truthMW = (t: number): Map<string, number> => {
    const out = new Map<string, number>();
    const withdrawal = new Map<string, number>();
    for (const s of grid.substations) {
      const local = calendarOf(s.node.timeZone)(t);
      const load = substationLoad(s.shape, local, smoothed(s.station, t));
      const wiggle = 1 + 0.02 * smoothNoise(seed, s.key, t, HOUR);
      const pv = s.pvCapacity > 0 ? (s.pvCapacity * PERFORMANCE_RATIO * weather.irradiance(s.station, t)) / 1000 : 0;
      const w = load * wiggle - pv;
      withdrawal.set(s.node.id, w);
      out.set(s.node.id, w);
    }
    const trainAt = new Map<string, number>();
    for (const tr of grid.trains) {
      const local = calendarOf(tr.node.timeZone)(t);
      const value = Math.max(0, tr.rating * trainTimetable(local) * (1 + 0.15 * gauss(seed, tr.key, Math.floor(t / 10_000))));
      out.set(tr.node.id, value);
      // Where the train draws now: one of its substations per quarter hour.
      const at = tr.substations[Math.floor(uniform(seed, tr.key ^ 0x1b873593, Math.floor(t / (15 * 60_000))) * tr.substations.length)];
      trainAt.set(at, (trainAt.get(at) ?? 0) + value);
    }
    if (grid.producers.length === 0 && grid.lines.length === 0) return out;

    const siteLoad = (site: string) => {
      let sum = 0;
      for (const leaf of grid.siteLeaves.get(site)!) sum += (withdrawal.get(leaf) ?? 0) + (trainAt.get(leaf) ?? 0);
      return sum;
    };
    const production = new Map<string, number>();
    for (const p of grid.producers) {
      if (p.site === grid.slack) continue;
      const value = siteLoad(p.site) * p.ratio * (1 + 0.05 * smoothNoise(seed, p.key, t, 6 * HOUR));
      production.set(p.site, (production.get(p.site) ?? 0) + value);
      out.set(p.node.id, value);
    }
    // Export of each site at its own end of the line towards the slack, leaves first.
    const received = new Map<string, number>();
    for (const l of grid.lines) {
      const exportAtChild = (production.get(l.child) ?? 0) - siteLoad(l.child) + (received.get(l.child) ?? 0);
      const arriving = exportAtChild >= 0 ? exportAtChild * (1 - l.lossFactor) : exportAtChild / (1 - l.lossFactor);
      received.set(l.parent, (received.get(l.parent) ?? 0) + arriving);
      // Line series are signed from → to at both ends.
      const atChild = l.child === l.from ? exportAtChild : -exportAtChild;
      const atParent = l.child === l.from ? arriving : -arriving;
      for (const e of l.ends) out.set(e.id, e.at === l.child ? atChild : atParent);
    }
    if (grid.slack !== undefined) {
      const slackProducers = grid.producers.filter((p) => p.site === grid.slack);
      const total = siteLoad(grid.slack) - (received.get(grid.slack) ?? 0);
      for (const p of slackProducers) out.set(p.node.id, total / slackProducers.length);
    }
    return out;
  };

  const trueValues = (t: number) => {
    const mw = truthMW(t);
    for (const [id, v] of mw) mw.set(id, v * grid.scale.get(id)!.factor);
    return mw;
  };

  const missing = (key: number, t: number): boolean => {
    const w = Math.floor(t / GAP_WINDOW_MS);
    const pGap = faults!.gapsPerDay * (GAP_WINDOW_MS / (24 * HOUR));
    for (const win of [w, w - 1]) {
      if (uniform(seed, key, 3 * win) >= pGap) continue;
      const start = win * GAP_WINDOW_MS + uniform(seed, key, 3 * win + 1) * GAP_WINDOW_MS;
      const minutes = Math.round(Math.exp(uniform(seed, key, 3 * win + 2) * Math.log(180)));
      if (t >= start && t < start + minutes * 60_000) return true;
    }
    return false;
  };

  const round = (v: number) => Math.round(v * 1000) / 1000;

  const forecaster = createWeatherForecaster(seed, weather.temperature);
  const weatherForecasts = (from: Date, to: Date): SimWeatherForecast[] => {
    const out: SimWeatherForecast[] = [];
    for (const issued of issueTimes(from.getTime(), to.getTime())) {
      const issuedAt = new Date(issued);
      for (const s of grid.stations) {
        if (!grid.declaredStations.includes(s.id)) continue;
        for (const p of forecaster(s, issued)) out.push({ stationId: s.id, variable: 'temperature', issuedAt, targetTs: new Date(p.targetMs), value: round(p.value) });
      }
    }
    return out;
  };

  function* chunks(from: Date, to: Date, stepSec: number, chunkSec = 3600): Generator<SimBatch> {
    if (!(Number.isInteger(stepSec) && stepSec > 0)) throw new GridcastError('SIMULATOR_STEP', `stepSec must be a positive integer, got ${stepSec}.`);
    const stepMs = stepSec * 1000;
    const weatherEvery = Math.max(stepMs, weatherStepMs);
    const end = to.getTime();
    let t = Math.ceil(from.getTime() / stepMs) * stepMs;
    while (t < end) {
      const chunkEnd = Math.min(end, t + Math.max(chunkSec * 1000, stepMs));
      const batch: SimBatch = { measurements: [], weather: [] };
      for (; t < chunkEnd; t += stepMs) {
        const ts = new Date(t);
        const truth = truthMW(t);
        for (const id of seriesIds) {
          const k = keys.get(id)!;
          if (faults && missing(k.gap, t)) continue;
          const mw = truth.get(id)!;
          let v = mw + NOISE_SD * (Math.abs(mw) + 1) * gauss(seed, k.noise, Math.floor(t / 1000));
          if (faults) {
            const u = uniform(seed, k.outlier, Math.floor(t / 1000));
            if (u < faults.outlierRate) v = [0, 2.5 * mw, -mw][Math.floor((u / faults.outlierRate) * 3)];
          }
          const { factor, energy } = grid.scale.get(id)!;
          batch.measurements.push({ seriesId: id, ts, value: round(v * factor * (energy ? stepSec / 3600 : 1)) });
        }
        if (t % weatherEvery === 0) {
          for (const s of grid.stations) {
            if (!grid.declaredStations.includes(s.id)) continue;
            batch.weather.push({ stationId: s.id, ts, variable: 'temperature', value: round(weather.temperature(s, t)) });
            batch.weather.push({ stationId: s.id, ts, variable: 'irradiance', value: round(weather.irradiance(s, t)) });
          }
        }
      }
      yield batch;
    }
  }

  return {
    topology,
    seriesIds,
    stationIds: grid.declaredStations,
    chunks,
    generate(from, to, stepSec) {
      const all: SimBatch = { measurements: [], weather: [] };
      for (const b of chunks(from, to, stepSec, 24 * 3600)) {
        for (const m of b.measurements) all.measurements.push(m);
        for (const w of b.weather) all.weather.push(w);
      }
      return all;
    },
    trueValues: (ts) => trueValues(ts.getTime()),
    weatherForecasts,
  };
}

/**
 * Exponentially smoothed temperature (time constant INERTIA_HOURS) on hourly knots, as a
 * fixed-window weighted sum so that it is a pure function of time; linear between knots.
 */
function smoothedTemperature(temperature: (s: Station, t: number) => number) {
  const alpha = Math.exp(-1 / INERTIA_HOURS);
  const weights = Float64Array.from({ length: INERTIA_WINDOW }, (_, k) => alpha ** k);
  const wsum = weights.reduce((a, b) => a + b, 0);
  const hourly = new Map<string, Map<number, number>>();
  const knots = new Map<string, Map<number, number>>();
  const cached = (cache: Map<string, Map<number, number>>, s: Station, h: number, compute: () => number) => {
    let m = cache.get(s.id);
    if (!m) cache.set(s.id, (m = new Map()));
    let v = m.get(h);
    if (v === undefined) {
      v = compute();
      // A live simulator runs for months: keep the cache bounded.
      if (m.size > 4 * INERTIA_WINDOW) for (const k of [...m.keys()].slice(0, INERTIA_WINDOW)) m.delete(k);
      m.set(h, v);
    }
    return v;
  };
  const tempAt = (s: Station, h: number) => cached(hourly, s, h, () => temperature(s, h * HOUR));
  const knot = (s: Station, h: number) =>
    cached(knots, s, h, () => {
      let acc = 0;
      for (let k = 0; k < INERTIA_WINDOW; k++) acc += weights[k] * tempAt(s, h - k);
      return acc / wsum;
    });
  return (s: Station, t: number): number => {
    const x = t / HOUR;
    const h = Math.floor(x);
    const f = x - h;
    return (1 - f) * knot(s, h) + f * knot(s, h + 1);
  };
}
