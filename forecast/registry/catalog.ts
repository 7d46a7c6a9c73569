import { GridcastError } from '../../core/errors.ts';
import type { AuditEntry } from '../../core/audit.ts';
import type { ModelRecord, ModelVersion, RegistryQueries, VersionStatus } from '../../core/registry.ts';

/** A model with how many versions it has in each status and its champion. */
export interface ModelSummary extends ModelRecord {
  champion: string | null;
  versions: Record<VersionStatus, number>;
}

/** Every model of the registry, by name. */
export async function modelSummaries(q: RegistryQueries): Promise<ModelSummary[]> {
  const [models, versions] = await Promise.all([q.models(), q.versions()]);
  return models.map((m) => {
    const own = versions.filter((v) => v.model === m.name);
    const count = (s: VersionStatus) => own.filter((v) => v.status === s).length;
    return {
      ...m,
      champion: own.find((v) => v.status === 'champion')?.id ?? null,
      versions: { candidate: count('candidate'), shadow: count('shadow'), champion: count('champion'), retired: count('retired') },
    };
  });
}

/** A model and its versions, newest first; MODEL_NOT_FOUND for an unknown name. */
export async function modelDetail(q: RegistryQueries, name: string): Promise<{ model: ModelRecord; versions: ModelVersion[] }> {
  const model = await q.model(name);
  if (!model) throw new GridcastError('MODEL_NOT_FOUND', `no model '${name}' (see GET /api/v1/models or 'gridcast models list')`, { model: name });
  return { model, versions: await q.versions({ model: name }) };
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** The id to pass as `before` for the next (older) page; null on the last page. */
  next: number | null;
}

export interface AuditFilter {
  entity?: string;
  entityId?: string;
  model?: string;
  before?: number;
  limit: number;
}

/**
 * The audit log newest first, a page of `limit` entries older than entry `before`, of one
 * entity kind, entity id, or the versions of one model.
 */
export async function auditPage(q: RegistryQueries, f: AuditFilter): Promise<AuditPage> {
  const rows = await q.audit({
    ...(f.entity ? { entity: f.entity } : {}),
    ...(f.entityId ? { entityId: f.entityId } : {}),
    ...(f.model ? { entityPrefix: `${f.model}@` } : {}),
    ...(f.before !== undefined ? { beforeId: f.before } : {}),
    // One more than asked tells whether an older page exists.
    limit: f.limit + 1,
  });
  const entries = rows.reverse().slice(0, f.limit);
  return { entries, next: rows.length > f.limit ? entries[entries.length - 1].id : null };
}
