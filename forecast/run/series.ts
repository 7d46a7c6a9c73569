import { GridcastError, isGridcastError } from '../../core/errors.ts';
import type { RunStore } from '../../core/run-store.ts';
import type { Covariates, FittedForecaster, Forecast, ModelArtifact, Series } from '../../core/types.ts';
import { dataHash } from '../../models/artifact.ts';
import { abnormalDaysOf } from '../../models/explain.ts';
import { buildForecaster } from '../../models/auto.ts';
import { finiteCount } from '../../models/timeindex.ts';
import { configuredForecaster, loadFitted, type ModelSpecRef } from '../../models/configured.ts';

/**
 * Base forecasts of a run, one group of series at a time, never aborting the run: a group is the
 * series sharing a registered champion (conditioned on their history up to the origin), or one
 * series fitted with the default model. A series whose model fails to load, fit or predict, or
 * predicts a non-finite value, falls back to seasonal naive (a week back), then shallow-history,
 * and as a last resort to zero when it has no observed value at all; every fallback is labelled.
 *
 * A group whose model needs weather it does not have over the horizon (no forecast issued, no
 * climatic scenario) takes its weather-free companion instead, labelled as such: a champion's
 * companion stored with the version at training (the same spec fitted without weather), else
 * that spec fitted in the run; a default model is fitted without weather.
 */

export type SeriesPlan =
  | {
      champion: string;
      /** The version was trained with weather (its predictions need it). */
      weather: boolean;
      /** Set when the weather-free companion serves: why. */
      weatherFree?: string;
      /** The version's training window (ISO): its inputs' range is the training range (out-of-range.ts). */
      trained?: { start: string; end: string };
    }
  | {
      fit: ModelSpecRef;
      weatherFree?: string;
      /** Fit on the history from this time only (ISO): the data after a confirmed rupture. */
      since?: string;
    };

/**
 * A group as the run prepared it. A champion's group carries its artifact (or its companion's, or
 * why it could not be read) once resolveArtifacts has read it; before, it names the version only,
 * which is all a queued job carries when its worker reads the same registry (forecast/run/queue.ts).
 */
export interface PreparedGroup {
  plan: SeriesPlan;
  series: SeriesData[];
  artifact?: ModelArtifact;
  /** The artifact is the version's weather-free companion (else, on a weather-free plan, the spec to fit without weather). */
  companion?: boolean;
  artifactError?: { code: string; message: string };
}

/**
 * Where champions' artifacts are read: the run's store (the registry). With artifactsInDatabase a
 * queued job may name the version instead of carrying its artifact (a GAM's is a megabyte or more).
 */
export type ArtifactSource = Pick<RunStore, 'artifact' | 'companion' | 'artifactsInDatabase'>;

/**
 * Reads the artifact of every champion group that does not carry one yet: the companion on a
 * weather-free plan when the version has one, else the artifact. A read that fails is kept as the
 * group's artifactError, so the group's series get labelled fallbacks and the others run.
 */
export async function resolveArtifacts(groups: PreparedGroup[], source: ArtifactSource): Promise<PreparedGroup[]> {
  const out: PreparedGroup[] = [];
  for (const g of groups) {
    if (!('champion' in g.plan) || g.artifact || g.artifactError) {
      out.push(g);
      continue;
    }
    const id = g.plan.champion;
    try {
      const companion = g.plan.weatherFree ? await source.companion(id) : null;
      out.push(companion ? { ...g, artifact: companion, companion: true } : { ...g, artifact: await source.artifact(id) });
    } catch (e) {
      out.push({ ...g, artifactError: { code: isGridcastError(e) ? e.code : 'ARTIFACT_UNREADABLE', message: (e as Error).message } });
    }
  }
  return out;
}

export interface SeriesData {
  history: Series;
  fitCovariates?: Covariates;
  /** One covariate set per prediction: the weather forecast, or one per climatic scenario. */
  predictCovariates: Array<Covariates | undefined>;
}

export interface SeriesForecast {
  id: string;
  /** One forecast per predictCovariates entry, horizonSteps long from the origin. */
  forecasts: Forecast[];
  model: string;
  /** Registry version id, or 'fit:<kind>:<dataHash>' of the model fitted in the run. */
  modelVersion: string;
  fallbackReason?: string;
  /** Errors over the history ending at the origin, for the reconciliation (NaN where none): FittedForecaster.historyErrors, else residuals. */
  residuals: Float64Array;
  /** Why models failed, in full, for the run's warnings. */
  failures: string[];
  /** The days a GAM fitted in the run left out as abnormal (a champion's were named when it was trained). */
  abnormalDays?: string[];
}

export interface GroupContext {
  horizonSteps: number;
  levels: number[];
  holidays?: string;
}

