/**
 * Input drift of each champion's features (REQUIREMENTS D3, scenario 9): the last days against a
 * season-matched reference drawn from the champion's own training window.
 *
 * Reference: the training days at the same time of year as the recent window, i.e. within
 * `windowDays` of its dates on either side (widened by 30 days each side when the training
 * grazes the season; drift-features.ts seasonMatched). The same dates rather than hour-of-week
 * weights, because the seasonal confounder that makes Evidently-style tests fire every spring is
 * the annual temperature cycle; the weekly cycle averages out of whole days and is tested on its
 * own as the calendar mix. Centred on the recent dates rather than their calendar months, so the
 * cycle's slope cancels out of the reference's mean.
 *
 * Per numeric feature (daily means: hourly points are autocorrelated and would make any
 * difference look real), the decision is calibrated on the champion's own training data
 * (drift-calibration.ts) and needs two things:
 *  - is the difference out of the ordinary? The effect, the standardised difference of the daily
 *    means (recent − reference, in reference standard deviations), at or above the feature's
 *    calibrated threshold: the size the training's own fortnights reach against their
 *    season-matched references no more often than the feature's share of `alarmsPerYear`
 *    (false alarm episodes per series-year; shared over the effective number of features, the
 *    correction across features);
 *  - does it matter? W1 / σ of the daily means at or above `wasserstein` (config), a business
 *    threshold in reference standard deviations.
 * The load level is decided given the temperature when the champion uses it: the daily load less
 * what the training's load–temperature relation expects (drift-features.ts loadModel), which
 * moves when consumers connect or leave, not with every cold or warm fortnight; it also needs a
 * shift of at least `minLoadShift` of the level. The raw daily load is then reported only.
 * The KS p-value on the daily means, Holm-corrected across the features, and PSI on the hours are
 * reported beside it but do not decide: the p-value takes days that share their weather as
 * independent (it was below 0.05 on 30–43 % of the days of unmodified real series) and PSI on
 * hours is at or above 0.2 from sampling noise alone (a 24 h maximum is about 14 values a
 * fortnight) — README, Benchmarks, "Input drift". The calendar mix (day-type counts) has no
 * numeric effect to calibrate: it drifts when its chi-square p-value, Holm-corrected, is below
 * `alpha` and the PSI of the day-type shares at or above `psi`.
 * Each drifted feature appends one `drift` event with its statistics and thresholds (when the
 * caller gives an event log: the daily job does, the command prints a report).
 */
import type { Config } from '../core/config.ts';
import { GridcastError } from '../core/errors.ts';
import type { EventLog } from '../core/events.ts';
import type { Log } from '../core/log.ts';
import type { ModelVersion } from '../core/registry.ts';
import type { RunStore } from '../core/run-store.ts';
import { resolveTimeInput, type TimeInput } from '../core/time-input.ts';
import { TEMPERATURE as TEMPERATURE_INPUT } from '../forecast/inputs.ts';
import type { RunInputsSource } from '../forecast/run/ports.ts';
import { calibrateDrift, calibrationEffects, type DriftCalibration, type FeatureCalibration } from './drift-calibration.ts';
import { dailyInputs, dayTypeCounts, LOAD, LOAD_GIVEN_TEMPERATURE, loadGivenTemperature, loadModel, seasonMatched, type DailyInputs, type LoadModel } from './drift-features.ts';
import { pAdjust } from './stats/adjust.ts';
import { chisqHomogeneity } from './stats/chisq.ts';
import { ksTest } from './stats/ks.ts';
import { standardisedDifference } from './stats/effect.ts';
import { psi, psiFromCounts } from './stats/psi.ts';
import { normalisedWasserstein } from './stats/wasserstein.ts';

export const CALENDAR_MIX = 'calendar_mix';
/** Temperature smoothing needs a few days to forget its start: these leading days are not compared. */
const WARMUP_DAYS = 7;
/** Fewer recent days with a value than this: the feature is reported, not tested. */
const MIN_RECENT_DAYS = 7;
/**
 * Training windows needed to calibrate a feature, per day of the window: two windows' length of
 * daily windows, i.e. about two independent fortnights by default. Fewer: reported, not tested.
 */
