import { z } from 'zod';
import { GridcastError, isGridcastError } from '../core/errors.ts';
import { DEFAULT_QUANTILES, type Covariates, type Forecast, type Forecaster, type FittedForecaster, type ModelArtifact, type Series } from '../core/types.ts';
import { dataHash, makeArtifact, openArtifact, trainWindow } from './artifact.ts';
import { createForecaster, fromArtifact, MODEL_KINDS } from './catalog.ts';
import { createGamArimaForecaster } from './gam-arima.ts';
import { createGamForecaster, MAX_NONPOSITIVE_SHARE, type GamForecasterParams } from './gam/gam-forecaster.ts';
import { createEnsemble, ENSEMBLE_KIND, ensembleFromArtifact, ensembleLabel, ensembleName, leadArtifact } from './selection/ensemble.ts';
import { bandCalibration, bandsText, widthRatio, type BandState } from './selection/bands.ts';
import { mlpol, type AggregationLoss } from './selection/mlpol.ts';
import { followTheLeaderScore, metricFor, scoreOf, validateCandidate, validationOrigins, type Validation, type ValidationScore, type WeatherError } from './selection/validate.ts';
import { DAY_AHEAD_TEMPERATURE_ERROR_SD } from './features/temperature.ts';
import { shareFits } from './selection/shared-fit.ts';
import { roundLosses, verdictOf, type Alternative } from './selection/evidence.ts';
import { endOf, finiteCount, stepsPerDay } from './timeindex.ts';

type Params = Record<string, unknown>;

/** A model of the catalog with its parameters. */
export interface ModelRef {
  kind: string;
  params?: Params;
}

export interface ValidationParams {
  /** Origins of the rolling-origin validation (the last local midnights of the history, a day apart); 0 chooses by rule alone. */
  origins: number;
  /**
   * Origins when each candidate is fitted once and moved (refitEach, a year or more of history):
   * there a validation day costs a conditioning, not a fit, and 4 days let the weather GAM alone
   * score near gam-arima and keep a quarter of the mixture (GEFCom2012 system: 4.02 % with 4
   * origins, 3.44 % with 14; bench/accuracy.ts). `origins: 0` turns the validation off here too.
   */
  movedOrigins: number;
  /** Steps forecast from each origin: the run's horizon (default: one day of steps). */
  horizonSteps?: number;
  /** Refit the chosen candidate on the whole history (else the validation fit is conditioned on it: cheaper, a few days less data). */
  refitChosen: boolean;
  /**
   * Refit every candidate at every origin, as runs do ('always'), or fit each at the first origin
   * and move it to the later ones ('never': cheaper, but a short history's GAM trend is then
   * extrapolated over days, which misjudged it on GEFCom2012 winter, bench/accuracy-short.ts).
   * 'short': refit below a year of history (short-history trend, cheap fits), move above (a
   * multi-year weather GAM's coefficients barely change in 4 days, and its fit is the costly one).
   */
  refitEach: 'always' | 'short' | 'never';
  /**
   * Standard deviation (°C) of forecast-like errors added to the weather over each validation
   * horizon, and each online round after it, for the errors the bands are calibrated on
   * (validate.ts WeatherError): a run reads forecasts there, not the observations the history
   * holds. Candidates are compared on the realised weather. 0 calibrates on the realised weather.
   * Used where the run's covariates do not say how far their horizon's forecasts stand from
   * observations (Covariates.horizonErrorSd, measured by a backtest given forecasts and by a run
   * from the stored forecasts, forecast/weather-error.ts): a measure wins.
   */
  weatherErrorSd: number;
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
  /** Without weather (or with too short a history for the weather GAM): a GAM on the calendar with ARIMA on its residuals. */
  calendar: ModelRef;
  /** Observed days from which `calendar` is a candidate. */
  minCalendarDays: number;
  /** Without weather (or GAM), with at least minProfileDays of history. */
  noWeather: ModelRef;
  /** Cheap model fitted beside the choice, used when the choice fails at predict (e.g. weather missing). */
  safety: ModelRef;
  validation: ValidationParams;
  /**
   * What serves after validation: 'evidence', the preferred candidate (first in the order of
   * preference) unless another candidate or the online mixture beats it by a one-sided
   * Diebold–Mariano test on the daily validation losses at `evidenceLevel`
   * (models/selection/evidence.ts), a single candidate with bands calibrated on its validation
   * errors; 'mlpol', the ML-Poly mixture of the validated candidates, its weights learned online
   * over the validation origins (models/selection/mlpol.ts); 'best', the candidate with the lowest
   * validation error; 'choose', the mixture where its online validation score is at most that of
   * choosing by validation online (follow the leader), else the best. Measured (README, `auto`
   * by evidence): on 4 (short) or 14 (long) validation days the mixture and the single best learn
   * the days' noise; over the following weeks the mixture lost to the preferred model on 10 of 13
   * bench rows, the single best on 5 of the 6 short ones.
   */
  combine: 'choose' | 'mlpol' | 'best' | 'evidence';
  /**
   * combine 'evidence': the level of the one-sided Diebold–Mariano test an alternative (another
   * candidate, or the online mixture) must pass against the preferred candidate to replace it
   * (models/selection/evidence.ts).
   */
  evidenceLevel: number;
}