const FALLBACKS: ModelSpecRef[] = [
  { kind: 'seasonal-naive', params: { period: 'week' } },
  { kind: 'shallow-history', params: {} },
];

const errText = (e: unknown) => (isGridcastError(e) ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e));
/** The label kept on every stored value: the error code (the message goes to the run's warnings once). */
const errCode = (e: unknown) => (isGridcastError(e) ? e.code : 'error');
const one = (id: string, c: Covariates | undefined) => (c ? new Map([[id, c]]) : undefined);
const fitLabel = (kind: string, s: SeriesData) => `fit:${kind}:${dataHash([s.history], one(s.history.id, s.fitCovariates))}`;
const joinReasons = (...r: Array<string | undefined>) => [...new Set(r.filter((x): x is string => !!x))].join('; ') || undefined;

/** Suffix of a champion's label in model_versions when its weather-free companion served. */
export const WEATHER_FREE = '/weather-free';

/** The plan's label in model_versions: what a reproduction loads or refits. */
export function planLabel(plan: SeriesPlan, s: SeriesData): string {
  if ('champion' in plan) return plan.weatherFree ? `${plan.champion}${WEATHER_FREE}` : plan.champion;
  return fitLabel(plan.fit.kind, s);
}

/** How the label of a forecast made on the weather-free path starts. */
export const WEATHER_FREE_COMPANION = 'weather-free companion';

const weatherFreeLabel = (why: string, fittedInRun = false) => `${WEATHER_FREE_COMPANION}${fittedInRun ? ' fitted in the run' : ''} (${why})`;

export async function forecastGroup(g: PreparedGroup, ctx: GroupContext): Promise<SeriesForecast[]> {
  const { plan, series: group } = g;
  const ids = group.map((s) => s.history.id);
  const covMap = (pick: (s: SeriesData) => Covariates | undefined) =>
    new Map(group.flatMap((s): Array<[string, Covariates]> => (pick(s) ? [[s.history.id, pick(s)!]] : [])));
  let failure: { label: string; text: string } | undefined;
  let produced: Map<string, Forecast[]> | undefined;
  let fitted: FittedForecaster | undefined;
  let pathLabel: string | undefined;
  // Whether the model was fitted here (not a champion conditioned): what it left out is this run's to say.
  let fittedHere = false;
  const kind = 'champion' in plan ? plan.champion : plan.fit.kind;
  try {
    const histories = group.map((s) => s.history);
    if ('champion' in plan) {
      if (!g.artifact) throw new GridcastError(g.artifactError?.code ?? 'ARTIFACT_MISSING', g.artifactError?.message ?? 'the artifact was not loaded');
      if (plan.weatherFree && !g.companion) {
        // A version trained before companions were stored: its own spec, fitted here without weather.
        fitted = await configuredForecaster({ kind: g.artifact.spec.kind, params: g.artifact.spec.params as Record<string, unknown> }, ctx.holidays).fit(histories);
        fittedHere = true;
        pathLabel = weatherFreeLabel(plan.weatherFree, true);
      } else {
        const stored = loadFitted(g.artifact);
        if (!stored.condition) throw new Error(`${stored.spec.kind} cannot be conditioned on new history`);
        fitted = await stored.condition(histories, covMap((s) => s.fitCovariates));
        if (plan.weatherFree) pathLabel = weatherFreeLabel(plan.weatherFree);
      }
    } else {
      fitted = await configuredForecaster(plan.fit, ctx.holidays).fit(histories, covMap((s) => s.fitCovariates));
      fittedHere = true;
      if (plan.weatherFree) pathLabel = weatherFreeLabel(plan.weatherFree);
    }
    produced = new Map(ids.map((id) => [id, []]));
    const wanted = new Map(group.map((s) => [s.history.id, s.predictCovariates.length]));
    for (let k = 0; k < Math.max(...wanted.values()); k++) {
      for (const f of await fitted.predict(ctx.horizonSteps, covMap((s) => s.predictCovariates[k]), ctx.levels)) {
        const fs = produced.get(f.seriesId);
        if (fs && fs.length < wanted.get(f.seriesId)!) fs.push(f);
      }
    }
  } catch (e) {
    const what = plan.weatherFree ? `${kind} weather-free companion` : kind;
    failure = { label: `${what}: ${errCode(e)}`, text: `${what}: ${errText(e)}` };
  }
  const out: SeriesForecast[] = [];
  let artifact: ModelArtifact | undefined;
  const leftOut = (f: FittedForecaster, id: string) => leftOutOf(() => (artifact ??= f.toArtifact()), id);
  for (const s of group) {
    const id = s.history.id;
    const fs = produced?.get(id);
    const bad = fs && fs.length === s.predictCovariates.length ? invalid(fs, ctx) : 'no forecast for the series';
    if (fitted && fs && !bad) {
      out.push({
        id,
        forecasts: fs,
        model: fs[0].model,
        modelVersion: planLabel(plan, s),
        ...withReason(joinReasons(pathLabel, ...fs.map((f) => f.fallbackReason))),
        residuals: historyErrors(fitted, id),
        ...(fittedHere ? leftOut(fitted, id) : { failures: [] }),
      });
    } else {
      const why = failure ?? { label: `${kind}: ${bad}`, text: `${kind}: ${bad}` };
      // A default model that is itself a fallback kind is not tried twice.
      out.push(await fallback(s, why, ctx, 'fit' in plan ? plan.fit.kind : undefined));
    }
  }
  return out;
}

