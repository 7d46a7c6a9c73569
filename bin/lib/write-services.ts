import type { Config } from '../../core/config.ts';
import { ingestBatch } from '../../ingest/csv/ingest-csv.ts';
import { ingestSchedules } from '../../ingest/schedules/schedules.service.ts';
import { scheduleRepository } from '../../store/schedules.repository.ts';
import { runForecast } from '../../forecast/run/service.ts';
import { auditPage, modelDetail, modelSummaries } from '../../forecast/registry/catalog.ts';
import { registryStatusService } from '../../forecast/registry/status-changes.ts';
import type { Db } from '../../store/db.ts';
import { ingestStore } from '../../store/ingest.repository.ts';
import { registryRepository } from '../../store/registry.repository.ts';
import type { WriteServices } from '../../api/write-services.ts';
import { runDeps } from './run-deps.ts';
import { fallbackSwitchesOf } from '../../jobs/registry.ts';
import { eventsRepository } from '../../store/events.repository.ts';
import { promotionServiceOf } from './promotion-service.ts';
import { compareVersions } from '../../monitoring/compare.service.ts';
import { comparisonRepository } from '../../store/comparison.repository.ts';
import { createAlarmAcknowledger } from '../../monitoring/acknowledgement.service.ts';
import { createVersionEffects } from '../../forecast/registry/effects.ts';
import { loadArtifact } from '../../store/registry.repository.ts';
import { ingestTransfers, type TransferIngestDeps } from '../../ingest/planned/transfers.service.ts';
import { transfersRepository } from '../../store/transfers.repository.ts';
import { listSeries } from '../../store/series.repository.ts';

/** Planned transfers over one store, their nodes checked against the topology. */
export const transferIngestDeps = (db: Db): TransferIngestDeps => ({
  store: transfersRepository(db),
  knownNodes: async (ids) => {
    const stored = new Set((await listSeries(db)).map((r) => r.id));
    return new Set(ids.filter((id) => stored.has(id)));
  },
});

/** The write and registry services of the API over one store. */
export function writeServices(db: Db, config: Config): WriteServices {
  const registry = registryRepository(db);
  const changes = registryStatusService({ registry });
  const promotion = promotionServiceOf(db, config);
  return {
    alarms: createAlarmAcknowledger({ events: eventsRepository(db) }),
    ingest: (src, opts, timings) => ingestBatch(ingestStore(db), src, opts, timings),
    schedules: (batch) => ingestSchedules(scheduleRepository(db), batch),
    bodyLimitBytes: config.api.bodyLimitBytes,
    transfers: (rows) => ingestTransfers(transferIngestDeps(db), rows),
    runs: async (req, log) => {
      const s = await runForecast(runDeps(db, config, log), req);
      await fallbackSwitchesOf(db, eventsRepository(db))(s.runId);
      return s;
    },
    registry: {
      modelSummaries: () => modelSummaries(registry),
      effects: createVersionEffects({ registry, artifact: (id) => loadArtifact(db, id) }),
      modelDetail: (name) => modelDetail(registry, name),
      auditPage: (f) => auditPage(registry, f),
      promote: promotion.promote,
      rollback: promotion.rollback,
      propose: promotion.propose,
      signoff: promotion.signoff,
      proposals: promotion.proposals,
      history: promotion.history,
      compare: (q) => compareVersions(comparisonRepository(db), q),
      shadow: changes.shadow,
      retire: changes.retire,
    },
  };
}
