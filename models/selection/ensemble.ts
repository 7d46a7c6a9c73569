import { GridcastError, isGridcastError } from '../../core/errors.ts';
import { DEFAULT_QUANTILES, type Covariates, type Forecast, type FittedForecaster, type ModelArtifact, type Series } from '../../core/types.ts';
import { makeArtifact, openArtifact } from '../artifact.ts';
import { levelKey } from '../quantiles/empirical.ts';
import { bandWidth, rollBands, scaledQuantiles, SCALE_LEVELS, type BandState } from './bands.ts';
import { mlpolUpdate, mlpolWeights, type AggregationLoss, type MlpolState } from './mlpol.ts';
import { forecastLikeWeather, sliceCovariates, type WeatherError } from './validate.ts';

/**
 * A weighted mixture of fitted models (the weights learned by ML-Poly on their validation
 * forecasts, models/selection/mlpol.ts): the mean is the weighted average of the members'. The
 * quantiles are the mixture mean plus its own validation errors' quantiles, scaled by the width
 * of the members' averaged P10–P90 band (models/selection/bands.ts); with too few validation
 * errors (or an artifact from before), the weighted averages of the members' quantiles.
 *
 * Online: conditioned on a longer history, the mixture first scores each member's forecast from
 * where it stood over the served horizon (the first `horizonSteps` new steps: what a run would
 * have served; a forecast further ahead is not evidence of day-ahead skill, and an ARIMA on
 * residuals is indistinguishable from its base there) against their actuals, one ML-Poly round,
 * then moves the members. Members of weight 0 are kept (moved, not predicted from) so the evidence can bring
 * them back. The same served steps give the bands' calibration its newest scores (the oldest as
 * many dropped).
 */

export interface Member {
  /** The candidate's label (models/auto.ts candidateLabel). */
  label: string;
  weight: number;
  fitted: FittedForecaster;
}

export const ENSEMBLE_KIND = 'mlpol';
const VERSION = 1;

/** e.g. 'mlpol(calendar gam-arima 0.52, seasonal-naive 0.31, profile+arima 0.17)': what Forecast.model says. */
export function ensembleLabel(members: Pick<Member, 'label' | 'weight'>[]): string {
  return `${ENSEMBLE_KIND}(${[...members].sort((a, b) => b.weight - a.weight).map((m) => `${m.label} ${m.weight.toFixed(2)}`).join(', ')})`;
}

/** Weighted average of aligned forecasts of one series (weights renormalised over those given). */
export function combineForecasts(parts: { forecast: Forecast; weight: number }[], model: string): Forecast {
  const z = parts.reduce((a, p) => a + p.weight, 0);
  const [first] = parts;
  const n = first.forecast.mean.length;
  if (!(z > 0) || parts.some((p) => p.forecast.mean.length !== n || p.forecast.start.getTime() !== first.forecast.start.getTime() || p.forecast.stepSec !== first.forecast.stepSec)) {
    throw new GridcastError('ENSEMBLE_SHAPE', `the members of ${model} gave forecasts of different spans`, { model });
  }
  const mean = new Float64Array(n);
  const levels = Object.keys(first.forecast.quantiles).filter((q) => parts.every((p) => p.forecast.quantiles[q]?.length === n));
  const quantiles: Record<string, Float64Array> = Object.fromEntries(levels.map((q) => [q, new Float64Array(n)]));
  for (const { forecast, weight } of parts) {
    const w = weight / z;
    for (let k = 0; k < n; k++) mean[k] += w * forecast.mean[k];
    for (const q of levels) for (let k = 0; k < n; k++) quantiles[q][k] += w * forecast.quantiles[q][k];
  }
  return { seriesId: first.forecast.seriesId, start: first.forecast.start, stepSec: first.forecast.stepSec, mean, quantiles, model };
}

/** The levels asked for, of those the members gave. */
const pick = (q: Record<string, Float64Array>, levels: readonly number[]): Record<string, Float64Array> =>
  Object.fromEntries(levels.map(levelKey).filter((k) => q[k]).map((k) => [k, q[k]]));

const errText = (e: unknown) => (isGridcastError(e) ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e));

/** The member with the largest weight: whose residuals and explanation stand for the mixture. */
export const leadOf = (members: Member[]): Member => members.reduce((a, b) => (b.weight > a.weight ? b : a));

export interface EnsembleInfo {
  /** The aggregation's state after the rounds seen so far; without it the weights stay fixed. */
  state?: MlpolState;
  loss?: AggregationLoss;
  /** End (exclusive, ms) of the history the members stand at: where their next forecast starts. */
  endMs?: number;
  /** Steps of the horizon the weights were learned for (the validation's). */
  horizonSteps?: number;
  /** How the bands are made; absent: members' quantiles averaged. */
  bands?: BandState;
  /** The weather the online rounds roll the bands' scores on, as in the validation (validate.ts WeatherError); absent: as realised. */
  weatherError?: WeatherError;
}

