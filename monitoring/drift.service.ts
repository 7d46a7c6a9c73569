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
 * Per feature, two questions, both required before a drift is declared:
 *  - is the difference real? KS p-value on daily means (chi-square on day-type counts), Holm-
 *    corrected across the series' features (family-wise, valid for these correlated features);
 *    daily means, not hours, because hourly points are autocorrelated and would make any
 *    difference "significant";
 *  - does it matter? PSI ≥ `psi` or W1 / σ_reference ≥ `wasserstein` (config), on the hourly
 *    values of the matched days (on 14 daily means a 10-bin PSI would be ≈ 0.8 from sampling noise
 *    alone). Measured on real series (bench/drift.ts), hourly values do not escape that noise
 *    either: autocorrelated hours are few independent values (a 24-hour maximum holds one value
 *    for hours), and PSI ≥ 0.2 held on 54–100 % of the days of unmodified series, so this gate
 *    passes on almost every day the p-value is small (README, Benchmarks, "Input drift").
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
import { dailyInputs, dayTypeCounts, seasonMatched, type DailyInputs } from './drift-features.ts';
import { pAdjust } from './stats/adjust.ts';
import { chisqHomogeneity } from './stats/chisq.ts';
import { ksTest } from './stats/ks.ts';
import { psi, psiFromCounts } from './stats/psi.ts';
import { normalisedWasserstein } from './stats/wasserstein.ts';

export const CALENDAR_MIX = 'calendar_mix';
/** Temperature smoothing needs a few days to forget its start: these leading days are not compared. */
const WARMUP_DAYS = 7;
/** Fewer recent days with a value than this: the feature is reported, not tested. */
const MIN_RECENT_DAYS = 7;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface DriftSettings {
  windowDays: number;
  alpha: number;
  psi: number;
  wasserstein: number;
  minReferenceDays: number;
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
  psi: number | null;
  /** W1 / σ of the reference (numeric features only). */
  wasserstein: number | null;
  drift: boolean;
  /** Why the feature was not tested, when it was not. */
  note?: string;
}

export interface SeriesDrift {
  seriesId: string;
  modelVersion: string;
  recent: { from: Date; to: Date };
  reference: { trainStart: Date; trainEnd: Date; months: number[]; days: number };
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
          thresholds: { alpha: settings.alpha, psi: settings.psi, wasserstein: settings.wasserstein },
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
  const features: FeatureDrift[] = [];
  const all = recent.day.map((_, i) => i);
  for (const name of Object.keys(recent.numeric)) {
    const x = match.indices.map((i) => ref.numeric[name]?.[i] ?? Number.NaN).filter(Number.isFinite);
    const y = recent.numeric[name].filter(Number.isFinite);
    const base = { feature: name, test: 'ks' as const, recentDays: y.length, referenceDays: x.length, pAdjusted: null, drift: false };
    if (match.indices.length === 0 || x.length < settings.minReferenceDays) {
      features.push({ ...base, statistic: null, pValue: null, psi: null, wasserstein: null, note: `fewer than ${settings.minReferenceDays} reference days at this time of year (months ${match.months.join(',')}) in the training window` });
      continue;
    }
    if (y.length < MIN_RECENT_DAYS) {
      features.push({ ...base, statistic: null, pValue: null, psi: null, wasserstein: null, note: `fewer than ${MIN_RECENT_DAYS} recent days with a value` });
      continue;
    }
    const ks = ksTest(y, x);
    const refHours = concat(match.indices.map((i) => ref.hours[name][i]));
    const recentHours = concat(all.map((i) => recent.hours[name][i]));
    features.push({ ...base, statistic: ks.statistic, pValue: ks.pValue, psi: psi(refHours, recentHours), wasserstein: normalisedWasserstein(refHours, recentHours) });
  }
  const refCounts = dayTypeCounts(ref.dayType, (i) => match.indices.includes(i));
  const recentCounts = dayTypeCounts(recent.dayType, () => true);
  if (match.indices.length === 0) {
    features.push({ feature: CALENDAR_MIX, test: 'chisq', recentDays: recent.day.length, referenceDays: 0, statistic: null, pValue: null, pAdjusted: null, psi: null, wasserstein: null, drift: false, note: 'no season-matched reference days' });
  } else {
    const c = chisqHomogeneity(refCounts, recentCounts);
    features.push({
      feature: CALENDAR_MIX,
      test: 'chisq',
      recentDays: recent.day.length,
      referenceDays: match.indices.length,
      statistic: Number.isFinite(c.statistic) ? c.statistic : null,
      df: c.df,
      pValue: Number.isFinite(c.pValue) ? c.pValue : null,
      pAdjusted: null,
      psi: psiFromCounts(refCounts, recentCounts),
      wasserstein: null,
      drift: false,
    });
  }
  const adjusted = pAdjust(features.map((f) => f.pValue ?? Number.NaN), 'holm');
  features.forEach((f, i) => {
    if (f.pValue === null) return;
    f.pAdjusted = adjusted[i];
    const large = (f.psi !== null && f.psi >= settings.psi) || (f.wasserstein !== null && f.wasserstein >= settings.wasserstein);
    f.drift = adjusted[i] < settings.alpha && large;
  });
  const dayMs = (d: number) => new Date(d * DAY_MS);
  return {
    seriesId: id,
    modelVersion: v.id,
    recent: { from: dayMs(recent.day[0]), to: dayMs(recent.day.at(-1)! + 1) },
    reference: { trainStart: v.trainStart, trainEnd: v.trainEnd, months: match.months, days: match.indices.length },
    features,
    drifted: features.filter((f) => f.drift).map((f) => f.feature),
  };
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
