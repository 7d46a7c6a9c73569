/**
 * Input drift (REQUIREMENTS D3, scenario 9) on real load and temperature: GEFCom2012 (Hong,
 * Pinson & Fan, IJF 30(2), 2014) and BigDEAL 2022. Every check is the production `drift` job
 * (jobs/drift.job.ts → monitoring/drift.service.ts, default settings, never tuned here) at its
 * own ticks (its cron, 06:30 local, daily; its 14-day window), with in-memory ports: the series
 * and their temperature (mean of the stations, as bench/datasets.ts builds them) as the run
 * inputs, one champion "trained" on a calendar year as the registry.
 *
 * 1. False alarms. Unmodified series, the champion trained on the first year (GEFCom 2005,
 *    BigDEAL 2015), the job run every day from the next 15th of January (so every recent window
 *    is after the training) for one year on GEFCom's system and 19 zones (zone 7 is zone 3 hour
 *    for hour: left out) and two years on BigDEAL's ldc1–3. Per feature: drift alarm days (= the
 *    job's `drift` events) and alarm episodes (runs of consecutive alarm days) per series-year.
 *    Beside them, on the same days, the parts of the decision and what it reports without
 *    deciding on: the calibrated threshold of each feature (median and range over the series),
 *    the days and episodes with |effect| at or above it alone, W1/σ of the daily means at or above
 *    its business threshold, the load's relative shift at or above drift.minLoadShift, the
 *    season-matched KS p-value on daily means, Holm-corrected, PSI on hours; and the naive rule of a
 *    drift tool used as it comes (Evidently-style): KS on the hourly values of the same 14 days
 *    against every hour of the training year, p < 0.05 per feature, no season matching, no effect
 *    size, no correction (chi-square on hourly day-type counts for the calendar mix), computed with
 *    the production KS and chi-square functions and feature builders (not for the load given the
 *    temperature, which has no hourly values).
 * 2. Detection. Injected drifts, the job run each day from the drift's start: temperature +3 °C
 *    and +5 °C on every hour of a 31-day summer spell (5 start dates from 1 June to 1 August × 2
 *    years × 2 datasets; the GEFCom series share one temperature, the BigDEAL ones another, so it
 *    runs on `system` and `ldc1`), detected when a temperature feature drifts by the day after the
 *    spell; load ×0.8, ×0.9, ×1.1, ×1.2 from a date on (1 February, May, August, November of the
 *    first check year × 8 series), detected when a load feature (`load`, or
 *    `load_given_temperature`, which decides the level when the champion uses temperature) drifts
 *    within 28 days. Delay: days of the drift inside the window at the first alarm. As the
 *    unmodified series alarm too, a second count takes only alarms the unmodified series did not
 *    raise on the same day.
 * Environment: GRIDCAST_SHARED_DATA; BENCH_YEARS=2 (check years of both datasets); BENCH_ONLY=system,ldc1
 * (some series only); BENCH_PARTS=false-alarms (no injections).
 * Run: npm run bench:drift (prints the tables, writes .bench-out/drift.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { ConfigSchema } from '../core/config.ts';
import type { ModelVersion } from '../core/registry.ts';
import type { Topology } from '../core/topology/schema.ts';
import type { ModelArtifact } from '../core/types.ts';
import type { RunInputs } from '../forecast/inputs.ts';
import type { RunInputsSource } from '../forecast/run/ports.ts';
import { driftJob } from '../jobs/drift.job.ts';
import { replayTicks } from '../jobs/replay.ts';
import { calendarFeatures } from '../models/features/calendar.ts';
import { temperatureFeatures } from '../models/features/temperature.ts';
import { dayTypeCounts, LOAD, LOAD_GIVEN_TEMPERATURE, TEMPERATURE, temperatureFeatureNames } from '../monitoring/drift-features.ts';
import { CALENDAR_MIX, type DriftDeps, type DriftReport } from '../monitoring/drift.service.ts';
import { chisqHomogeneity } from '../monitoring/stats/chisq.ts';
import { ksTest } from '../monitoring/stats/ks.ts';
import { fakeEvents } from '../test/fakes/events.ts';
import { fakeRunStore } from '../test/fakes/run-store.ts';
import { bigdeal2022, gefcom2012, sharedDataDir } from './datasets.ts';

const H = 3_600_000;
const DAY = 24 * H;
const ZONE = 'UTC'; // both datasets are local clock hours written as UTC (../shared/data/README.md)
const CONFIG = ConfigSchema.parse({ timeZone: ZONE, forecast: { holidays: 'US' } });
const NAIVE_ALPHA = 0.05;
/** Check years per dataset: GEFCom's 20 series one (the 5-minute budget), BigDEAL's 3 two; BENCH_YEARS sets both. */
const YEARS = process.env.BENCH_YEARS ? Number(process.env.BENCH_YEARS) : undefined;
const ONLY = process.env.BENCH_ONLY?.split(',');
const FEATURES = [LOAD, LOAD_GIVEN_TEMPERATURE, TEMPERATURE, ...temperatureFeatureNames(), CALENDAR_MIX];
const LOAD_FEATURES = new Set([LOAD, LOAD_GIVEN_TEMPERATURE]);
const TEMPERATURE_FEATURES = new Set([TEMPERATURE, ...temperatureFeatureNames()]);
const HEAT_DELTAS = [3, 5];
const HEAT_STARTS = ['06-01', '06-16', '07-01', '07-16', '08-01'];
const HEAT_DAYS = 31;
const LOAD_FACTORS = [0.8, 0.9, 1.1, 1.2];
const LOAD_STARTS = ['02-01', '05-01', '08-01', '11-01'];
const LOAD_DAYS = 28;
const LOAD_SERIES = ['system', 'z1', 'z5', 'z12', 'z18', 'ldc1', 'ldc2', 'ldc3'];

