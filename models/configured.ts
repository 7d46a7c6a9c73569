import type { FittedForecaster, Forecaster, ModelArtifact } from '../core/types.ts';
import { autoFromArtifact, buildForecaster, createAutoForecaster, DEFAULT_AUTO } from './auto.ts';
import { fromArtifact } from './catalog.ts';

export interface ModelSpecRef {
  kind: string;
  params: Record<string, unknown>;
}

/**
 * A model as gridcast builds it for runs, training and backtests: wherever a GAM is built, its
 * calendar knows the configured country's public holidays, and 'gam-arima' without a base means
 * ARIMA on that GAM (the catalog's own default base is a profile, for use without weather).
 */
export function configuredForecaster(spec: ModelSpecRef, holidays?: string): Forecaster {
  const gam = { kind: 'gam', params: holidays ? { calendar: { country: holidays } } : {} };
  const { kind, params } = spec;
  if (kind === 'auto') {
    if (!holidays) return createAutoForecaster(params);
    const calendarGam = { kind: 'gam', params: { ...gam.params, temperature: 'none' } };
    return createAutoForecaster({
      ...params,
      ...(params.primary === undefined ? { primary: { ...DEFAULT_AUTO.primary, params: { base: gam } } } : {}),
      ...(params.calendar === undefined ? { calendar: { ...DEFAULT_AUTO.calendar, params: { ...DEFAULT_AUTO.calendar.params, base: calendarGam } } } : {}),
    });
  }
  if (kind === 'gam') return buildForecaster({ kind, params: { ...gam.params, ...params } });
  if (kind === 'gam-arima' && params.base === undefined) return buildForecaster({ kind, params: { ...params, base: gam } });
  return buildForecaster({ kind, params });
}

/** A fitted model from a registry artifact ('auto' is not in the catalog: it wraps catalog models). */
export function loadFitted(a: ModelArtifact): FittedForecaster {
  return a.spec?.kind === 'auto' ? autoFromArtifact(a) : fromArtifact(a);
}
