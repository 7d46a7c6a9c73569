import { EVENT_KINDS, type EventKind, type EventLog, type EventQuery, type MonitoringEvent, type NewEvent } from '../core/events.ts';
import type { Queryable } from './db.ts';

export interface EventDbRow {
  id: number;
  at: Date;
  kind: MonitoringEvent['kind'];
  severity: MonitoringEvent['severity'];
  series_id: string | null;
  model_version: string | null;
  run_id: number | null;
  detail: Record<string, unknown>;
  recorded_at: Date;
}

export const EVENT_COLUMNS = 'id, at, kind, severity, series_id, model_version, run_id, detail, recorded_at';

export const eventFromDb = (r: EventDbRow): MonitoringEvent => ({
  id: r.id,
  at: r.at,
  kind: r.kind,
  severity: r.severity,
  seriesId: r.series_id,
  modelVersion: r.model_version,
  runId: r.run_id,
  detail: r.detail ?? {},
  recordedAt: r.recorded_at,
});

/** The event log on the store (migration 090): append-only, enforced by triggers. */
export function eventsRepository(q: Queryable): EventLog & { countsByKind(): Promise<Array<{ kind: EventKind; events: number }>> } {
  return {
    async append(e: NewEvent) {
      const { rows } = await q.query<EventDbRow>(
        `INSERT INTO events (at, kind, severity, series_id, model_version, run_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING ${EVENT_COLUMNS}`,
        [e.at, e.kind, e.severity ?? 'info', e.seriesId ?? null, e.modelVersion ?? null, e.runId ?? null, JSON.stringify(e.detail ?? {})],
      );
      return eventFromDb(rows[0]);
    },

    async list(f: EventQuery = {}) {
      const { rows } = await q.query<EventDbRow>(
        `SELECT ${EVENT_COLUMNS} FROM events
         WHERE ($1::text[] IS NULL OR kind = ANY($1)) AND ($2::text IS NULL OR series_id = $2)
           AND ($3::text IS NULL OR model_version = $3) AND ($4::timestamptz IS NULL OR at >= $4)
           AND ($5::timestamptz IS NULL OR at < $5) AND ($6::bigint IS NULL OR id < $6)
         ORDER BY at DESC, id DESC LIMIT $7`,
        [f.kinds ?? null, f.seriesId ?? null, f.modelVersion ?? null, f.from ?? null, f.to ?? null, f.beforeId ?? null, f.limit ?? 1000],
      );
      return rows.map(eventFromDb);
    },

    /**
     * Events of each kind ever appended (for the gridcast_events_total counter): one index-only
     * count per kind on events_kind_at_idx. The log holds alarms and decisions, not data points,
     * so it stays small enough to count at each scrape.
     */
    async countsByKind() {
      const { rows } = await q.query<{ kind: EventKind; events: number }>(
        `SELECT k AS kind, (SELECT count(*) FROM events e WHERE e.kind = k)::int AS events FROM unnest($1::text[]) AS k ORDER BY k`,
        [EVENT_KINDS],
      );
      return rows;
    },
  };
}