const MIN_CALIBRATION_WINDOWS_PER_WINDOW_DAY = 2;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface DriftSettings {
  windowDays: number;
  alpha: number;
  psi: number;
  wasserstein: number;
  minReferenceDays: number;
  alarmsPerYear: number;
  minLoadShift: number;
}

export interface FeatureDrift {
  feature: string;
  test: 'ks' | 'chisq';
  /** Days compared (daily means, or days counted by type). */
  recentDays: number;
  referenceDays: number;
  /** KS D, or the chi-square statistic (df in `df`). */
  statistic: number | null;
  df?: number;
  pValue: number | null;
  /** Holm-corrected across this series' tested features. */
  pAdjusted: number | null;
  /** PSI on the hours (numeric features: reported, not decided on), or of the day-type shares. */
  psi: number | null;
  /** W1 / σ of the reference, on the daily means (numeric features only): the business threshold. */
  wasserstein: number | null;
  /** (mean recent − mean reference) / σ reference, on the daily means (numeric features only): the calibrated statistic. */
  effect: number | null;
  /** Load features: (mean recent − mean reference) / the reference's mean daily load, the business threshold of a level change. */
  relativeShift?: number | null;
  /** The feature's calibration on the training data (its threshold on |effect|); null: not calibrated (see `note`) or the calendar mix. */
  calibration: FeatureCalibration | null;
  drift: boolean;
  /** Why the feature was not tested, when it was not. */
  note?: string;
}

export interface SeriesDrift {
  seriesId: string;
  modelVersion: string;
  recent: { from: Date; to: Date };
  reference: { trainStart: Date; trainEnd: Date; months: number[]; days: number };
  /** How the thresholds were set, for this champion and series; null when its training window has no whole day. */
  calibration: { effectiveFeatures: number; alarmsPerYear: number; gapDays: number; trainingDays: number } | null;
  features: FeatureDrift[];
  drifted: string[];
}

export interface DriftReport {
  at: Date;
  /** End of the recent window. */
  asOf: Date;
  settings: DriftSettings;
  series: SeriesDrift[];
  /** Series asked for or under the topology that were not tested, and why. */
  skipped: Array<{ seriesId: string; reason: string }>;
}

export interface DriftDeps {
  store: Pick<RunStore, 'topology' | 'champions'>;
  inputs: RunInputsSource;
  /** Where drift events go (the daily job); absent: a report only (`gridcast drift`, so a look by hand does not repeat the job's alarms). */
  events?: EventLog;
  config: Config;
  now: () => Date;
  log?: Log;
  /**
   * Calibrations kept between runs, one per series and champion (the daily job keeps them: a
   * calibration compares every window of the training, whose data a late revision hardly moves);
   * absent: calibrated on each request.
   */
  calibrations?: CalibrationCache;
}

/** Per series: what a champion's training days give once (the load–temperature relation, the calibration). */
export type CalibrationCache = Map<string, { key: string; value: TrainingCalibration }>;
interface TrainingCalibration {
  loadModel: LoadModel | null;
  calibration: DriftCalibration;
}

export interface DriftRequest {
  /** Default: every series of the stored topology that has a champion. */
  seriesIds?: string[];
  /** End of the recent window; default now. */
  asOf?: Date;
}

/** The report as a person asks for it (the API, `gridcast drift`): a date is local midnight of the grid's zone. No events: the daily job records them. */
export type DriftReader = (req: { seriesIds?: string[]; asOf?: TimeInput }) => Promise<DriftReport>;

export const createDriftReader =
  (deps: Omit<DriftDeps, 'events'>): DriftReader =>
  (req) =>
    detectDrift(deps, { ...(req.seriesIds && { seriesIds: req.seriesIds }), ...(req.asOf && { asOf: resolveTimeInput(req.asOf, deps.config.timeZone) }) });

