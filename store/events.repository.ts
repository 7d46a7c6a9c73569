import { ACKNOWLEDGEABLE, EVENT_KINDS, type Acknowledgement, type AcknowledgementLog, type EventKind, type EventLog, type EventQuery, type MonitoringEvent, type NewEvent } from '../core/events.ts';
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

/** An `alarm-acknowledged` event as the acknowledgement it records. */
const ackFromEvent = (e: MonitoringEvent): Acknowledgement => ({
  eventId: Number(e.detail.eventId),
  id: e.id,
  at: e.at,
  by: String(e.detail.by ?? ''),
  comment: typeof e.detail.comment === 'string' ? e.detail.comment : null,
});

/** SQL: the `alarm-acknowledged` event of event `e` exists (events_acknowledged_event_idx, migration 097). */
const ACKED = (e: string) => `EXISTS (SELECT 1 FROM events a WHERE a.kind = 'alarm-acknowledged' AND a.detail ->> 'eventId' = ${e}.id::text)`;

/**
 * The event log on the store (migration 090): append-only, enforced by triggers. Acknowledgements
 * are `alarm-acknowledged` events of the same log, at most one per event (migration 097).
 */
export function eventsRepository(q: Queryable): EventLog & AcknowledgementLog & { countsByKind(): Promise<Array<{ kind: EventKind; events: number }>> } {
  const acknowledgements = async (eventIds: number[]): Promise<Map<number, Acknowledgement>> => {
    if (eventIds.length === 0) return new Map();
    const { rows } = await q.query<EventDbRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE kind = 'alarm-acknowledged' AND detail ->> 'eventId' = ANY($1::text[])`,
      [eventIds.map(String)],
    );
    return new Map(rows.map((r) => [Number(r.detail.eventId), ackFromEvent(eventFromDb(r))]));
  };

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
        `SELECT ${EVENT_COLUMNS} FROM events e
         WHERE ($1::text[] IS NULL OR kind = ANY($1)) AND ($2::text IS NULL OR series_id = $2)
           AND ($3::text IS NULL OR model_version = $3) AND ($4::timestamptz IS NULL OR at >= $4)
           AND ($5::timestamptz IS NULL OR at < $5) AND ($6::bigint IS NULL OR id < $6)
           AND ($8::boolean IS NULL OR (CASE WHEN $8 THEN ${ACKED('e')} ELSE severity = ANY($9::text[]) AND NOT ${ACKED('e')} END))
         ORDER BY at DESC, id DESC LIMIT $7`,
        [f.kinds ?? null, f.seriesId ?? null, f.modelVersion ?? null, f.from ?? null, f.to ?? null, f.beforeId ?? null, f.limit ?? 1000, f.acknowledged ?? null, ACKNOWLEDGEABLE],
      );
      return rows.map(eventFromDb);
    },

    async get(id) {
      const { rows } = await q.query<EventDbRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1`, [id]);
      return rows.length ? eventFromDb(rows[0]) : null;
    },

    async acknowledge(event, a) {
      // The acknowledgement carries the series, version and run of its event, so it lists beside it.
      const { rows } = await q.query<EventDbRow>(
        `INSERT INTO events (at, kind, severity, series_id, model_version, run_id, detail)
         VALUES ($1, 'alarm-acknowledged', 'info', $2, $3, $4, $5::jsonb)
         ON CONFLICT ((detail ->> 'eventId')) WHERE kind = 'alarm-acknowledged' DO NOTHING
         RETURNING ${EVENT_COLUMNS}`,
        [a.at, event.seriesId, event.modelVersion, event.runId,
          JSON.stringify({ eventId: event.id, kind: event.kind, severity: event.severity, by: a.by, ...(a.comment !== null && { comment: a.comment }) })],
      );
      if (rows.length) return { acknowledgement: ackFromEvent(eventFromDb(rows[0])), created: true };
      const existing = await acknowledgements([event.id]);
      return { acknowledgement: existing.get(event.id)!, created: false };
    },

    acknowledgements,

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
