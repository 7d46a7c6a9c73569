import { GridcastError } from '../core/errors.ts';
import type { Forecaster, FittedForecaster, ModelArtifact } from '../core/types.ts';
import { ARTIFACT_FORMAT_VERSION } from './artifact.ts';
import { createProfileForecaster, profileFromArtifact } from './fallback/profile.ts';
import { createSeasonalNaiveForecaster, seasonalNaiveFromArtifact } from './fallback/seasonal-naive.ts';
import { createShallowHistoryForecaster, shallowHistoryFromArtifact } from './fallback/shallow-history.ts';
import { createSharingKeyForecaster, sharingKeyFromArtifact } from './fallback/sharing-key.ts';
import { createGamArimaForecaster, gamArimaFromArtifact, type GamArimaParams } from './gam-arima.ts';
import { createGamForecaster, gamFromArtifact } from './gam/gam-forecaster.ts';
import { createLstmForecaster, lstmFromArtifact } from './lstm/forecaster.ts';

/** The one place that knows every model kind: name → forecaster, artifact → fitted model. */
interface Entry {
  create(params: Record<string, unknown>): Forecaster;
  load(a: ModelArtifact): FittedForecaster;
}

type Params = Record<string, unknown>;

/** Base of a composite: a model name, or { kind, params }. */
type BaseRef = string | { kind: string; params?: Params };

/** Base of 'gam-arima' when none is named. */
const DEFAULT_GAM_ARIMA_BASE: BaseRef = 'gam';

const ENTRIES: Record<string, Entry> = {
  gam: { create: (p) => createGamForecaster(p), load: gamFromArtifact },
  lstm: { create: (p) => createLstmForecaster(p), load: lstmFromArtifact },
  'seasonal-naive': { create: (p) => createSeasonalNaiveForecaster(p), load: seasonalNaiveFromArtifact },
  profile: { create: (p) => createProfileForecaster(p), load: profileFromArtifact },
  'sharing-key': { create: (p) => createSharingKeyForecaster(p), load: sharingKeyFromArtifact },
  'shallow-history': { create: (p) => createShallowHistoryForecaster(p), load: shallowHistoryFromArtifact },
  'gam-arima': {
    create: ({ base, ...rest }) => {
      const ref = (base ?? DEFAULT_GAM_ARIMA_BASE) as BaseRef;
      const baseForecaster = typeof ref === 'string' ? createForecaster(ref) : createForecaster(ref.kind, ref.params);
      return createGamArimaForecaster(baseForecaster, rest as Partial<GamArimaParams>);
    },
    load: (a) => gamArimaFromArtifact(a, fromArtifact),
  },
};

export const MODEL_KINDS: readonly string[] = Object.keys(ENTRIES);

export function createForecaster(name: string, params: Params = {}): Forecaster {
  const e = ENTRIES[name];
  if (!e) throw new GridcastError('UNKNOWN_MODEL', `unknown model '${name}'; known models: ${MODEL_KINDS.join(', ')}`, { name });
  return e.create(params);
}

/** A fitted model from its artifact (as stored, e.g. after JSON round trip); predicts exactly as before saving. */
export function fromArtifact(a: ModelArtifact): FittedForecaster {
  if (a?.formatVersion !== ARTIFACT_FORMAT_VERSION) {
    throw new GridcastError('ARTIFACT_FORMAT', `artifact format ${a?.formatVersion} is not supported (expected ${ARTIFACT_FORMAT_VERSION}); retrain the model`, { formatVersion: a?.formatVersion });
  }
  const e = ENTRIES[a.spec?.kind];
  if (!e) throw new GridcastError('UNKNOWN_MODEL', `artifact holds unknown model kind '${a.spec?.kind}'; known: ${MODEL_KINDS.join(', ')}`, { kind: a.spec?.kind });
  return e.load(a);
}