export async function detectDrift(deps: DriftDeps, req: DriftRequest = {}): Promise<DriftReport> {
  const at = deps.now();
  const asOf = req.asOf ?? at;
  const settings: DriftSettings = { ...deps.config.drift };
  const topology = await deps.store.topology(deps.config.timeZone);
  const known = new Map(topology.nodes.map((n) => [n.id, n]));
  const unknown = (req.seriesIds ?? []).filter((id) => !known.has(id));
  if (unknown.length > 0) throw new GridcastError('SERIES_NOT_FOUND', `Unknown series ${unknown.map((u) => `'${u}'`).join(', ')}: see 'gridcast topology show'.`, { unknown });
  const ids = req.seriesIds ?? topology.nodes.map((n) => n.id);
  const champions = await deps.store.champions(ids);
  const skipped = ids.filter((id) => !champions.has(id)).map((seriesId) => ({ seriesId, reason: 'no champion' }));
  const series: SeriesDrift[] = [];
  for (const id of ids) {
    const v = champions.get(id);
    if (!v) continue;
    const s = await seriesDrift(deps, settings, id, v, asOf);
    if ('reason' in s) {
      skipped.push({ seriesId: id, reason: s.reason });
      continue;
    }
    series.push(s);
    for (const f of s.features.filter((x) => x.drift)) {
      await deps.events?.append({
        at,
        kind: 'drift',
        severity: 'warning',
        seriesId: id,
        modelVersion: v.id,
        detail: {
          feature: f.feature,
          test: f.test,
          statistic: f.statistic,
          ...(f.df !== undefined ? { df: f.df } : {}),
          pValue: f.pValue,
          pAdjusted: f.pAdjusted,
          correction: 'holm',
          psi: f.psi,
          wasserstein: f.wasserstein,
          effect: f.effect,
          ...(f.relativeShift !== undefined ? { relativeShift: f.relativeShift } : {}),
          thresholds: {
            alpha: settings.alpha,
            psi: settings.psi,
            wasserstein: settings.wasserstein,
            ...(f.calibration ? { effect: f.calibration.threshold, alarmsPerYear: f.calibration.alarmsPerYear } : {}),
            ...(f.relativeShift !== undefined ? { minLoadShift: settings.minLoadShift } : {}),
          },
          ...(f.calibration ? { calibration: { ...f.calibration, effectiveFeatures: s.calibration?.effectiveFeatures } } : {}),
          recent: { from: s.recent.from.toISOString(), to: s.recent.to.toISOString(), days: f.recentDays },
          reference: { months: s.reference.months, days: f.referenceDays },
        },
      });
    }
    if (s.drifted.length > 0) deps.log?.warn({ seriesId: id, modelVersion: v.id, features: s.drifted }, 'input drift');
  }
  return { at, asOf, settings, series, skipped };
}