/**
 * One online round on the first horizonSteps new steps of `s` (from info.endMs on): the ML-Poly
 * state after scoring each member's forecast of them, and the bands' scores rolled on with the
 * mixture's (as served: the members' current weights). Unchanged when nothing is new or a member
 * cannot forecast them.
 */
async function learnOnNewDays(members: Member[], s: Series, cov: Covariates | undefined, info: EnsembleInfo): Promise<Pick<EnsembleInfo, 'state' | 'bands'>> {
  const { state, loss, endMs, horizonSteps, bands, weatherError } = info;
  const unchanged = { state, bands };
  if ((!(state && loss) && bands?.method !== 'scaled') || endMs === undefined || !horizonSteps) return unchanged;
  const stepMs = s.stepSec * 1000;
  const from = Math.round((endMs - s.start.getTime()) / stepMs);
  const n = Math.min(s.values.length - from, horizonSteps);
  if (from < 0 || n < 1) return unchanged;
  const sliced = sliceCovariates(cov, from, from + n);
  const served = bands?.method === 'scaled' ? forecastLikeWeather(sliced, weatherError, endMs, s.stepSec) : sliced;
  const one = sliced ? new Map([[s.id, sliced]]) : undefined;
  const paths: Float64Array[] = [];
  // The bands' scores: the members' forecasts on the weather a run reads (the paths themselves without a WeatherError).
  const scorePaths: Float64Array[] = [];
  const widths: Float64Array[] = [];
  try {
    for (const m of members) {
      const [f] = await m.fitted.predict(n, one, bands?.method === 'scaled' ? [...SCALE_LEVELS] : []);
      if (!f || f.mean.length !== n) return unchanged;
      paths.push(f.mean);
      if (bands?.method !== 'scaled') continue;
      const [g] = served === sliced ? [f] : await m.fitted.predict(n, served ? new Map([[s.id, served]]) : undefined, [...SCALE_LEVELS]);
      if (!g || g.mean.length !== n) return unchanged;
      scorePaths.push(g.mean);
      widths.push(bandWidth(g.quantiles, n));
    }
  } catch {
    // Weather missing over the span (or any member unable to forecast it): no evidence this time.
    return unchanged;
  }
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = s.values[from + i];
    if (Number.isFinite(y) && (loss !== 'percentage' || y > 0) && paths.every((p) => Number.isFinite(p[i])) && scorePaths.every((p) => Number.isFinite(p[i]))) idx.push(i);
  }
  if (idx.length === 0) return unchanged;
  const next = state && loss ? mlpolUpdate(state, idx.map((i) => s.values[from + i]), paths.map((p) => idx.map((i) => p[i])), loss).state : state;
  let rolled = bands;
  if (bands?.method === 'scaled') {
    const z = members.reduce((a, m) => a + m.weight, 0);
    const mixed = (xs: Float64Array[], i: number) => members.reduce((a, m, j) => a + (m.weight > 0 ? (m.weight / z) * xs[j][i] : 0), 0);
    rolled = rollBands(bands, idx.map((i) => s.values[from + i] - mixed(scorePaths, i)), idx.map((i) => mixed(widths, i)));
  }
  return { state: next, bands: rolled };
}

/**
 * The mixture of `members` for one series. A member that fails at predict (e.g. weather missing)
 * is left out and the others' weights renormalised, said in fallbackReason; when all fail, the
 * first failure is thrown.
 */