const ValidationSchema = z
  .object({
    origins: z.number().int().min(0).max(56),
    movedOrigins: z.number().int().min(0).max(56),
    horizonSteps: z.number().int().min(1).max(10_000),
    refitChosen: z.boolean(),
    refitEach: z.enum(['always', 'short', 'never']),
    weatherErrorSd: z.number().min(0).max(10),
  })
  .partial()
  .strict();

/**
 * Four daily origins, each candidate refitted at each (bench/accuracy-short.ts: moving fits from a
 * single origin over 7 days misjudged the calendar GAM's trend); the ARIMA on the calendar GAM's
 * last 14 days of residuals, as in R's reference.
 */
export const DEFAULT_AUTO: AutoParams = {
  minGamDays: 90,
  minProfileDays: 14,
  weather: 'temperature',
  minWeatherShare: 0.9,
  primary: { kind: 'gam-arima', params: { base: 'gam' } },
  calendar: { kind: 'gam-arima', params: { base: { kind: 'gam', params: { temperature: 'none' } }, windowDays: 14 } },
  minCalendarDays: 35,
  noWeather: { kind: 'gam-arima', params: { base: 'profile' } },
  safety: { kind: 'seasonal-naive', params: { period: 'week' } },
  validation: { origins: 4, movedOrigins: 14, refitChosen: true, refitEach: 'short', weatherErrorSd: DAY_AHEAD_TEMPERATURE_ERROR_SD },
  combine: 'evidence',
  evidenceLevel: 0.05,
};

/** Parameters as given: every field optional, the validation's too. */
export type AutoInput = Partial<Omit<AutoParams, 'validation'>> & { validation?: Partial<ValidationParams> };

