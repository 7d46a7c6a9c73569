import { GridcastError } from '../../core/errors.ts';
import type { Forecaster } from '../../core/types.ts';
import { buildForecaster, createAutoForecaster } from '../../models/auto.ts';
import { MODEL_KINDS } from '../../models/catalog.ts';
import { createLstmForecaster } from '../../models/lstm/forecaster.ts';
import type { LstmParams } from '../../models/lstm/params.ts';

/** Model names the backtest accepts. */
export const BACKTEST_MODELS = ['seasonal-naive', 'profile', 'gam', 'gam-arima', 'lstm', 'auto'] as const;

/**
 * The forecaster behind a model name. 'gam-arima' means ARIMA on the residuals of the GAM (the
 * catalog's own default base is a profile, for when no GAM is registered).
 */
export function forecasterFor(name: string, params: Record<string, unknown> = {}, opts: { holidays?: string } = {}): Forecaster {
  if (!(BACKTEST_MODELS as readonly string[]).includes(name)) {
    throw new GridcastError('UNKNOWN_MODEL', `unknown model '${name}'; use one of ${BACKTEST_MODELS.join(', ')}`, { model: name });
  }
  // The GAM's calendar (public holidays of a country) wherever a GAM is built.
  const gamParams = opts.holidays ? { calendar: { country: opts.holidays } } : {};
  if (name === 'auto') {
    return createAutoForecaster(opts.holidays && !params.primary ? { ...params, primary: { kind: 'gam-arima', params: { base: { kind: 'gam', params: gamParams } } } } : params);
  }
  if (name === 'gam') return buildForecaster({ kind: 'gam', params: { ...gamParams, ...params } });
  // Not in the catalog (yet): the LSTM is built directly.
  if (name === 'lstm' && !MODEL_KINDS.includes('lstm')) return createLstmForecaster(params as Partial<LstmParams>);
  return buildForecaster({ kind: name, params: name === 'gam-arima' && params.base === undefined ? { ...params, base: { kind: 'gam', params: gamParams } } : params });
}