/** Base forecasts of several groups, one after the other (a worker's share of a run). */
export async function forecastGroups(groups: PreparedGroup[], ctx: GroupContext): Promise<SeriesForecast[]> {
  const out: SeriesForecast[] = [];
  for (const g of groups) out.push(...(await forecastGroup(g, ctx)));
  return out;
}

/** Labelled fallbacks for every series of a group whose model could not run at all (e.g. its worker died). */
export function fallbackGroup(group: SeriesData[], e: unknown, ctx: GroupContext, kind: string): Promise<SeriesForecast[]> {
  const why = { label: `${kind}: ${errCode(e)}`, text: `${kind}: ${errText(e)}` };
  return Promise.all(group.map((s) => fallback(s, why, ctx)));
}

const withReason = (r: string | undefined) => (r ? { fallbackReason: r } : {});

/** The days left out of a GAM fitted in the run; a model whose artifact cannot say is named in the warnings, its forecast kept. */
function leftOutOf(artifact: () => ModelArtifact, id: string): { failures: string[]; abnormalDays?: string[] } {
  try {
    return { failures: [], abnormalDays: abnormalDaysOf(artifact(), id) };
  } catch (e) {
    return { failures: [`abnormal days not read from the fitted model: ${errText(e)}`] };
  }
}

/** What the reconciliation weighs a series by: its errors over the whole history, else its residuals. */
const historyErrors = (f: FittedForecaster, id: string) => (f.historyErrors?.() ?? f.residuals()).get(id) ?? new Float64Array(0);

function invalid(fs: Forecast[], ctx: GroupContext): string | undefined {
  for (const f of fs) {
    if (f.mean.length !== ctx.horizonSteps) return `${f.mean.length} steps instead of ${ctx.horizonSteps}`;
    for (const a of [f.mean, ...ctx.levels.map((l) => f.quantiles[String(l)])]) {
      if (!a || !a.every(Number.isFinite)) return 'a non-finite forecast';
    }
  }
  return undefined;
}

async function fallback(s: SeriesData, why: { label: string; text: string }, ctx: GroupContext, failedKind?: string): Promise<SeriesForecast> {
  const id = s.history.id;
  const labels = [`model-failed (${why.label})`];
  const failures = [why.text];
  for (const spec of FALLBACKS.filter((f) => f.kind !== failedKind)) {
    try {
      const fitted = await buildForecaster(spec).fit([s.history]);
      // The fallbacks use no covariates: one prediction serves every scenario.
      const [f] = await fitted.predict(ctx.horizonSteps, undefined, ctx.levels);
      const bad = invalid([f], ctx);
      if (bad) throw new Error(bad);
      return {
        id,
        forecasts: s.predictCovariates.map(() => f),
        model: f.model,
        modelVersion: fitLabel(spec.kind, { ...s, fitCovariates: undefined }),
        fallbackReason: joinReasons(...labels, f.fallbackReason),
        residuals: historyErrors(fitted, id),
        failures,
      };
    } catch (e) {
      labels.push(`${spec.kind} failed (${errCode(e)})`);
      failures.push(`${spec.kind}: ${errText(e)}`);
    }
  }
  // Nothing could be fitted: a series never measured in the window (a new node) counts as zero
  // until it has data; one with data that no model could use is labelled the same way.
  const zero = new Float64Array(ctx.horizonSteps);
  const f: Forecast = {
    seriesId: id,
    start: new Date(s.history.start.getTime() + s.history.values.length * s.history.stepSec * 1000),
    stepSec: s.history.stepSec,
    mean: zero,
    quantiles: Object.fromEntries(ctx.levels.map((l) => [String(l), zero])),
    model: 'none',
  };
  const zeroReason = finiteCount(s.history.values) === 0 ? 'no-history: forecast as zero' : `no-model (${labels.slice(1).join(', ')}): forecast as zero`;
  return {
    id,
    forecasts: s.predictCovariates.map(() => f),
    model: 'none',
    modelVersion: 'none',
    fallbackReason: joinReasons(labels[0], zeroReason),
    residuals: new Float64Array(s.history.values.length).fill(Number.NaN),
    failures,
  };
}