export function createEnsemble(members: Member[], window: { start: string; end: string }, hash: string, info: EnsembleInfo = {}): FittedForecaster {
  if (members.length === 0) throw new GridcastError('ENSEMBLE_SHAPE', 'an ensemble needs at least one member');
  const serving = members.filter((m) => m.weight > 0);
  if (serving.length === 0) throw new GridcastError('ENSEMBLE_SHAPE', 'an ensemble needs a member of positive weight');
  const model = ensembleLabel(serving);
  const lead = leadOf(serving);
  return {
    spec: { kind: ENSEMBLE_KIND, version: VERSION, params: {} },
    async condition(history, covariates) {
      if (history.length !== 1) throw new GridcastError('ENSEMBLE_CONDITION', `an ensemble serves one series; got ${history.length}`);
      const [s] = history;
      const { state, bands } = await learnOnNewDays(members, s, covariates?.get(s.id), info);
      const weights = state ? mlpolWeights(state) : members.map((m) => m.weight);
      const moved: Member[] = [];
      for (let j = 0; j < members.length; j++) {
        const m = members[j];
        if (!m.fitted.condition) throw new GridcastError('ENSEMBLE_CONDITION', `${m.label} cannot be conditioned on new data`);
        moved.push({ ...m, weight: weights[j], fitted: await m.fitted.condition(history, covariates) });
      }
      const endMs = s.start.getTime() + s.values.length * s.stepSec * 1000;
      return createEnsemble(moved, window, hash, { ...info, ...(state ? { state } : {}), ...(bands ? { bands } : {}), endMs });
    },
    async predict(horizon, covariates?: Map<string, Covariates>, quantiles = [...DEFAULT_QUANTILES]) {
      const bySeries = new Map<string, { forecast: Forecast; weight: number }[]>();
      const failed: string[] = [];
      let firstError: unknown;
      const scaled = info.bands?.method === 'scaled' ? info.bands : undefined;
      // The calibrated bands are read off the averaged P10–P90 whatever levels are asked for.
      const asked = scaled ? [...new Set([...quantiles, ...SCALE_LEVELS])] : quantiles;
      for (const m of serving) {
        try {
          for (const f of await m.fitted.predict(horizon, covariates, asked)) bySeries.set(f.seriesId, [...(bySeries.get(f.seriesId) ?? []), { forecast: f, weight: m.weight }]);
        } catch (e) {
          if (isGridcastError(e) && e.code === 'INVALID_HORIZON') throw e;
          firstError ??= e;
          failed.push(`${m.label}: ${errText(e)}`);
        }
      }
      if (bySeries.size === 0) throw firstError ?? new GridcastError('ENSEMBLE_SHAPE', `${model} has no member that predicts`);
      const served = serving.filter((m) => !failed.some((f) => f.startsWith(`${m.label}: `)));
      return [...bySeries.values()].map((parts) => {
        // A lone survivor serves under its own name.
        const f = parts.length === 1 ? parts[0].forecast : combineForecasts(parts, failed.length ? ensembleLabel(served) : model);
        // With a member failed the mixture is not the one calibrated: its averaged bands serve.
        const q = scaled && !failed.length ? scaledQuantiles(f.mean, bandWidth(f.quantiles, f.mean.length), scaled, quantiles, f.quantiles) : pick(f.quantiles, quantiles);
        return failed.length ? { ...f, quantiles: q, fallbackReason: `model-failed (${failed.join('; ')})` } : { ...f, quantiles: q };
      });
    },
    residuals: () => lead.fitted.residuals(),
    historyErrors: () => (lead.fitted.historyErrors ?? lead.fitted.residuals)(),
    toArtifact: () =>
      makeArtifact({ kind: ENSEMBLE_KIND, version: VERSION, params: {} }, window, hash, {
        members: members.map((m) => ({ label: m.label, weight: m.weight, artifact: m.fitted.toArtifact() })),
        ...(info.state && info.loss && info.endMs !== undefined && info.horizonSteps ? { aggregation: { state: info.state, loss: info.loss, endMs: info.endMs, horizonSteps: info.horizonSteps } } : {}),
        ...(info.bands ? { bands: info.bands } : {}),
        ...(info.weatherError ? { weatherError: info.weatherError } : {}),
        // Where the next online round starts, for the bands even without an aggregation state.
        ...(info.endMs !== undefined && info.horizonSteps ? { at: { endMs: info.endMs, horizonSteps: info.horizonSteps } } : {}),
      }),
  };
}

interface StoredEnsemble {
  members: { label: string; weight: number; artifact: ModelArtifact }[];
  aggregation?: { state: MlpolState; loss: AggregationLoss; endMs: number; horizonSteps: number };
  bands?: BandState;
  weatherError?: WeatherError;
  at?: { endMs: number; horizonSteps: number };
}

export function ensembleFromArtifact(a: ModelArtifact, load: (a: ModelArtifact) => FittedForecaster): FittedForecaster {
  const s = openArtifact<StoredEnsemble>(a, ENSEMBLE_KIND, VERSION);
  return createEnsemble(
    s.members.map((m) => ({ label: m.label, weight: m.weight, fitted: load(m.artifact) })),
    a.trainWindow,
    a.dataHash,
    { ...s.at, ...s.aggregation, ...(s.bands ? { bands: s.bands } : {}), ...(s.weatherError ? { weatherError: s.weatherError } : {}) },
  );
}

/** What a failure of the mixture is named after: its one serving member's label, or the mixture's kind. */
export function ensembleName(a: ModelArtifact): string {
  const serving = openArtifact<StoredEnsemble>(a, ENSEMBLE_KIND, VERSION).members.filter((m) => m.weight > 0);
  return serving.length === 1 ? serving[0].label : ENSEMBLE_KIND;
}

/** The artifact of the member with the largest weight (what explains the mixture). */
export function leadArtifact(a: ModelArtifact): ModelArtifact {
  const s = openArtifact<StoredEnsemble>(a, ENSEMBLE_KIND, VERSION);
  return s.members.reduce((x, y) => (y.weight > x.weight ? y : x)).artifact;
}