const t0 = Date.now();
const log = (m: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${m}\n`);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Track {
  id: string;
  start: number;
  load: Float64Array;
  temperature: Float64Array;
}

interface Dataset {
  name: string;
  tracks: Track[];
  train: [number, number];
  /** Ticks in [from, to). */
  check: [number, number];
  /** The root of the topology (its champion covers every track). */
  root: string | null;
}

// ---------------------------------------------------------------------------------------------
// Data: the series of bench/datasets.ts. GEFCom zone 7 is zone 3 hour for hour: left out.

const dir = sharedDataDir();
const wanted = (id: string) => !ONLY || ONLY.includes(id);
const gef = gefcom2012(dir).filter((c) => c.seriesId !== 'z7' && wanted(c.seriesId));
const big = bigdeal2022(dir).filter((c) => c.weather === 'observed' && wanted(c.seriesId));
const track = (c: (typeof gef)[number]): Track => ({ id: c.seriesId, start: c.input.series.start.getTime(), load: c.input.series.values, temperature: c.input.future!.temperature });
const datasets = ([
  { name: 'GEFCom2012', tracks: gef.map(track), train: [Date.UTC(2005, 0, 1), Date.UTC(2006, 0, 1)], check: [Date.UTC(2006, 0, 15), Date.UTC(2006 + (YEARS ?? 1), 0, 15)], root: 'system' },
  { name: 'BigDEAL 2022', tracks: big.map(track), train: [Date.UTC(2015, 0, 1), Date.UTC(2016, 0, 1)], check: [Date.UTC(2016, 0, 15), Date.UTC(2016 + (YEARS ?? 2), 0, 15)], root: null },
] satisfies Dataset[]).filter((d) => d.tracks.length > 0);
log(`loaded ${datasets.map((d) => `${d.name}: ${d.tracks.map((t) => t.id).join(',')}`).join('; ')}`);

// ---------------------------------------------------------------------------------------------
// Ports: the run inputs from the arrays, one champion trained on the dataset's training year.

function arrayInputs(tracks: readonly Track[]): RunInputsSource {
  const byId = new Map(tracks.map((t) => [t.id, t]));
  const window = (v: Float64Array, a: number, n: number) => {
    const out = new Float64Array(n).fill(Number.NaN);
    for (let k = Math.max(0, -a); k < n && a + k < v.length; k++) out[k] = v[a + k];
    return out;
  };
  return {
    async load(req) {
      const from = req.origin.getTime() - req.historyDays * DAY;
      const n = req.historyDays * 24;
      const history: RunInputs['history'] = new Map();
      const fitCovariates: RunInputs['fitCovariates'] = new Map();
      for (const id of req.seriesIds) {
        const t = byId.get(id)!;
        const a = Math.round((from - t.start) / H);
        history.set(id, { id, start: new Date(from), stepSec: 3600, values: window(t.load, a, n), timeZone: ZONE });
        fitCovariates.set(id, { future: { temperature: window(t.temperature, a, n) } });
      }
      const weather = new Map(req.seriesIds.map((id) => [id, { stations: [{ station: 'mean', weight: 1 }], from: 'own' }]));
      return { stepSec: 3600, history, weather, warnings: [], fitCovariates, predictCovariates: new Map(), quality: new Map(), hash: '' };
    },
  };
}

function driftDeps(ds: Dataset, tracks: readonly Track[], clock: { now: Date }): DriftDeps & { events: ReturnType<typeof fakeEvents> } {
  const ids = tracks.map((t) => t.id);
  const spec = { kind: 'gam', version: 1, params: {} };
  const [trainStart, trainEnd] = ds.train.map((ms) => new Date(ms));
  const version: ModelVersion = {
    id: 'load@1',
    model: 'load',
    version: 1,
    kind: 'gam',
    spec,
    features: [TEMPERATURE],
    seriesIds: ids,
    trainStart,
    trainEnd,
    dataHash: 'bench',
    codeVersion: 'bench',
    metrics: null,
    weather: Object.fromEntries(ids.map((id) => [id, { stations: [{ station: 'mean', weight: 1 }], from: 'own' }])),
    warnings: [],
    hasCompanion: false,
    status: 'champion',
    statusAt: trainEnd,
    createdAt: trainEnd,
    createdBy: 'bench',
  };
  const artifact: ModelArtifact = { formatVersion: 1, spec, trainWindow: { start: trainStart.toISOString(), end: trainEnd.toISOString() }, dataHash: 'bench', state: {} };
  const root = ds.root && ids.includes(ds.root) ? ds.root : null;
  const topology: Topology = { timeZone: ZONE, nodes: ids.map((id) => ({ id, parent: root && id !== root ? root : null, kind: 'load' as const, unit: 'kW', timeZone: ZONE, attrs: {} })) };
  const events = fakeEvents();
  return { store: fakeRunStore({ topology, versions: [{ version, artifact }] }), inputs: arrayInputs(tracks), events, config: CONFIG, now: () => clock.now };
}

/**
 * The drift job at each of its ticks in [from, to) over `tracks`: per series and tick, the
 * report's features. Checks that the job's `drift` events are the report's drifted features.
 */
async function runJob(ds: Dataset, tracks: readonly Track[], from: number, to: number): Promise<{ ticks: Date[]; reports: DriftReport[] }> {
  const clock = { now: new Date(from) };
  const deps = driftDeps(ds, tracks, clock);
  const job = driftJob(deps);
  const ticks = replayTicks([job], new Date(from), new Date(to), ZONE).map((t) => t.at);
  const reports: DriftReport[] = [];
  const signal = new AbortController().signal;
  for (const at of ticks) {
    clock.now = at;
    const before = deps.events.rows.length;
    const report = (await job.run({ scheduledAt: at, deadline: new Date(at.getTime() + job.deadlineMs), signal })) as DriftReport;
    const recorded = deps.events.rows.slice(before).map((e) => `${e.seriesId}:${String(e.detail.feature)}`);
    const drifted = report.series.flatMap((s) => s.drifted.map((f) => `${s.seriesId}:${f}`));
    if (recorded.join() !== drifted.join()) throw new Error(`events ${recorded.join()} differ from the report's drifts ${drifted.join()} at ${at.toISOString()}`);
    if (report.skipped.length > 0) throw new Error(`series skipped at ${at.toISOString()}: ${JSON.stringify(report.skipped)}`);
    reports.push(report);
  }
  return { ticks, reports };
}

