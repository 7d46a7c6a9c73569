import { GridcastError } from '../../core/errors.ts';
import type { Forecaster } from '../../core/types.ts';
import { configuredForecaster } from '../../models/configured.ts';

/** Model names the backtest and training accept. */
export const BACKTEST_MODELS = ['seasonal-naive', 'profile', 'gam', 'gam-arima', 'lstm', 'auto'] as const;

/** The forecaster behind a model name, built as runs build it (see configuredForecaster). */
export function forecasterFor(name: string, params: Record<string, unknown> = {}, opts: { holidays?: string } = {}): Forecaster {
  if (!(BACKTEST_MODELS as readonly string[]).includes(name)) {
    throw new GridcastError('UNKNOWN_MODEL', `unknown model '${name}'; use one of ${BACKTEST_MODELS.join(', ')}`, { model: name });
  }
  return configuredForecaster({ kind: name, params }, opts.holidays);
}