async function seriesDrift(deps: DriftDeps, settings: DriftSettings, id: string, v: ModelVersion, asOf: Date): Promise<SeriesDrift | { reason: string }> {
  const holidays = deps.config.forecast.holidays;
  const weather = Object.hasOwn(v.weather, id) ? { weather: { [id]: v.weather[id] } } : {};
  const load = async (end: Date, days: number) => {
    const origin = new Date(Math.floor(end.getTime() / HOUR_MS) * HOUR_MS);
    const inputs = await deps.inputs.load({ seriesIds: [id], origin, historyDays: days, horizonSteps: 0, ...weather });
    const h = inputs.history.get(id)!;
    const temp = v.features.includes(TEMPERATURE_INPUT) ? inputs.fitCovariates.get(id)?.future?.[TEMPERATURE_INPUT] : undefined;
    const d = dailyInputs(h.start.getTime(), h.values, temp, h.timeZone ?? deps.config.timeZone, holidays ? { holidays } : {});
    return dropLeading(d, WARMUP_DAYS);
  };
  const recentAll = await load(asOf, settings.windowDays + WARMUP_DAYS + 1);
  const recent = keepLast(recentAll, settings.windowDays);
  if (recent.day.length === 0) return { reason: 'no whole day in the recent window' };
  const trainDays = Math.ceil((v.trainEnd.getTime() - v.trainStart.getTime()) / DAY_MS);
  if (trainDays < 1) return { reason: 'empty training window' };
  const ref = await load(v.trainEnd, trainDays);
  const match = seasonMatched(ref.day, recent.day, settings.windowDays, settings.minReferenceDays);
  const key = `${v.id}|${v.trainStart.toISOString()}|${v.trainEnd.toISOString()}|${settings.windowDays}|${settings.minReferenceDays}|${settings.alarmsPerYear}`;
  const trained = ref.day.length > 0 ? fromTraining(deps.calibrations, key, id, () => calibrate(ref, settings)) : null;
  if (trained?.loadModel) {
    const model = trained.loadModel;
    // after the raw load, in the report
    for (const d of [ref, recent]) d.numeric = { [LOAD]: d.numeric[LOAD], [LOAD_GIVEN_TEMPERATURE]: loadGivenTemperature(model, d), ...d.numeric };
  }
  const calibration = trained?.calibration ?? null;
  const meanRefLoad = mean(match.indices.map((i) => ref.numeric[LOAD][i]));
  const features: FeatureDrift[] = [];
  for (const name of Object.keys(recent.numeric)) {
    const x = match.indices.map((i) => ref.numeric[name]?.[i] ?? Number.NaN).filter(Number.isFinite);
    const y = recent.numeric[name].filter(Number.isFinite);
    const base = { feature: name, test: 'ks' as const, recentDays: y.length, referenceDays: x.length, pAdjusted: null, calibration: null, drift: false };
    const none = { statistic: null, pValue: null, psi: null, wasserstein: null, effect: null };
    if (match.indices.length === 0 || x.length < settings.minReferenceDays) {
      features.push({ ...base, ...none, note: `fewer than ${settings.minReferenceDays} reference days at this time of year (months ${match.months.join(',')}) in the training window` });
      continue;
    }
    if (y.length < MIN_RECENT_DAYS) {
      features.push({ ...base, ...none, note: `fewer than ${MIN_RECENT_DAYS} recent days with a value` });
      continue;
    }
    const ks = ksTest(y, x);
    const hours = ref.hours[name] && recent.hours[name];
    const cal = calibration?.features[name] ?? null;
    const why = name === LOAD && trained?.loadModel ? `reported: the load level is decided given the temperature (${LOAD_GIVEN_TEMPERATURE})` : `not calibrated: ${calibration?.notCalibrated[name] ?? 'no training day'}`;
    features.push({
      ...base,
      statistic: ks.statistic,
      pValue: ks.pValue,
      psi: hours ? psi(concat(match.indices.map((i) => ref.hours[name][i])), concat(recent.hours[name])) : null,
      wasserstein: normalisedWasserstein(x, y),
      effect: standardisedDifference(x, y),
      ...(name === LOAD || name === LOAD_GIVEN_TEMPERATURE ? { relativeShift: (mean(y) - mean(x)) / meanRefLoad } : {}),
      calibration: cal,
      ...(cal ? {} : { note: why }),
    });
  }
  const refCounts = dayTypeCounts(ref.dayType, (i) => match.indices.includes(i));
  const recentCounts = dayTypeCounts(recent.dayType, () => true);
  const calendar = { feature: CALENDAR_MIX, test: 'chisq' as const, recentDays: recent.day.length, pAdjusted: null, wasserstein: null, effect: null, calibration: null, drift: false };
  if (match.indices.length === 0) {
    features.push({ ...calendar, referenceDays: 0, statistic: null, pValue: null, psi: null, note: 'no season-matched reference days' });
  } else {
    const c = chisqHomogeneity(refCounts, recentCounts);
    features.push({
      ...calendar,
      referenceDays: match.indices.length,
      statistic: Number.isFinite(c.statistic) ? c.statistic : null,
      df: c.df,
      pValue: Number.isFinite(c.pValue) ? c.pValue : null,
      psi: psiFromCounts(refCounts, recentCounts),
    });
  }
  const adjusted = pAdjust(features.map((f) => f.pValue ?? Number.NaN), 'holm');
  features.forEach((f, i) => {
    if (f.pValue === null) return;
    f.pAdjusted = adjusted[i];
    if (f.feature === CALENDAR_MIX) f.drift = adjusted[i] < settings.alpha && f.psi !== null && f.psi >= settings.psi;
    else {
      const large = f.wasserstein !== null && f.wasserstein >= settings.wasserstein && (f.relativeShift === undefined || (f.relativeShift !== null && Math.abs(f.relativeShift) >= settings.minLoadShift));
      f.drift = f.calibration !== null && f.effect !== null && Math.abs(f.effect) >= f.calibration.threshold && large;
    }
  });
  const dayMs = (d: number) => new Date(d * DAY_MS);
  return {
    seriesId: id,
    modelVersion: v.id,
    recent: { from: dayMs(recent.day[0]), to: dayMs(recent.day.at(-1)! + 1) },
    reference: { trainStart: v.trainStart, trainEnd: v.trainEnd, months: match.months, days: match.indices.length },
    calibration: calibration && { effectiveFeatures: calibration.effectiveFeatures, alarmsPerYear: calibration.alarmsPerYear, gapDays: calibration.gapDays, trainingDays: ref.day.length },
    features,
    drifted: features.filter((f) => f.drift).map((f) => f.feature),
  };
}