// ---------------------------------------------------------------------------------------------
// 1. False alarms on unmodified series.

/** Bits per (series, tick, feature). */
const PROD = 1;
const RAW_P = 2;
const HOLM_P = 4;
const NAIVE = 8;
const BIG_PSI = 16;
const BIG_W1 = 32;
/** |effect| at or above the feature's calibrated threshold. */
const CAL = 64;
/** Load features: |relative shift| at or above drift.minLoadShift. */
const SHIFT = 128;

interface Clean {
  ds: Dataset;
  ticks: Date[];
  /** seriesId → feature → bits per tick. */
  flags: Map<string, Map<string, Uint8Array>>;
  /** seriesId → the calibration of its first report: feature → threshold, and the effective number of features. */
  thresholds: Map<string, { features: Map<string, number>; effectiveFeatures: number }>;
}

/** The naive rule's inputs: hourly features over each track's whole span (production builders). */
function hourlyFeatures(t: Track): Record<string, Float64Array> {
  const tf = temperatureFeatures(t.temperature, 3600, []).columns;
  const cal = calendarFeatures(t.start, 3600, t.load.length, ZONE, { country: 'US' });
  return { [LOAD]: t.load, [TEMPERATURE]: tf.temp, ...Object.fromEntries(temperatureFeatureNames().map((n) => [n, tf[n]])), [CALENDAR_MIX]: cal.dayType };
}

