import { GridcastError, isGridcastError } from '../core/errors.ts';
import { DEFAULT_QUANTILES, type Covariates, type Forecast, type Forecaster, type FittedForecaster, type ModelArtifact, type Series } from '../core/types.ts';
import { dataHash, makeArtifact, openArtifact, trainWindow } from './artifact.ts';
import { createForecaster, fromArtifact, MODEL_KINDS } from './catalog.ts';
import { createGamArimaForecaster } from './gam-arima.ts';
import { createGamForecaster, MAX_NONPOSITIVE_SHARE, type GamForecasterParams } from './gam/gam-forecaster.ts';
import { endOf, finiteCount, stepsPerDay } from './timeindex.ts';

type Params = Record<string, unknown>;

/** A model of the catalog with its parameters. */
export interface ModelRef {
  kind: string;
  params?: Params;
}

export interface AutoParams {
  /** Observed days of history from which the weather model (gam-arima on a GAM) is used. */
  minGamDays: number;
  /** Observed days from which `noWeather` is used; below, shallow-history. */
  minProfileDays: number;
  /** Name of the weather covariate the GAM needs. */
  weather: string;
  /** Share of the history's weather that must be observed for the GAM to be tried. */
  minWeatherShare: number;
  /** The production model when history and weather allow. */
  primary: ModelRef;
  /** Without weather (or GAM), with at least minProfileDays of history. */
  noWeather: ModelRef;
  /** Cheap model fitted beside the choice, used when the choice fails at predict (e.g. weather missing). */
  safety: ModelRef;
}

export const DEFAULT_AUTO: AutoParams = {
  minGamDays: 90,
  minProfileDays: 14,
  weather: 'temperature',
  minWeatherShare: 0.9,
  primary: { kind: 'gam-arima', params: { base: 'gam' } },
  noWeather: { kind: 'gam-arima', params: { base: 'profile' } },
  safety: { kind: 'seasonal-naive', params: { period: 'week' } },
};

interface Choice {
  ref: ModelRef;
  /** Why the primary model was not even tried (absent when it was; a failed fit is labelled at fit). */
  reason?: string;
  /** How the model was adapted to the series, appended to Forecast.model (e.g. a GAM on the original scale). */
  variant?: string;
}

const KIND = 'auto';
const VERSION = 1;

const usesWeather = (ref: ModelRef) => ref.kind === 'gam' || (ref.kind === 'gam-arima' && baseKind(ref) === 'gam');
const baseKind = (ref: ModelRef) => {
  const b = ref.params?.base;
  return typeof b === 'string' ? b : (b as ModelRef | undefined)?.kind ?? 'profile';
};
const refOf = (b: unknown): ModelRef => (typeof b === 'string' ? { kind: b } : (b as ModelRef));

/**
 * The reference with its GAM fitted on the original scale (identity link) instead of log(load):
 * what a series with zero or negative hours (a train line at night, net load) needs. Undefined
 * when the reference has no log-scale GAM.
 */
function onOriginalScale(ref: ModelRef): ModelRef | undefined {
  if (ref.kind === 'gam') return ref.params?.logTarget === false ? undefined : { ...ref, params: { ...ref.params, logTarget: false } };
  if (ref.kind === 'gam-arima' && baseKind(ref) === 'gam') {
    const base = onOriginalScale(refOf(ref.params?.base));
    return base ? { ...ref, params: { ...ref.params, base } } : undefined;
  }
  return undefined;
}

/**
 * The forecaster of a model reference: the catalog's, except the GAM (and gam-arima on it), built
 * here while the catalog does not register 'gam'.
 */
export function buildForecaster(ref: ModelRef): Forecaster {
  if (MODEL_KINDS.includes(ref.kind) && (ref.kind !== 'gam-arima' || MODEL_KINDS.includes(baseKind(ref)))) return createForecaster(ref.kind, ref.params);
  if (ref.kind === 'gam') return createGamForecaster((ref.params ?? {}) as Partial<GamForecasterParams>);
  if (ref.kind === 'gam-arima' && baseKind(ref) === 'gam') {
    const { base, ...rest } = ref.params ?? {};
    return createGamArimaForecaster(buildForecaster(refOf(base)), rest);
  }
  return createForecaster(ref.kind, ref.params);
}

