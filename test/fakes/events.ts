import { ACKNOWLEDGEABLE, type Acknowledgement, type AcknowledgementLog, type EventLog, type EventQuery, type MonitoringEvent } from '../../core/events.ts';

const ackOf = (r: MonitoringEvent): Acknowledgement => ({
  eventId: Number(r.detail.eventId), id: r.id, at: r.at, by: String(r.detail.by), comment: typeof r.detail.comment === 'string' ? r.detail.comment : null,
});

/** The event log in memory, with the real repository's listing and acknowledgement rules (newest first, half-open [from, to), limit, one acknowledgement per event). */
export function fakeEvents(): EventLog & AcknowledgementLog & { rows: MonitoringEvent[] } {
  const rows: MonitoringEvent[] = [];
  const acks = () => new Map(rows.filter((r) => r.kind === 'alarm-acknowledged').map((r) => [Number(r.detail.eventId), ackOf(r)]));
  const log: EventLog & AcknowledgementLog & { rows: MonitoringEvent[] } = {
    rows,
    async append(e) {
      if (e.kind === 'alarm-acknowledged' && acks().has(Number(e.detail?.eventId))) throw new Error(`event ${String(e.detail?.eventId)} is already acknowledged (unique index)`);
      const row: MonitoringEvent = {
        id: rows.length + 1,
        at: e.at,
        kind: e.kind,
        severity: e.severity ?? 'info',
        seriesId: e.seriesId ?? null,
        modelVersion: e.modelVersion ?? null,
        runId: e.runId ?? null,
        detail: structuredClone(e.detail ?? {}),
        recordedAt: new Date(),
      };
      rows.push(row);
      return structuredClone(row);
    },
    async list(q: EventQuery = {}) {
      const acked = acks();
      return rows
        .filter((r) => !q.kinds || q.kinds.includes(r.kind))
        .filter((r) => q.seriesId === undefined || r.seriesId === q.seriesId)
        .filter((r) => q.modelVersion === undefined || r.modelVersion === q.modelVersion)
        .filter((r) => !q.from || r.at >= q.from)
        .filter((r) => !q.to || r.at < q.to)
        .filter((r) => q.beforeId === undefined || r.id < q.beforeId)
        .filter((r) => q.acknowledged === undefined || (q.acknowledged ? acked.has(r.id) : ACKNOWLEDGEABLE.includes(r.severity) && !acked.has(r.id)))
        .sort((a, b) => b.at.getTime() - a.at.getTime() || b.id - a.id)
        .slice(0, q.limit ?? 1000)
        .map((r) => structuredClone(r));
    },
    async get(id) {
      const r = rows.find((x) => x.id === id);
      return r ? structuredClone(r) : null;
    },
    async acknowledge(event, a) {
      const existing = acks().get(event.id);
      if (existing) return { acknowledgement: existing, created: false };
      const row = await log.append({
        at: a.at, kind: 'alarm-acknowledged', seriesId: event.seriesId, modelVersion: event.modelVersion, runId: event.runId,
        detail: { eventId: event.id, kind: event.kind, severity: event.severity, by: a.by, ...(a.comment !== null && { comment: a.comment }) },
      });
      return { acknowledgement: ackOf(row), created: true };
    },
    async acknowledgements(eventIds) {
      const acked = acks();
      return new Map(eventIds.flatMap((id) => (acked.has(id) ? [[id, acked.get(id)!] as const] : [])));
    },
  };
  return log;
}