function naive(feature: string, values: Float64Array, ref: [number, number], recent: [number, number]): boolean {
  const r = values.subarray(...ref);
  const c = values.subarray(...recent);
  if (feature === CALENDAR_MIX) {
    const p = chisqHomogeneity(
      dayTypeCounts(Array.from(r), () => true),
      dayTypeCounts(Array.from(c), () => true),
    ).pValue;
    return p < NAIVE_ALPHA;
  }
  return ksTest(c, r).pValue < NAIVE_ALPHA;
}

async function cleanRun(ds: Dataset): Promise<Clean> {
  const { ticks, reports } = await runJob(ds, ds.tracks, ...ds.check);
  const flags = new Map(ds.tracks.map((t) => [t.id, new Map(FEATURES.map((f) => [f, new Uint8Array(ticks.length)]))]));
  // The naive rule's hourly features; tracks with the same temperature share one set of results.
  const hourly = new Map(ds.tracks.map((t) => [t.id, hourlyFeatures(t)]));
  const sameWeather = new Map<string, string>();
  for (const t of ds.tracks) {
    const first = ds.tracks.find((u) => u.start === t.start && u.temperature.length === t.temperature.length && u.temperature.every((v, i) => Object.is(v, t.temperature[i])))!;
    sameWeather.set(t.id, first.id);
  }
  const weatherCache = new Map<string, boolean>();
  const thresholds: Clean['thresholds'] = new Map();
  reports.forEach((report, k) => {
    for (const s of report.series) {
      if (!thresholds.has(s.seriesId) && s.calibration) {
        thresholds.set(s.seriesId, { effectiveFeatures: s.calibration.effectiveFeatures, features: new Map(s.features.flatMap((f) => (f.calibration ? [[f.feature, f.calibration.threshold] as const] : []))) });
      }
      const t = ds.tracks.find((u) => u.id === s.seriesId)!;
      const idx = (ms: number) => Math.round((ms - t.start) / H);
      const ref: [number, number] = [idx(ds.train[0]), idx(ds.train[1])];
      const recent: [number, number] = [idx(s.recent.from.getTime()), idx(s.recent.to.getTime())];
      for (const f of s.features) {
        let bits = (f.drift ? PROD : 0) | (f.pValue !== null && f.pValue < CONFIG.drift.alpha ? RAW_P : 0) | (f.pAdjusted !== null && f.pAdjusted < CONFIG.drift.alpha ? HOLM_P : 0);
        if (f.psi !== null && f.psi >= CONFIG.drift.psi) bits |= BIG_PSI;
        if (f.wasserstein !== null && f.wasserstein >= CONFIG.drift.wasserstein) bits |= BIG_W1;
        if (f.calibration && f.effect !== null && Math.abs(f.effect) >= f.calibration.threshold) bits |= CAL;
        if (f.relativeShift !== undefined && f.relativeShift !== null && Math.abs(f.relativeShift) >= CONFIG.drift.minLoadShift) bits |= SHIFT;
        const values = hourly.get(t.id)![f.feature];
        const shared = !LOAD_FEATURES.has(f.feature);
        const key = `${sameWeather.get(t.id)}|${f.feature}|${k}`;
        let n = shared ? weatherCache.get(key) : undefined;
        // The naive rule has no load given the temperature: it is a feature of this design.
        if (n === undefined && values) {
          n = naive(f.feature, values, ref, recent);
          if (shared) weatherCache.set(key, n);
        }
        if (n) bits |= NAIVE;
        flags.get(t.id)!.get(f.feature)![k] = bits;
      }
    }
  });
  return { ds, ticks, flags, thresholds };
}