/** What gridcast runs for one series, best first, with the reason each step down was taken. */
export function candidates(s: Series, cov: Covariates | undefined, p: AutoParams): Choice[] {
  const perDay = stepsPerDay(s.stepSec);
  const days = finiteCount(s.values) / perDay;
  const w = cov?.future?.[p.weather] ?? cov?.past?.[p.weather];
  // Share of the observed load hours that have weather: a history window longer than the data
  // (a new grid, a store started recently) must not count its empty years against the weather.
  const weatherShare = w && w.length === s.values.length ? w.filter((x, i) => Number.isFinite(x) && Number.isFinite(s.values[i])).length / Math.max(1, finiteCount(s.values)) : 0;
  const out: Choice[] = [];
  let why: string | undefined;
  if (days < p.minGamDays) why = `short-history (${days.toFixed(0)} d < ${p.minGamDays} d)`;
  else if (usesWeather(p.primary) && weatherShare < p.minWeatherShare) why = w ? `weather-incomplete (${(100 * weatherShare).toFixed(0)} % observed)` : 'no-weather';
  // log(load) cannot model a load that is often zero or negative: the same GAM on the original scale can.
  let nonPositive = 0;
  for (const v of s.values) if (v <= 0) nonPositive++;
  const share = nonPositive / Math.max(1, finiteCount(s.values));
  const original = share > MAX_NONPOSITIVE_SHARE ? onOriginalScale(p.primary) : undefined;
  if (!why) out.push(original ? { ref: original, variant: `original scale: ${Math.max(1, Math.round(100 * share))} % of hours ≤ 0` } : { ref: p.primary });
  const skipped = why ? { reason: why } : {};
  if (days >= p.minProfileDays) out.push({ ref: p.noWeather, ...skipped });
  out.push({ ref: p.safety, ...skipped });
  out.push({ ref: { kind: 'shallow-history' }, ...skipped });
  return out;
}

interface SeriesChoice {
  id: string;
  nextMs: number;
  chosen: FittedForecaster;
  reason?: string;
  variant?: string;
  safety?: FittedForecaster;
  /** Candidates that failed to fit, with their error. */
  failures: string[];
}

const errText = (e: unknown) => (isGridcastError(e) ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e));

type Build = (ref: ModelRef) => Forecaster;

async function fitSeries(s: Series, cov: Map<string, Covariates> | undefined, p: AutoParams, build: Build): Promise<SeriesChoice> {
  const c = cov?.get(s.id);
  const one = c ? new Map([[s.id, c]]) : undefined;
  const failures: string[] = [];
  const list = candidates(s, c, p);
  for (let i = 0; i < list.length; i++) {
    const { ref, reason, variant } = list[i];
    try {
      const chosen = await build(ref).fit([s], one);
      const safetyRef = list.slice(i + 1).find((x) => !usesWeather(x.ref));
      let safety: FittedForecaster | undefined;
      if (safetyRef && usesWeather(ref)) {
        try {
          safety = await build(safetyRef.ref).fit([s], one);
        } catch (e) {
          failures.push(`${safetyRef.ref.kind}: ${errText(e)}`);
        }
      }
      const label = [reason, i > 0 && failures.length > 0 ? `model-failed (${failures[failures.length - 1]})` : ''].filter(Boolean).join('; ');
      return { id: s.id, nextMs: endOf(s).getTime(), chosen, ...(label ? { reason: label } : {}), ...(variant ? { variant } : {}), ...(safety ? { safety } : {}), failures };
    } catch (e) {
      failures.push(`${ref.kind}: ${errText(e)}`);
    }
  }
  throw new GridcastError('AUTO_NO_MODEL', `no model could be fitted to series '${s.id}': ${failures.join(' | ')}`, { seriesId: s.id, failures });
}

/**
 * The model gridcast runs in production for each series: gam-arima on a GAM with weather when
 * the history is long enough and the weather observed, a weather-free model with a few weeks,
 * shallow-history with days; a candidate that fails to fit is replaced by the next. Forecast.model
 * names the model that produced the forecast and fallbackReason why it is not the primary one.
 * `build` turns a reference into a forecaster (the bench passes one that shares fits between runs).
 */
export function createAutoForecaster(params: Partial<AutoParams> = {}, build: Build = buildForecaster): Forecaster<AutoParams> {
  const p: AutoParams = { ...DEFAULT_AUTO, ...params };
  const spec = { kind: KIND, version: VERSION, params: p };
  return {
    spec,
    capabilities: { futureCovariates: true, probabilistic: true, global: false, minHistory: 24 },
    async fit(history, covariates) {
      if (history.length === 0) throw new GridcastError('NO_SERIES', 'auto: fit() needs at least one series');
      const choices: SeriesChoice[] = [];
      for (const s of history) choices.push(await fitSeries(s, covariates, p, build));
      return fitted(p, choices, trainWindow(history), dataHash(history, covariates));
    },
  };
}

