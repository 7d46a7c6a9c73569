import { GridcastError } from '../../core/errors.ts';
import type { Covariates, Series } from '../../core/types.ts';
import { finiteCount } from '../timeindex.ts';

/**
 * Rejects a history a model cannot use: shorter than its minimum, or with too few observed
 * values in the window it reads (NaNs inside are tolerated, an all-missing window is not).
 */
export function requireHistory(kind: string, s: Series, minHistory: number, window = s.values.length, minObserved = 0.5): void {
  if (s.values.length < minHistory) {
    throw new GridcastError('HISTORY_TOO_SHORT', `${kind} needs at least ${minHistory} steps of history for series '${s.id}' but got ${s.values.length}; use the shallow-history or sharing-key fallback`, {
      seriesId: s.id,
      kind,
      minHistory,
      length: s.values.length,
    });
  }
  const from = s.values.length - Math.min(window, s.values.length);
  const observed = finiteCount(s.values, from);
  if (observed === 0 || observed < minObserved * Math.min(window, s.values.length, minHistory)) {
    throw new GridcastError('HISTORY_MISSING', `${kind}: series '${s.id}' has only ${observed} observed values in its last ${s.values.length - from} steps; impute or wait for data`, {
      seriesId: s.id,
      kind,
      observed,
    });
  }
}

export function requireHorizon(kind: string, horizon: number): void {
  if (!Number.isInteger(horizon) || horizon < 1) {
    throw new GridcastError('INVALID_HORIZON', `${kind}: horizon must be a positive whole number of steps, got ${horizon}`, { horizon });
  }
}

/** A covariate of horizon (or history) length with every value observed, or a GridcastError. */
export function requireCovariate(kind: string, seriesId: string, covariates: Map<string, Covariates> | undefined, name: string, length: number): Float64Array {
  const c = covariates?.get(seriesId);
  const values = c?.future?.[name] ?? c?.past?.[name];
  if (!values) {
    throw new GridcastError('MISSING_COVARIATE', `${kind} needs covariate '${name}' for series '${seriesId}'`, { seriesId, kind, covariate: name });
  }
  if (values.length !== length) {
    throw new GridcastError('COVARIATE_LENGTH', `${kind}: covariate '${name}' of series '${seriesId}' has ${values.length} values, expected ${length}`, { seriesId, covariate: name, length: values.length, expected: length });
  }
  return values;
}