/** Defaults completed with `params`; the validation settings checked. */
export function parseAutoParams(params: AutoInput = {}): AutoParams {
  const v = ValidationSchema.safeParse(params.validation ?? {});
  if (!v.success) {
    throw new GridcastError('INVALID_PARAMS', `auto validation parameters are invalid: ${v.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, { issues: v.error.issues });
  }
  const combine = params.combine ?? DEFAULT_AUTO.combine;
  if (combine !== 'choose' && combine !== 'mlpol' && combine !== 'best' && combine !== 'evidence') throw new GridcastError('INVALID_PARAMS', `auto combine must be 'evidence', 'mlpol', 'choose' or 'best', not '${String(combine)}'`, { combine });
  const evidenceLevel = params.evidenceLevel ?? DEFAULT_AUTO.evidenceLevel;
  if (!(typeof evidenceLevel === 'number' && evidenceLevel > 0 && evidenceLevel < 1)) throw new GridcastError('INVALID_PARAMS', `auto evidenceLevel must be a number strictly between 0 and 1, not '${String(evidenceLevel)}'`, { evidenceLevel });
  return { ...DEFAULT_AUTO, ...params, combine, evidenceLevel, validation: { ...DEFAULT_AUTO.validation, ...v.data } };
}

interface Choice {
  ref: ModelRef;
  /** Why the primary model was not even tried (absent when it was; a failed fit is labelled at fit). */
  reason?: string;
  /** How the model was adapted to the series, appended to Forecast.model (e.g. a GAM on the original scale). */
  variant?: string;
}

const KIND = 'auto';
/** 2: the choice by rolling-origin validation, recorded per series (`selection`); 3: the choice may be an ML-Poly mixture. */
const VERSION = 3;
const READABLE = [1, 2];

const usesWeather = (ref: ModelRef): boolean => (ref.kind === 'gam' && ref.params?.temperature !== 'none') || (ref.kind === 'gam-arima' && baseKind(ref) === 'gam' && usesWeather(refOf(ref.params?.base)));
const baseKind = (ref: ModelRef) => {
  const b = ref.params?.base;
  return typeof b === 'string' ? b : (b as ModelRef | undefined)?.kind ?? 'profile';
};
const refOf = (b: unknown): ModelRef => (typeof b === 'string' ? { kind: b } : (b as ModelRef));

/** How a candidate is named in the selection label: its kind, and the base of a composite other than a weather GAM. */
export function candidateLabel(ref: ModelRef): string {
  if (ref.kind === 'gam-arima') {
    const base = refOf(ref.params?.base ?? 'gam');
    if (base.kind === 'gam') return base.params?.temperature === 'none' ? 'calendar gam-arima' : 'gam-arima';
    return `${base.kind}+arima`;
  }
  if (ref.kind === 'gam' && ref.params?.temperature === 'none') return 'calendar gam';
  return ref.kind;
}

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

/**
 * A builder for one model selection: a GAM is built once per reference and its fits shared, so
 * 'gam' and 'gam-arima' on the same GAM fit it once per history.
 */
export function sharingBuilder(): Build {
  const gams = new Map<string, Forecaster>();
  const gamOf = (ref: ModelRef) => {
    const key = JSON.stringify(ref);
    let f = gams.get(key);
    if (!f) gams.set(key, (f = shareFits(createGamForecaster((ref.params ?? {}) as Partial<GamForecasterParams>))));
    return f;
  };
  return (ref) => {
    if (ref.kind === 'gam') return gamOf(ref);
    if (ref.kind === 'gam-arima' && baseKind(ref) === 'gam') {
      const { base, ...rest } = ref.params ?? {};
      return createGamArimaForecaster(gamOf(refOf(base)), rest);
    }
    return buildForecaster(ref);
  };
}

/** The GAM under a gam-arima on a GAM (a candidate of its own at no extra fit). */
function gamBaseOf(ref: ModelRef): ModelRef | undefined {
  return ref.kind === 'gam-arima' && baseKind(ref) === 'gam' ? refOf(ref.params?.base) : undefined;
}

/** What gridcast runs for one series, in order of preference, with the reason each step down was taken. */
/** The series' weather covariate (known over the horizon, or up to the origin only). */
const weatherOf = (cov: Covariates | undefined, p: AutoParams) => cov?.future?.[p.weather] ?? cov?.past?.[p.weather];

/**
 * The weather the bands are calibrated on: with the error the forecasts the run reads were measured
 * to carry (Covariates.horizonErrorSd), else with the assumed `validation.weatherErrorSd`.
 */
function bandsWeather(c: Covariates | undefined, p: AutoParams): { weatherError?: WeatherError; weatherText?: string } {
  if (!weatherOf(c, p)) return {};
  const measured = c?.horizonErrorSd?.[p.weather];
  const sd = measured ?? p.validation.weatherErrorSd;
  if (sd <= 0) return {};
  const text = measured === undefined ? `${p.weather} + ${sd} °C forecast-like errors` : `${p.weather} + ${sd.toFixed(2)} °C forecast-like errors (the RMSE of the forecasts the run reads)`;
  return { weatherError: { variable: p.weather, sd }, weatherText: text };
}

export function candidates(s: Series, cov: Covariates | undefined, p: AutoParams): Choice[] {
  const perDay = stepsPerDay(s.stepSec);
  const days = finiteCount(s.values) / perDay;
  const w = weatherOf(cov, p);
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
  const scaled = (ref: ModelRef): Choice => {
    const original = share > MAX_NONPOSITIVE_SHARE ? onOriginalScale(ref) : undefined;
    return original ? { ref: original, variant: `original scale: ${Math.max(1, Math.round(100 * share))} % of hours ≤ 0` } : { ref };
  };
  const skipped = why ? { reason: why } : {};
  // A gam-arima on a GAM brings the GAM alone as a candidate: its fit is shared.
  const withBase = (c: Choice): Choice[] => {
    const base = gamBaseOf(c.ref);
    return base ? [c, { ...c, ref: base }] : [c];
  };
  if (!why) out.push(...withBase(scaled(p.primary)));
  else if (days >= p.minCalendarDays) out.push(...withBase({ ...scaled(p.calendar), ...skipped }));
  if (days >= p.minProfileDays) out.push({ ref: p.noWeather, ...skipped });
  out.push({ ref: p.safety, ...skipped });
  out.push({ ref: { kind: 'shallow-history' }, ...skipped });
  return out;
}

/** How a series' model was chosen: the validation scores of every candidate that could be validated. */
export interface Selection {
  /** e.g. 'auto → calendar gam-arima (validation MAPE 2.10 % vs seasonal-naive 2.41 %, 7 origins)'. */
  text: string;
  metric: ValidationScore['metric'];
  origins: number;
  horizonSteps: number;
  scores: { model: string; score: number }[];
  /** The mixture's weights (combine 'mlpol'), and its online validation score (each origin forecast with the weights learned before it). */
  weights?: { model: string; weight: number }[];
  mixtureScore?: number;
  /**
   * How the bands of the mixture, or of the single candidate served by evidence, were made
   * (models/selection/bands.ts): 'scaled', from its validation errors (how many, how many
   * independent ones they are worth, and the P10–P90 width as a multiple of the members' averaged
   * one, or of the candidate's own); or 'averaged', the members' quantiles, and why. Absent: the
   * served candidate's own quantiles.
   */
  bands?: { method: 'scaled'; errors: number; effective: number; widthRatio: number } | { method: 'averaged'; reason: string };
}

interface SeriesChoice {
  id: string;
  nextMs: number;
  chosen: FittedForecaster;
  reason?: string;
  variant?: string;
  safety?: FittedForecaster;
  selection?: Selection;
  /** Candidates that failed to fit (or to be validated), with their error. */
  failures: string[];
}

const errText = (e: unknown) => (isGridcastError(e) ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e));

type Build = (ref: ModelRef) => Forecaster;

/**
 * A candidate as validated without refits: an ARIMA on residuals is fitted at the first origin and only moved
 * (state conditioned on the new residuals) at the later ones, which keeps the validation to one
 * ARIMA fit per candidate; the chosen model is refitted whole afterwards.
 */
const forValidation = (ref: ModelRef): ModelRef => (ref.kind === 'gam-arima' ? { ...ref, params: { ...ref.params, refitArimaOnCondition: false } } : ref);

const fmtScore = (metric: ValidationScore['metric'], v: number) => (metric === 'MAPE' ? `${v.toFixed(2)} %` : v.toPrecision(4));

interface Scored {
  choice: Choice;
  rank: number;
  fitted: FittedForecaster;
  score: number;
  v: Validation;
}

/**
 * The ML-Poly mixture learned over the candidates' validation forecasts, one round per origin: its
 * online errors (each origin forecast with the weights learned before it, so out of sample) and
 * score. Undefined when the candidates' validations are not aligned.
 */
type OnlineMixture = NonNullable<ReturnType<typeof onlineMixture>>;

function onlineMixture(ranked: Scored[], metric: ValidationScore['metric']) {
  const actuals = ranked[0].v.actuals;
  const rounds = ranked[0].v.rounds;
  if (ranked.some((x) => x.v.actuals.length !== actuals.length || x.v.rounds.join() !== rounds.join())) return undefined;
  const experts = ranked.map((x) => x.v.actuals.map((a, i) => a - x.v.errors[i]));
  const loss: AggregationLoss = metric === 'MAPE' ? 'percentage' : 'absolute';
  const m = mlpol(actuals, experts, rounds, { loss });
  const errors = actuals.map((a, i) => a - m.predictions[i]);
  return { m, loss, actuals, rounds, errors, score: scoreOf({ errors, actuals }, metric) };
}

/**
 * The ML-Poly mixture of the validated candidates: weights learned over the validation origins (one
 * round per origin, so each origin is forecast with weights learned before it; its online score is
 * therefore out of sample), members with a positive weight fitted on the whole history (or moved
 * there). Undefined when the candidates' validations are not aligned or no member can be fitted.
 */
async function mixtureOf(
  s: Series,
  one: Map<string, Covariates> | undefined,
  ranked: Scored[],
  metric: ValidationScore['metric'],
  refit: boolean,
  build: Build,
  moveToEnd: (ref: ModelRef, f: FittedForecaster) => Promise<FittedForecaster>,
  failures: string[],
  choose: boolean,
  horizon: number,
  weatherError: WeatherError | undefined,
  learned: OnlineMixture | undefined,
): Promise<{ fitted: FittedForecaster; label: string; score: number; members: (Scored & { weight: number })[]; lead: Scored; bands: BandState } | { declined: string } | undefined> {
  if (!learned) return undefined;
  const { m, errors, score, loss, actuals: y, rounds } = learned;
  // The band the mixture would have served at each validation step (each round's weights on the
  // members' P10–P90 widths), against its errors there; both on the weather a run reads (the
  // calibration's), where the mixture's error is the weighted sum of the members' (weights sum to 1).
  const onServedWeather = ranked.some((x) => x.v.calibration.errors !== x.v.errors);
  const widths = new Float64Array(y.length);
  const calErrors = onServedWeather ? new Float64Array(y.length) : errors;
  for (let t = 0, i0 = 0; t < rounds.length; i0 += rounds[t], t++) {
    for (let i = i0; i < i0 + rounds[t]; i++) {
      widths[i] = ranked.reduce((a, x, j) => a + (m.roundWeights[t][j] > 0 ? m.roundWeights[t][j] * x.v.calibration.widths[i] : 0), 0);
      if (onServedWeather) calErrors[i] = ranked.reduce((a, x, j) => a + m.roundWeights[t][j] * x.v.calibration.errors[i], 0);
    }
  }
  const bands = bandCalibration(calErrors, widths, rounds);
  if (choose) {
    const preferred = ranked.reduce((a, x, j) => (x.rank < ranked[a].rank ? j : a), 0);
    const ftl = followTheLeaderScore(ranked.map((x) => x.v), preferred, metric);
    if (score > ftl) return { declined: `online mixture ${fmtScore(metric, score)} > follow-the-leader ${fmtScore(metric, ftl)}` };
  }
  // Every candidate is kept (those of weight 0 moved to the end, not refitted): the online updates
  // at later conditionings may bring them back.
  const members: (Scored & { weight: number; whole: FittedForecaster })[] = [];
  for (let j = 0; j < ranked.length; j++) {
    const x = ranked[j];
    let whole: FittedForecaster | undefined;
    if (refit && m.weights[j] > 0) {
      try {
        whole = await build(x.choice.ref).fit([s], one);
      } catch (e) {
        failures.push(`${candidateLabel(x.choice.ref)} on the whole history: ${errText(e)}`);
      }
    }
    try {
      whole ??= await moveToEnd(x.choice.ref, x.fitted);
      members.push({ ...x, weight: m.weights[j], whole });
    } catch (e) {
      failures.push(`${candidateLabel(x.choice.ref)}: ${errText(e)}`);
    }
  }
  const z = members.reduce((a, x) => a + x.weight, 0);
  if (!(z > 0)) return undefined;
  for (const x of members) x.weight /= z;
  const parts = members.map((x) => ({ label: candidateLabel(x.choice.ref), weight: x.weight, fitted: x.whole }));
  // The state learns on for the candidates it was learned on: all of them must have been kept.
  const at = { endMs: endOf(s).getTime(), horizonSteps: horizon, ...(weatherError ? { weatherError } : {}) };
  const online = members.length === ranked.length ? { state: m.state, loss, ...at, bands } : { ...at, bands };
  const fitted = createEnsemble(parts, trainWindow([s]), dataHash([s], one), online);
  const serving = members.filter((x) => x.weight > 0);
  const lead = serving.reduce((a, b) => (b.weight > a.weight ? b : a));
  return { fitted, label: ensembleLabel(parts.filter((x) => x.weight > 0)), score, members: serving, lead, bands };
}

/**
 * combine 'evidence' (models/selection/evidence.ts): the preferred candidate (first in the order of
 * preference among those validated), unless another candidate or the online mixture is better at
 * `level`; `serves` undefined: the mixture. The text names every test.
 */
function byEvidence(ranked: Scored[], metric: ValidationScore['metric'], level: number, learned: OnlineMixture | undefined): { serves?: Scored; text: string } {
  const preferred = ranked.reduce((a, x) => (x.rank < a.rank ? x : a));
  const others = ranked.filter((x) => x !== preferred);
  const alternatives: Alternative[] = others.map((x) => ({ label: candidateLabel(x.choice.ref), score: x.score, losses: roundLosses(x.v, metric) }));
  if (learned) alternatives.push({ label: 'online mixture', score: learned.score, losses: roundLosses(learned, metric) });
  const v = verdictOf(roundLosses(preferred.v, metric), alternatives, level);
  const tests = v.tests.map((t) => `${t.label} p ${Number.isFinite(t.pValue) ? t.pValue.toFixed(3) : 'n/a'}`).join(', ');
  if (v.served < 0) return { serves: preferred, text: `${candidateLabel(preferred.choice.ref)} kept: no alternative better at ${level} (one-sided DM on daily ${metric}: ${tests})` };
  const text = `${v.tests[v.served].label} better than ${candidateLabel(preferred.choice.ref)} at ${level} (one-sided DM on daily ${metric}: ${tests})`;
  return { ...(v.served < others.length ? { serves: others[v.served] } : {}), text };
}

/**
 * A single candidate served with bands from its validation errors (models/selection/bands.ts): a
 * mixture of one member, so its bands roll on at each conditioning as a mixture's do. Undefined
 * when the validation gave too little to calibrate on (the candidate's own bands serve).
 */
function calibratedSingle(s: Series, one: Map<string, Covariates> | undefined, best: Scored, fitted: FittedForecaster, horizon: number, weatherError: WeatherError | undefined): { fitted: FittedForecaster; bands: BandState } | undefined {
  const bands = bandCalibration(best.v.calibration.errors, best.v.calibration.widths, best.v.rounds);
  if (bands.method !== 'scaled') return undefined;
  const info = { endMs: endOf(s).getTime(), horizonSteps: horizon, bands, ...(weatherError ? { weatherError } : {}) };
  return { fitted: createEnsemble([{ label: candidateLabel(best.choice.ref), weight: 1, fitted }], trainWindow([s]), dataHash([s], one), info), bands };
}

async function fitSeries(s: Series, cov: Map<string, Covariates> | undefined, p: AutoParams, build: Build): Promise<SeriesChoice> {
  const c = cov?.get(s.id);
  const one = c ? new Map([[s.id, c]]) : undefined;
  const failures: string[] = [];
  const list = candidates(s, c, p);
  const perDay = stepsPerDay(s.stepSec);
  const horizon = p.validation.horizonSteps ?? perDay;
  // shallow-history is the last resort, not a contender: it serves only when nothing else fits.
  const pool = list.filter((x) => x.ref.kind !== 'shallow-history');
  const refitEach = p.validation.refitEach === 'always' || (p.validation.refitEach === 'short' && s.values.length < 365 * perDay);
  const count = refitEach || p.validation.origins === 0 ? p.validation.origins : p.validation.movedOrigins;
  const origins = count > 0 && pool.length > 1 ? validationOrigins(s, horizon, count, 7 * perDay) : [];
  const { weatherError, weatherText } = bandsWeather(c, p);
  if (origins.length > 0) {
    const metric = metricFor(s.values.subarray(origins[0]));
    const scored: { choice: Choice; rank: number; fitted: FittedForecaster; score: number; v: Validation }[] = [];
    for (let rank = 0; rank < pool.length; rank++) {
      const choice = pool[rank];
      try {
        const v = await validateCandidate(build(refitEach ? choice.ref : forValidation(choice.ref)), s, c, origins, horizon, refitEach, weatherError);
        const score = scoreOf(v, metric);
        if (Number.isFinite(score)) scored.push({ choice, rank, fitted: v.fitted, score, v });
      } catch (e) {
        failures.push(`${candidateLabel(choice.ref)}: ${errText(e)}`);
      }
    }
    if (scored.length > 0) {
      // Lowest validation error; a tie goes to the preferred (earlier) candidate.
      const ranked = [...scored].sort((a, b) => a.score - b.score || a.rank - b.rank);
      // Learned once: the evidence tests it, the mixture (when it serves) is built from it.
      const learned = ranked.length > 1 ? onlineMixture(ranked, metric) : undefined;
      const verdict = p.combine === 'evidence' && ranked.length > 1 ? byEvidence(ranked, metric, p.evidenceLevel, learned) : undefined;
      const best = verdict ? verdict.serves ?? ranked[0] : ranked[0];
      const others = ranked.filter((x) => x !== best).map((x) => `${candidateLabel(x.choice.ref)} ${fmtScore(metric, x.score)}`);
      // Preferred candidates that could not be validated are named: the choice did not weigh them.
      const preferredFailed = pool.slice(0, best.rank).filter((x) => !scored.some((y) => y.choice === x)).map((x) => candidateLabel(x.ref));
      const notValidated = [...new Set(failures.filter((f) => preferredFailed.some((l) => f.startsWith(`${l}: `))).map((f) => f.replace(/^([^:]+): ([A-Z_]+):.*$/, '$1 ($2)')))];
      const text = `auto → ${candidateLabel(best.choice.ref)} (validation ${metric} ${fmtScore(metric, best.score)}${others.length ? ` vs ${others.join(', ')}` : ''}, ${origins.length} origin${origins.length > 1 ? 's' : ''}${notValidated.length ? `; not validated: ${notValidated.join(', ')}` : ''}${verdict ? `; ${verdict.text}` : ''})`;
      const selection: Selection = { text, metric, origins: origins.length, horizonSteps: horizon, scores: ranked.map((x) => ({ model: candidateLabel(x.choice.ref), score: x.score })) };
      const moveToEnd = (ref: ModelRef, f: FittedForecaster) => (f.condition ? f.condition([s], one) : build(ref).fit([s], one));
      const mixing = p.combine === 'evidence' ? verdict !== undefined && verdict.serves === undefined : p.combine !== 'best';
      const tried = mixing && ranked.length > 1 ? await mixtureOf(s, one, ranked, metric, p.validation.refitChosen, build, moveToEnd, failures, p.combine === 'choose', horizon, weatherError, learned) : undefined;
      const mixture = tried && 'fitted' in tried ? tried : undefined;
      const declined = tried && 'declined' in tried ? `; mixture not used: ${tried.declined}` : '';
      // What stands for the choice in the label: the chosen candidate, or the mixture's heaviest member.
      const lead = mixture ? mixture.lead : best;
      let chosen: FittedForecaster | undefined = mixture?.fitted;
      if (!chosen && p.validation.refitChosen) {
        try {
          chosen = await build(best.choice.ref).fit([s], one);
        } catch (e) {
          failures.push(`${candidateLabel(best.choice.ref)} on the whole history: ${errText(e)}`);
        }
      }
      chosen ??= await moveToEnd(best.choice.ref, best.fitted);
      // combine 'evidence' serving one candidate: its bands calibrated on its own validation errors, as a mixture's are.
      const single = p.combine === 'evidence' && !mixture ? calibratedSingle(s, one, best, chosen, horizon, weatherError) : undefined;
      if (single) chosen = single.fitted;
      let safety: FittedForecaster | undefined;
      const weathered = mixture ? mixture.members.some((m) => usesWeather(m.choice.ref)) : usesWeather(best.choice.ref);
      const safetyOf = weathered ? ranked.find((x) => !usesWeather(x.choice.ref)) : undefined;
      if (safetyOf) {
        try {
          safety = await moveToEnd(safetyOf.choice.ref, safetyOf.fitted);
        } catch (e) {
          failures.push(`${candidateLabel(safetyOf.choice.ref)}: ${errText(e)}`);
        }
      }
      const notValidatedText = notValidated.length ? `; not validated: ${notValidated.join(', ')}` : '';
      const plural = `${origins.length} origin${origins.length > 1 ? 's' : ''}`;
      const mixText = mixture
        ? `auto → ${mixture.label} (validation ${metric}: online mixture ${fmtScore(metric, mixture.score)} vs ${ranked.map((x) => `${candidateLabel(x.choice.ref)} ${fmtScore(metric, x.score)}`).join(', ')}, ${plural}${notValidatedText}; ${verdict ? `${verdict.text}; ` : ''}${bandsText(mixture.bands, weatherText)})`
        : declined
          ? `${text.slice(0, -1)}${declined})`
          : text;
      const bandsOf = (b: BandState): NonNullable<Selection['bands']> => (b.method === 'scaled' ? { method: 'scaled', errors: b.scores.length, effective: b.effective, widthRatio: widthRatio(b) } : b);
      const sel: Selection = mixture
        ? { ...selection, text: mixText, weights: mixture.members.map((m) => ({ model: candidateLabel(m.choice.ref), weight: m.weight })), mixtureScore: mixture.score, bands: bandsOf(mixture.bands) }
        : { ...selection, text: single ? `${mixText.slice(0, -1)}; ${bandsText(single.bands, weatherText)})` : mixText, ...(single ? { bands: bandsOf(single.bands) } : {}) };
      // The evidence overruling the order of preference (the choice, or the mixture's heaviest member, is not the preferred candidate) is a step down: said in the label.
      const label = [lead.choice.reason, lead.rank > 0 ? mixText : ''].filter(Boolean).join('; ');
      return { id: s.id, nextMs: endOf(s).getTime(), chosen, ...(label ? { reason: label } : {}), ...(lead.choice.variant ? { variant: lead.choice.variant } : {}), ...(safety ? { safety } : {}), selection: sel, failures };
    }
  }
  return firstThatFits(s, one, list, build, failures);
}

/** Without validation (too little history, or a single candidate): the first candidate that fits. */
async function firstThatFits(s: Series, one: Map<string, Covariates> | undefined, list: Choice[], build: Build, failures: string[]): Promise<SeriesChoice> {
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
 * The model gridcast runs in production for each series, chosen by evidence: every candidate the
 * data allows (gam-arima on a weather GAM and that GAM alone when history and weather allow, else
 * gam-arima on a calendar GAM and that GAM; profile + ARIMA; weekly seasonal naive) is validated
 * from the last `validation.origins` local midnights over the run's horizon. By default
 * (`combine: 'evidence'`) the preferred candidate serves unless another candidate, or their online
 * ML-Poly mixture, is better on the validation days by a one-sided Diebold–Mariano test; with
 * `combine: 'mlpol'` the mixture serves: weights learned online over the validation origins
 * (models/selection/mlpol.ts), members with a positive weight refitted on the whole history,
 * Forecast.model naming the weights; with `combine: 'best'` the candidate with the lowest error
 * serves (refitted on the whole history). Without room for validation, the first
 * candidate that fits serves; shallow-history when nothing else fits. Forecast.model names the
 * model that produced the forecast; fallbackReason why it is not the primary one (no weather, a
 * short history, the validation preferring another candidate). The artifact keeps the scores.
 * `build` turns a reference into a forecaster (the bench passes one that shares fits between runs).
 */
export function createAutoForecaster(params: AutoInput = {}, build?: Build): Forecaster<AutoParams> {
  const p = parseAutoParams(params);
  const spec = { kind: KIND, version: VERSION, params: p };
  return {
    spec,
    capabilities: { futureCovariates: true, probabilistic: true, global: false, minHistory: 24 },
    async fit(history, covariates) {
      if (history.length === 0) throw new GridcastError('NO_SERIES', 'auto: fit() needs at least one series');
      const choices: SeriesChoice[] = [];
      for (const s of history) choices.push(await fitSeries(s, covariates, p, build ?? sharingBuilder()));
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
          const name = ch.chosen.spec.kind === ENSEMBLE_KIND ? ensembleName(ch.chosen.toArtifact()) : ch.chosen.spec.kind;
          out.push({ ...f, fallbackReason: `model-failed (${name}: ${errText(e)})` });
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
          ...(ch.selection ? { selection: ch.selection } : {}),
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
  selection?: Selection;
  failures: string[];
}

/** A chosen model: a catalog model, or an ML-Poly mixture of catalog models. */
const loadChosen = (a: ModelArtifact): FittedForecaster => (a.spec?.kind === ENSEMBLE_KIND ? ensembleFromArtifact(a, fromArtifact) : fromArtifact(a));

export function autoFromArtifact(a: ModelArtifact): FittedForecaster<AutoParams> {
  const { series } = openArtifact<{ series: StoredChoice[] }>(a, KIND, VERSION, READABLE);
  const choices = series.map((s) => ({ ...s, chosen: loadChosen(s.chosen), safety: s.safety ? fromArtifact(s.safety) : undefined }));
  return fitted(a.spec.params as AutoParams, choices.map(({ safety, ...rest }) => ({ ...rest, ...(safety ? { safety } : {}) })), a.trainWindow, a.dataHash);
}

/**
 * The artifact of the model `auto` chose for a series (of a mixture: its heaviest member, named in
 * the selection with the weights), and why it is not the primary one (absent when it is); null for
 * a series it was not fitted on.
 */
export function autoChoiceArtifact(a: ModelArtifact, seriesId: string): { artifact: ModelArtifact; reason?: string; variant?: string; selection?: Selection } | null {
  const { series } = openArtifact<{ series: StoredChoice[] }>(a, KIND, VERSION, READABLE);
  const c = series.find((s) => s.id === seriesId);
  return c ? { artifact: c.chosen.spec?.kind === ENSEMBLE_KIND ? leadArtifact(c.chosen) : c.chosen, ...(c.reason ? { reason: c.reason } : {}), ...(c.variant ? { variant: c.variant } : {}), ...(c.selection ? { selection: c.selection } : {}) } : null;
}
