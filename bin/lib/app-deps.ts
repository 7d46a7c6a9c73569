import { ApiKeyService } from '../../api/auth/api-key.service.ts';
import type { AuditSink } from '../../api/audit.ts';
import type { MetricsSource } from '../../api/metrics.ts';
import { apiKeysRepository } from '../../store/api-keys.repository.ts';
import { appendAudit } from '../../store/audit.repository.ts';
import type { Db } from '../../store/db.ts';
import { metricsRepository } from '../../store/metrics.repository.ts';
import { eventsRepository } from '../../store/events.repository.ts';

/** The API key service over the store (`gridcast start`, `gridcast apikey`). */
export const apiKeyService = (db: Db) => new ApiKeyService(apiKeysRepository(db));

/** What buildApp needs from the store besides /health: keys, the audit log and the /metrics reads. */
export function storeAppDeps(db: Db): { apiKeys: ApiKeyService; audit: AuditSink; metrics: MetricsSource } {
  const metrics = metricsRepository(db);
  return {
    apiKeys: apiKeyService(db),
    audit: async (e) => {
      await appendAudit(db, e);
    },
    metrics: {
      ...metrics,
      eventCounts: () => eventsRepository(db).countsByKind(),
      pool: () => ({ kind: db.kind, ...db.poolStats?.() }),
    },
  };
}
