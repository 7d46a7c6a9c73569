import type { z } from 'zod';
import type { AuditView, ModelSummaryView, VersionView } from '../../api/routes/v1/registry.ts';
import { isGridcastError } from '../../core/errors.ts';
import type { ModelVersion, RegistryQueries, VersionStatus } from '../../core/registry.ts';
import type { AuditEntry } from '../../core/audit.ts';
import type { ServerApi } from './through-server.ts';

/** What `gridcast models list|show|audit` read, from the store or through a running server. */
export interface RegistryReads {
  versions(filter: { model?: string; status?: VersionStatus }): Promise<ModelVersion[]>;
  version(id: string): Promise<ModelVersion | null>;
  /** The `limit` most recent entries (default 1000), oldest first, of a version (`entityId`) or a model's versions (`model`). */
  audit(filter: { entityId?: string; model?: string; limit?: number }): Promise<AuditEntry[]>;
}

const AUDIT_LIMIT = 1000;
/** The API's largest audit page (api/routes/v1/registry.ts AUDIT_MAX_LIMIT). */
const AUDIT_PAGE = 500;

export const storeRegistryReads = (registry: RegistryQueries): RegistryReads => ({
  versions: (filter) => registry.versions(filter),
  version: (id) => registry.version(id),
  audit: ({ entityId, model, limit }) => registry.audit({ ...(entityId ? { entityId } : {}), ...(model ? { entityPrefix: `${model}@` } : {}), limit: limit ?? AUDIT_LIMIT }),
});

const fromView = (v: z.infer<typeof VersionView>): ModelVersion => {
  const { hasWeatherFreeCompanion, statusAt, trainStart, trainEnd, createdAt, spec, ...rest } = v;
  return {
    ...rest,
    spec: spec as ModelVersion['spec'],
    hasCompanion: hasWeatherFreeCompanion,
    statusAt: new Date(statusAt),
    trainStart: new Date(trainStart),
    trainEnd: new Date(trainEnd),
    createdAt: new Date(createdAt),
  };
};

/** The registry through GET /api/v1/models, /models/{name} and /audit, in the order the store lists it. */
export function serverRegistryReads(api: ServerApi): RegistryReads {
  const modelVersions = async (name: string): Promise<ModelVersion[]> => {
    try {
      return (await api.get<{ versions: Array<z.infer<typeof VersionView>> }>(`/models/${encodeURIComponent(name)}`)).versions.map(fromView);
    } catch (e) {
      // The store lists no versions of an unknown model rather than failing.
      if (isGridcastError(e) && (e.code === 'MODEL_NOT_FOUND' || e.code === 'REQUEST_INVALID')) return [];
      throw e;
    }
  };
  return {
    async versions({ model, status }) {
      const names = model ? [model] : (await api.get<{ items: Array<z.infer<typeof ModelSummaryView>> }>('/models')).items.map((m) => m.name);
      const all = (await Promise.all(names.map(modelVersions))).flat().filter((v) => !status || v.status === status);
      // listVersions: ORDER BY created_at DESC, model, version DESC.
      return all.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0) || b.version - a.version);
    },
    async version(id) {
      const at = id.lastIndexOf('@');
      if (at <= 0) return null;
      return (await modelVersions(id.slice(0, at))).find((v) => v.id === id) ?? null;
    },
    async audit({ entityId, model, limit = AUDIT_LIMIT }) {
      const entries: AuditEntry[] = [];
      if (limit <= 0) return entries;
      let cursor: string | undefined;
      do {
        const page = await api.get<{ items: Array<z.infer<typeof AuditView>>; nextCursor: string | null }>('/audit', {
          entityId,
          model,
          cursor,
          limit: Math.min(AUDIT_PAGE, limit - entries.length),
        });
        entries.push(...page.items.map((e) => ({ ...e, at: new Date(e.at) })));
        cursor = page.nextCursor ?? undefined;
      } while (cursor && entries.length < limit);
      // Pages come newest first; the store prints the most recent entries oldest first.
      return entries.reverse();
    },
  };
}
