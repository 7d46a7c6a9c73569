import { GridcastError } from '../../core/errors.ts';
import type { ModelVersion, RegistryQueries } from '../../core/registry.ts';
import type { ModelArtifact } from '../../core/types.ts';
import { explainArtifact, type ModelExplanation } from '../../models/explain.ts';
import type { EffectOptions } from '../../models/gam/effects.ts';

export interface VersionEffectsRequest extends Pick<EffectOptions, 'points' | 'surfacePoints'> {
  model: string;
  version: number;
  /** Required when the version covers several series. */
  seriesId?: string;
}

export type VersionEffects = (q: VersionEffectsRequest) => Promise<{ version: ModelVersion; explanation: ModelExplanation }>;

/** Artifacts kept decoded: a stored version never changes, and its series are asked for one after another. */
const KEPT_ARTIFACTS = 2;

/**
 * The partial effects of a registered version's GAM for one of its series, from its stored
 * artifact (models/explain.ts): what the dashboard's model explanation draws. The last artifacts
 * read are kept (a load GAM's is large: its coefficients' covariance).
 */
export function createVersionEffects(deps: { registry: Pick<RegistryQueries, 'model' | 'version'>; artifact: (id: string) => Promise<ModelArtifact> }): VersionEffects {
  const kept = new Map<string, Promise<ModelArtifact>>();
  const artifact = (id: string) => {
    let a = kept.get(id);
    if (!a) {
      a = deps.artifact(id);
      kept.set(id, a);
      a.catch(() => kept.delete(id));
      while (kept.size > KEPT_ARTIFACTS) kept.delete(kept.keys().next().value!);
    }
    return a;
  };
  return (q) => versionEffects({ registry: deps.registry, artifact }, q);
}

async function versionEffects(
  deps: { registry: Pick<RegistryQueries, 'model' | 'version'>; artifact: (id: string) => Promise<ModelArtifact> },
  q: VersionEffectsRequest,
): Promise<{ version: ModelVersion; explanation: ModelExplanation }> {
  if (!(await deps.registry.model(q.model))) throw new GridcastError('MODEL_NOT_FOUND', `no model '${q.model}' (see GET /api/v1/models or 'gridcast models list')`, { model: q.model });
  const id = `${q.model}@${q.version}`;
  const version = await deps.registry.version(id);
  if (!version) throw new GridcastError('VERSION_NOT_FOUND', `no model version '${id}' (see GET /api/v1/models/${q.model})`, { id });
  let seriesId = q.seriesId;
  if (seriesId === undefined) {
    if (version.seriesIds.length !== 1) {
      throw new GridcastError('EFFECTS_SERIES_REQUIRED', `${id} covers ${version.seriesIds.length} series: pass series=ID, one of ${version.seriesIds.slice(0, 10).join(', ')}${version.seriesIds.length > 10 ? ', …' : ''}.`, { id, series: version.seriesIds.slice(0, 100) });
    }
    seriesId = version.seriesIds[0];
  } else if (!version.seriesIds.includes(seriesId)) {
    throw new GridcastError('VERSION_SERIES_NOT_FOUND', `${id} was not trained on series '${seriesId}'; it covers ${version.seriesIds.slice(0, 10).join(', ')}${version.seriesIds.length > 10 ? ', …' : ''}.`, { id, seriesId });
  }
  const explanation = explainArtifact(await deps.artifact(id), seriesId, {
    ...(q.points !== undefined && { points: q.points }),
    ...(q.surfacePoints !== undefined && { surfacePoints: q.surfacePoints }),
  });
  return { version, explanation };
}
