import { GridcastError } from '../../core/errors.ts';
import { DEFAULT_QUANTILES, type Capabilities, type Covariates, type Forecast, type Forecaster, type FittedForecaster, type ModelArtifact, type Series } from '../../core/types.ts';
import { dataHash, makeArtifact, openArtifact, trainWindow } from '../artifact.ts';
import { checkLevels } from '../quantiles/empirical.ts';
import { endOf } from '../timeindex.ts';
import { requireHorizon } from './history.ts';

/** What a per-series model keeps about one series after fit. */
export interface SeriesFit<S> {
  id: string;
  /** Epoch ms of the first step after the history. */
  nextMs: number;
  stepSec: number;
  timeZone: string;
  residuals: Float64Array;
  /** Errors over the whole history where residuals cover less (see FittedForecaster.historyErrors); not stored in the artifact. */
  errors?: Float64Array;
  state: S;
}

export interface SeriesPrediction {
  mean: Float64Array;
  quantiles: Record<string, Float64Array>;
  fallbackReason?: string;
}

/** A model fitted independently on each series (the fallbacks): only these two functions differ. */
export interface PerSeriesModel<P, S> {
  kind: string;
  version: number;
  capabilities(params: P): Capabilities;
  fitOne(s: Series, covariates: Covariates | undefined, params: P): { state: S; residuals: Float64Array; errors?: Float64Array };
  predictOne(fit: SeriesFit<S>, horizon: number, covariates: Covariates | undefined, levels: number[], params: P): SeriesPrediction;
}

/** Common to every fallback. */
export interface FallbackParams {
  /** Label written to Forecast.fallbackReason (e.g. 'model-failed', 'rupture'). */
  reason?: string;
  /** Step (s) for which capabilities.minHistory is stated; fit() checks the series' own step. Default 3600. */
  stepSec?: number;
}

export const stepsPerDayOf = (p: FallbackParams) => 86_400 / (p.stepSec ?? 3600);

export function perSeriesForecaster<P extends FallbackParams, S>(m: PerSeriesModel<P, S>, params: P): Forecaster<P> {
  const spec = { kind: m.kind, version: m.version, params };
  return {
    spec,
    capabilities: m.capabilities(params),
    async fit(history, covariates) {
      if (history.length === 0) throw new GridcastError('NO_SERIES', `${m.kind}: fit() needs at least one series`);
      const fits = history.map((s) => {
        const { state, residuals, errors } = m.fitOne(s, covariates?.get(s.id), params);
        return { id: s.id, nextMs: endOf(s).getTime(), stepSec: s.stepSec, timeZone: s.timeZone ?? 'UTC', residuals, ...(errors ? { errors } : {}), state };
      });
      return fitted(m, params, fits, trainWindow(history), dataHash(history, covariates));
    },
  };
}

function fitted<P extends FallbackParams, S>(
  m: PerSeriesModel<P, S>,
  params: P,
  fits: SeriesFit<S>[],
  window: { start: string; end: string },
  hash: string,
): FittedForecaster<P> {
  const spec = { kind: m.kind, version: m.version, params };
  const self: FittedForecaster<P> = {
    spec,
    // These models have no parameters beyond the data, so conditioning on more history is a refit.
    async condition(history, covariates) {
      return perSeriesForecaster(m, params).fit(history, covariates);
    },
    async predict(horizon, covariates, quantiles = [...DEFAULT_QUANTILES]): Promise<Forecast[]> {
      requireHorizon(m.kind, horizon);
      const levels = checkLevels(quantiles);
      return fits.map((f) => {
        const p = m.predictOne(f, horizon, covariates?.get(f.id), levels, params);
        assertFinite(m.kind, f.id, p);
        const reason = params.reason ?? p.fallbackReason;
        return {
          seriesId: f.id,
          start: new Date(f.nextMs),
          stepSec: f.stepSec,
          mean: p.mean,
          quantiles: p.quantiles,
          model: m.kind,
          ...(reason ? { fallbackReason: reason } : {}),
        };
      });
    },
    residuals: () => new Map(fits.map((f) => [f.id, f.residuals])),
    historyErrors: () => new Map(fits.map((f) => [f.id, f.errors ?? f.residuals])),
    // History errors serve the run that fitted the model; a stored model is refitted (conditioned) before a run.
    toArtifact: () => makeArtifact(spec, window, hash, { fits: fits.map(({ errors: _errors, ...f }) => f) }),
  };
  return self;
}

export function perSeriesFromArtifact<P extends FallbackParams, S>(m: PerSeriesModel<P, S>, a: ModelArtifact): FittedForecaster<P> {
  const { fits } = openArtifact<{ fits: SeriesFit<S>[] }>(a, m.kind, m.version);
  return fitted(m, a.spec.params as P, fits, a.trainWindow, a.dataHash);
}

/** Output guard: a NaN forecast must never leave a model. */
function assertFinite(kind: string, id: string, p: SeriesPrediction): void {
  const bad = [p.mean, ...Object.values(p.quantiles)].some((a) => !a.every(Number.isFinite));
  if (bad) throw new GridcastError('FORECAST_NOT_FINITE', `${kind} produced a non-finite forecast for series '${id}'; check its history for gaps`, { kind, seriesId: id });
}