/**
 * What one series' decision takes from its champion's training days: the load–temperature relation
 * (drift-features.ts loadModel) and the thresholds calibrated on the features decided on
 * (drift-calibration.ts) — with the relation, the load level given the temperature replaces the
 * raw daily load, which is reported only.
 */
function calibrate(ref: DailyInputs, settings: DriftSettings): TrainingCalibration {
  const model = loadModel(ref);
  const decided: Record<string, number[]> = { ...ref.numeric };
  if (model) {
    decided[LOAD_GIVEN_TEMPERATURE] = loadGivenTemperature(model, ref);
    delete decided[LOAD];
  }
  const effects = calibrationEffects(ref.day, decided, { windowDays: settings.windowDays, minReferenceDays: settings.minReferenceDays, minWindowValues: MIN_RECENT_DAYS });
  return { loadModel: model, calibration: calibrateDrift(effects, settings.alarmsPerYear, MIN_CALIBRATION_WINDOWS_PER_WINDOW_DAY * settings.windowDays) };
}

function fromTraining(cache: CalibrationCache | undefined, key: string, seriesId: string, make: () => TrainingCalibration): TrainingCalibration {
  const hit = cache?.get(seriesId);
  if (hit && hit.key === key) return hit.value;
  const value = make();
  cache?.set(seriesId, { key, value });
  return value;
}

function mean(a: readonly number[]): number {
  const v = a.filter(Number.isFinite);
  return v.length > 0 ? v.reduce((s, x) => s + x, 0) / v.length : Number.NaN;
}

function pick(d: DailyInputs, keep: (i: number) => boolean): DailyInputs {
  const idx = d.day.map((_, i) => i).filter(keep);
  return {
    day: idx.map((i) => d.day[i]),
    dayType: idx.map((i) => d.dayType[i]),
    numeric: Object.fromEntries(Object.entries(d.numeric).map(([k, a]) => [k, idx.map((i) => a[i])])),
    hours: Object.fromEntries(Object.entries(d.hours).map(([k, a]) => [k, idx.map((i) => a[i])])),
  };
}
const dropLeading = (d: DailyInputs, n: number) => pick(d, (i) => i >= n);
const keepLast = (d: DailyInputs, n: number) => pick(d, (i) => i >= d.day.length - n);

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
