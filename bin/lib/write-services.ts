import type { Config } from '../../core/config.ts';
import { ingestBatch } from '../../ingest/csv/ingest-csv.ts';
import { runForecast } from '../../forecast/run/service.ts';
import { auditPage, modelDetail, modelSummaries } from '../../forecast/registry/catalog.ts';
import { promoteVersion, retireVersion, rollbackModel, setShadow } from '../../forecast/registry/service.ts';
import type { Db } from '../../store/db.ts';
import type { WriteServices } from '../../api/write-services.ts';
import { runDeps } from './run-deps.ts';

/** The write and registry services of the API over one store. */
export function writeServices(db: Db, config: Config): WriteServices {
  return {
    ingest: (src, opts, timings) => ingestBatch(db, src, opts, timings),
    bodyLimitBytes: config.api.bodyLimitBytes,
    runs: (req, log) => runForecast(runDeps(db, config, log), req),
    registry: {
      modelSummaries: () => modelSummaries(db),
      modelDetail: (name) => modelDetail(db, name),
      auditPage: (f) => auditPage(db, f),
      promote: (id, by) => promoteVersion(db, id, by),
      rollback: (model, by) => rollbackModel(db, model, by),
      shadow: (id, by) => setShadow(db, id, by),
      retire: (id, by) => retireVersion(db, id, by),
    },
  };
}