function fitted(p: AutoParams, choices: SeriesChoice[], window: { start: string; end: string }, hash: string): FittedForecaster<AutoParams> {
  const spec = { kind: KIND, version: VERSION, params: p };
  return {
    spec,
    async condition(history, covariates) {
      const moved: SeriesChoice[] = [];
      const unknown = history.find((h) => !choices.some((ch) => ch.id === h.id));
      if (unknown) throw new GridcastError('CONDITION_MISMATCH', `auto was not fitted on series '${unknown.id}'`, { seriesId: unknown.id });
      // Only the series given: a run may serve some of a version's series with it and others otherwise.
      for (const ch of choices) {
        const s = history.find((h) => h.id === ch.id);
        if (!s) continue;
        const c = covariates?.get(s.id);
        const one = c ? new Map([[s.id, c]]) : undefined;
        const move = (f: FittedForecaster) => (f.condition ? f.condition([s], one) : buildForecaster({ kind: f.spec.kind, params: f.spec.params as Params }).fit([s], one));
        moved.push({ ...ch, nextMs: endOf(s).getTime(), chosen: await move(ch.chosen), ...(ch.safety ? { safety: await move(ch.safety) } : {}) });
      }
      return fitted(p, moved, trainWindow(history), dataHash(history, covariates));
    },
    async predict(horizon, covariates, quantiles = [...DEFAULT_QUANTILES]): Promise<Forecast[]> {
      const out: Forecast[] = [];
      for (const ch of choices) {
        const c = covariates?.get(ch.id);
        const one = c ? new Map([[ch.id, c]]) : undefined;
        try {
          const [f] = await ch.chosen.predict(horizon, one, quantiles);
          const reason = [ch.reason, f.fallbackReason].filter(Boolean).join('; ');
          out.push({ ...f, ...(ch.variant ? { model: `${f.model} (${ch.variant})` } : {}), ...(reason ? { fallbackReason: reason } : {}) });
        } catch (e) {
          // A bad horizon is the caller's mistake, not a model failure to hide behind a fallback.
          if (!ch.safety || (isGridcastError(e) && e.code === 'INVALID_HORIZON')) throw e;
          const [f] = await ch.safety.predict(horizon, one, quantiles);
          out.push({ ...f, fallbackReason: `model-failed (${ch.chosen.spec.kind}: ${errText(e)})` });
        }
      }
      return out;
    },
    residuals: () => new Map(choices.map((ch) => [ch.id, ch.chosen.residuals().get(ch.id) ?? new Float64Array(0)])),
    historyErrors: () => new Map(choices.map((ch) => [ch.id, (ch.chosen.historyErrors?.() ?? ch.chosen.residuals()).get(ch.id) ?? new Float64Array(0)])),
    toArtifact: () =>
      makeArtifact(spec, window, hash, {
        series: choices.map((ch) => ({
          id: ch.id,
          nextMs: ch.nextMs,
          chosen: ch.chosen.toArtifact(),
          ...(ch.reason ? { reason: ch.reason } : {}),
          ...(ch.variant ? { variant: ch.variant } : {}),
          ...(ch.safety ? { safety: ch.safety.toArtifact() } : {}),
          failures: ch.failures,
        })),
      }),
  };
}

interface StoredChoice {
  id: string;
  nextMs: number;
  chosen: ModelArtifact;
  reason?: string;
  variant?: string;
  safety?: ModelArtifact;
  failures: string[];
}

export function autoFromArtifact(a: ModelArtifact): FittedForecaster<AutoParams> {
  const { series } = openArtifact<{ series: StoredChoice[] }>(a, KIND, VERSION);
  const choices = series.map((s) => ({ ...s, chosen: fromArtifact(s.chosen), safety: s.safety ? fromArtifact(s.safety) : undefined }));
  return fitted(a.spec.params as AutoParams, choices.map(({ safety, ...rest }) => ({ ...rest, ...(safety ? { safety } : {}) })), a.trainWindow, a.dataHash);
}

/** The artifact of the model `auto` chose for a series, and why it is not the primary one (absent when it is); null for a series it was not fitted on. */
export function autoChoiceArtifact(a: ModelArtifact, seriesId: string): { artifact: ModelArtifact; reason?: string; variant?: string } | null {
  const { series } = openArtifact<{ series: StoredChoice[] }>(a, KIND, VERSION);
  const c = series.find((s) => s.id === seriesId);
  return c ? { artifact: c.chosen, ...(c.reason ? { reason: c.reason } : {}), ...(c.variant ? { variant: c.variant } : {}) } : null;
}
