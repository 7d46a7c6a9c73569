import { GridcastError } from '../core/errors.ts';
import type { ModelArtifact } from '../core/types.ts';
import { autoChoiceArtifact } from './auto.ts';
import { gamArimaBaseArtifact } from './gam-arima.ts';
import type { EffectOptions } from './gam/effects.ts';
import { gamSeriesOf } from './gam/gam-forecaster.ts';
import { loadGamEffects, type LoadGamEffects } from './gam/load-effects.ts';

export interface ModelExplanation extends LoadGamEffects {
  seriesId: string;
  /** The models from the stored one down to the GAM explained, e.g. ['auto', 'gam-arima', 'gam']. */
  path: string[];
  /** The days the GAM was fitted without, as abnormal (an outage, a storm): each day's first step, ISO. */
  abnormalDays: string[];
}

const describe = (path: string[]) => path.join(' → ');

/**
 * The GAM behind one series of a stored model, with the models from the stored one down to it: the
 * model itself ('gam'), the base of a 'gam-arima', or what 'auto' chose for the series; `gam` is
 * null where another model serves it.
 */
function gamBehind(a: ModelArtifact, seriesId: string): { path: string[]; gam: NonNullable<ReturnType<typeof gamSeriesOf>> | null } {
  const path: string[] = [];
  let current = a;
  for (;;) {
    const kind = current.spec?.kind;
    path.push(kind);
    if (kind === 'gam') {
      const g = gamSeriesOf(current, seriesId);
      if (!g) throw new GridcastError('VERSION_SERIES_NOT_FOUND', `The model was not fitted on series '${seriesId}'.`, { seriesId });
      return { path, gam: g };
    }
    if (kind === 'gam-arima') {
      current = gamArimaBaseArtifact(current);
      continue;
    }
    if (kind === 'auto') {
      const choice = autoChoiceArtifact(current, seriesId);
      if (!choice) throw new GridcastError('VERSION_SERIES_NOT_FOUND', `The model was not fitted on series '${seriesId}'.`, { seriesId });
      current = choice.artifact;
      continue;
    }
    return { path, gam: null };
  }
}

/**
 * The partial effects of the GAM behind one series of a stored model (gamBehind); any other model
 * has no partial effects (MODEL_NO_PARTIAL_EFFECTS).
 */
export function explainArtifact(a: ModelArtifact, seriesId: string, opts: EffectOptions = {}): ModelExplanation {
  const { path, gam } = gamBehind(a, seriesId);
  if (gam) return { seriesId, path, abnormalDays: gam.abnormalDays, ...loadGamEffects(gam, opts) };
  throw new GridcastError(
    'MODEL_NO_PARTIAL_EFFECTS',
    `Series '${seriesId}' is forecast by ${describe(path)}: only a GAM (gam, gam-arima on a GAM, or auto where it chose one) has partial effects.`,
    { seriesId, path },
  );
}

/** The days the GAM behind a series was fitted without, as abnormal; none where no GAM serves it. */
export function abnormalDaysOf(a: ModelArtifact, seriesId: string): string[] {
  return gamBehind(a, seriesId).gam?.abnormalDays ?? [];
}
