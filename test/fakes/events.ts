import type { EventLog, EventQuery, MonitoringEvent } from '../../core/events.ts';

/** The event log in memory, with the real repository's listing rules (newest first, half-open [from, to), limit). */
export function fakeEvents(): EventLog & { rows: MonitoringEvent[] } {
  const rows: MonitoringEvent[] = [];
  return {
    rows,
    async append(e) {
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
      return rows
        .filter((r) => !q.kinds || q.kinds.includes(r.kind))
        .filter((r) => q.seriesId === undefined || r.seriesId === q.seriesId)
        .filter((r) => q.modelVersion === undefined || r.modelVersion === q.modelVersion)
        .filter((r) => !q.from || r.at >= q.from)
        .filter((r) => !q.to || r.at < q.to)
        .filter((r) => q.beforeId === undefined || r.id < q.beforeId)
        .sort((a, b) => b.at.getTime() - a.at.getTime() || b.id - a.id)
        .slice(0, q.limit ?? 1000)
        .map((r) => structuredClone(r));
    },
  };
}