function episodes(bits: Uint8Array, mask: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let k = 0; k < bits.length; k++) {
    if (!(bits[k] & mask)) continue;
    if (k > 0 && bits[k - 1] & mask) out[out.length - 1][1] = k;
    else out.push([k, k]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 2. Detection of injected drifts.

interface Injection {
  kind: string;
  dataset: string;
  seriesId: string;
  start: number;
  /** Days of drift in the window at the first alarm on a target feature (null: none in the period). */
  delay: number | null;
  /** The same, counting only alarms the unmodified series did not raise on that day. */
  delayNew: number | null;
  fired: string[];
  /** Ticks of the period, and those with an alarm on a target feature: injected, unmodified. */
  ticks: number;
  alarmed: number;
  alarmedClean: number;
}

/** Whether the job flagged one of `targets` at each tick, on `tracks` (one series) over [from, to). */
async function alarms(ds: Dataset, tracks: Track[], from: number, to: number, targets: Set<string>): Promise<{ ticks: Date[]; hits: string[][] }> {
  const r = await runJob(ds, tracks, from, to);
  return { ticks: r.ticks, hits: r.reports.map((x) => x.series[0].drifted.filter((f) => targets.has(f))) };
}

async function inject(ds: Dataset, t: Track, kind: string, start: number, days: number, targets: Set<string>, modified: Track, clean: Clean | undefined): Promise<Injection> {
  const to = start + days * DAY + DAY; // the tick on the day after the period sees all of it
  const hit = await alarms(ds, [modified], start, to, targets);
  // The same ticks on the unmodified series: from the clean run where it covers them, else run.
  const at = hit.ticks.map((d) => clean?.ticks.findIndex((c) => c.getTime() === d.getTime()) ?? -1);
  const base = at.every((k) => k >= 0)
    ? at.map((k) => [...targets].some((f) => clean!.flags.get(t.id)!.get(f)![k] & PROD))
    : (await alarms(ds, [t], start, to, targets)).hits.map((h) => h.length > 0);
  const first = hit.hits.findIndex((h) => h.length > 0);
  const firstNew = hit.hits.findIndex((h, k) => h.length > 0 && !base[k]);
  const dayOf = (k: number) => (k < 0 ? null : Math.floor((hit.ticks[k].getTime() - start) / DAY));
  return {
    kind,
    dataset: ds.name,
    seriesId: t.id,
    start,
    delay: dayOf(first),
    delayNew: dayOf(firstNew),
    fired: first < 0 ? [] : hit.hits[first],
    ticks: hit.ticks.length,
    alarmed: hit.hits.filter((h) => h.length > 0).length,
    alarmedClean: base.filter(Boolean).length,
  };
}

// ---------------------------------------------------------------------------------------------
// Run.

const cleans: Clean[] = [];
for (const ds of datasets) {
  const c = await cleanRun(ds);
  cleans.push(c);
  // The alarm episodes of the first series in full (the temperature ones are every series' of the dataset).
  const [id, byFeature] = [...c.flags][0];
  for (const f of FEATURES) {
    const eps = episodes(byFeature.get(f)!, PROD).map(([a, b]) => `${iso(c.ticks[a].getTime())}…${iso(c.ticks[b].getTime())}`);
    if (eps.length > 0) log(`${ds.name} ${id} ${f}: ${eps.join(', ')}`);
  }
  log(`${ds.name}: ${c.ticks.length} ticks × ${ds.tracks.length} series checked`);
}

const injections: Injection[] = [];
for (const [ds, c] of datasets.map((d, i) => [d, cleans[i]] as const)) {
  if (process.env.BENCH_PARTS === 'false-alarms') break;
  const t = ds.tracks.find((u) => u.id === (ds.name === 'GEFCom2012' ? 'system' : 'ldc1'));
  for (let y = 0; y < 2 && t; y++) {
    const year = new Date(ds.train[1]).getUTCFullYear() + y;
    for (const md of HEAT_STARTS) {
      const start = Date.parse(`${year}-${md}T00:00:00Z`);
      for (const delta of HEAT_DELTAS) {
        const [a, b] = [Math.round((start - t.start) / H), Math.round((start + HEAT_DAYS * DAY - t.start) / H)];
        const temperature = Float64Array.from(t.temperature, (v, i) => (i >= a && i < b ? v + delta : v));
        injections.push(await inject(ds, t, `temperature +${delta} °C for ${HEAT_DAYS} days (June–August)`, start, HEAT_DAYS, TEMPERATURE_FEATURES, { ...t, temperature }, c));
      }
    }
  }
  log(`${ds.name}: heatwaves injected`);
  for (const id of LOAD_SERIES) {
    const u = ds.tracks.find((x) => x.id === id);
    if (!u) continue;
    const year = new Date(ds.train[1]).getUTCFullYear();
    for (const md of LOAD_STARTS) {
      const start = Date.parse(`${year}-${md}T00:00:00Z`);
      for (const factor of LOAD_FACTORS) {
        const a = Math.round((start - u.start) / H);
        const load = Float64Array.from(u.load, (v, i) => (i >= a ? v * factor : v));
        injections.push(await inject(ds, u, `load ${factor > 1 ? '+' : '−'}${Math.round(Math.abs(factor - 1) * 100)} % from a date on`, start, LOAD_DAYS, LOAD_FEATURES, { ...u, load }, c));
      }
    }
  }
  log(`${ds.name}: load shifts injected`);
}

// ---------------------------------------------------------------------------------------------
// Tables.

const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)} %` : '—');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');
const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '—');

const lines: string[] = [];
lines.push(
  '| data (checked) | feature | series-years | **drift alarm days / series-year** | **alarm episodes / series-year** | calibrated threshold on \\|effect\\|: median (range) over series | days with \\|effect\\| ≥ threshold | its episodes / series-year | W1/σ ≥ 0.5 (daily means) | load: \\|shift\\| ≥ 10 % | KS p < 0.05 (season-matched, daily) | … + Holm | PSI ≥ 0.2 (hours) | naive: days with p < 0.05 | naive: episodes / series-year |',
);
lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] : Number.NaN);
for (const c of cleans) {
  const ids = [...c.flags.keys()];
  const seriesYears = (ids.length * c.ticks.length) / 365;
  const label = `${c.ds.name} ${ids.length === 1 ? ids[0] : `${ids.length} series`} (${iso(c.ticks[0].getTime())} … ${iso(c.ticks.at(-1)!.getTime())})`;
  const rows: Array<[string, (id: string) => Uint8Array]> = FEATURES.map((f) => [f, (id: string) => c.flags.get(id)!.get(f)!]);
  rows.push([
    'any feature',
    (id: string) => {
      const any = new Uint8Array(c.ticks.length);
      for (const f of FEATURES) c.flags.get(id)!.get(f)!.forEach((b, k) => (any[k] |= b));
      return any;
    },
  ]);
  rows.forEach(([feature, bitsOf], i) => {
    const count = (mask: number) => ids.reduce((a, id) => a + bitsOf(id).reduce((s, b) => s + (b & mask ? 1 : 0), 0), 0);
    const eps = (mask: number) => ids.reduce((a, id) => a + episodes(bitsOf(id), mask).length, 0);
    const total = ids.length * c.ticks.length;
    const thr = ids.flatMap((id) => {
      const t = c.thresholds.get(id);
      const v = feature === 'any feature' ? t?.effectiveFeatures : t?.features.get(feature);
      return v === undefined ? [] : [v];
    });
    const range = thr.length === 0 ? '—' : `${feature === 'any feature' ? 'effective features ' : ''}${f2(median(thr))} (${f2(Math.min(...thr))}–${f2(Math.max(...thr))})`;
    const load = LOAD_FEATURES.has(feature) || feature === 'any feature';
    const naiveNone = feature === LOAD_GIVEN_TEMPERATURE;
    lines.push(
      `| ${i === 0 ? label : ''} | ${feature} | ${seriesYears.toFixed(1)} | **${f2(count(PROD) / seriesYears)}** | **${f2(eps(PROD) / seriesYears)}** | ${range} | ${pct(count(CAL), total)} | ${f2(eps(CAL) / seriesYears)} | ${pct(count(BIG_W1), total)} | ${load ? pct(count(SHIFT), total) : ''} | ${pct(count(RAW_P), total)} | ${pct(count(HOLM_P), total)} | ${pct(count(BIG_PSI), total)} | ${naiveNone ? '—' : pct(count(NAIVE), total)} | ${naiveNone ? '—' : f2(eps(NAIVE) / seriesYears)} |`,
    );
  });
}

const det: string[] = [];
det.push('| injected drift | runs | **detected** in the period | median delay (days) | slowest (days) | detected by an alarm the unmodified series did not raise that day | its median delay (days) | days with an alarm: injected / unmodified | features that fired first |');
det.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
for (const kind of [...new Set(injections.map((x) => x.kind))]) {
  const xs = injections.filter((x) => x.kind === kind);
  const delays = xs.flatMap((x) => (x.delay === null ? [] : [x.delay]));
  const fresh = xs.flatMap((x) => (x.delayNew === null ? [] : [x.delayNew]));
  const firedCount = new Map<string, number>();
  for (const x of xs) for (const f of x.fired) firedCount.set(f, (firedCount.get(f) ?? 0) + 1);
  const ticks = xs.reduce((a, x) => a + x.ticks, 0);
  det.push(
    `| ${kind} | ${xs.length} | **${delays.length} (${pct(delays.length, xs.length)})** | ${f0(median(delays))} | ${f0(Math.max(...delays))} | ${fresh.length} (${pct(fresh.length, xs.length)}) | ${f0(median(fresh))} | ${pct(xs.reduce((a, x) => a + x.alarmed, 0), ticks)} / ${pct(xs.reduce((a, x) => a + x.alarmedClean, 0), ticks)} | ${[...firedCount].sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f} ${n}`).join(', ') || '—'} |`,
  );
}
for (const x of injections.filter((i) => i.delay === null)) log(`not detected: ${x.kind}, ${x.dataset} ${x.seriesId} from ${iso(x.start)}`);

const runtime = (Date.now() - t0) / 1000;
const settings = `Settings (production defaults): ${JSON.stringify(CONFIG.drift)}; job cron ${driftJob(driftDeps(datasets[0], [], { now: new Date() })).cron} (${ZONE}). Runtime ${runtime.toFixed(0)} s.`;
const out = [...lines, '', ...det, '', settings].join('\n');
console.log(out);
mkdirSync('.bench-out', { recursive: true });
writeFileSync('.bench-out/drift.md', `${out}\n`);
