import type { EventLog, MonitoringEvent } from '../../core/events.ts';
import type { Log } from '../../core/log.ts';
import { silentLog } from '../../core/log.ts';
import type { Db } from '../../store/db.ts';

/**
 * The event log of the composition root. The store's event table (store/events.repository.ts,
 * migration 090) is being built beside this branch; until it is merged, events of shadow
 * scoring and promotion are written as log lines (kind, version, detail) so nothing is lost
 * from the operator's view, and this one function becomes `eventsRepository(db)`.
 */
export function eventLog(_db: Db, log: Log = silentLog): EventLog {
  let id = 0;
  return {
    async append(e) {
      const event: MonitoringEvent = { severity: 'info', seriesId: null, modelVersion: null, runId: null, detail: {}, ...e, id: ++id, recordedAt: new Date() };
      (event.severity === 'info' ? log.info : log.warn).call(log, { event: event.kind, at: event.at.toISOString(), modelVersion: event.modelVersion, runId: event.runId, detail: event.detail }, `event ${event.kind}`);
      return event;
    },
    list: async () => [],
  };
}
