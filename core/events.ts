/**
 * The one append-only event log of monitoring and the model life cycle (REQUIREMENTS D7, E13):
 * ruptures, fallback switches, drift, deadline alarms, retraining proposals, promotions and
 * rollbacks. `gridcast replay --events-out` writes these rows as CSV
 * (`at,kind,series_id,model_version,detail`), so live and replayed operations read alike.
 */
export const EVENT_KINDS = [
  'rupture',
  'fallback-on',
  'fallback-off',
  'drift',
  'out-of-range',
  'input-late',
  'deadline-missed',
  'run-late',
  'fallback-published',
  'retrain-proposal',
  'promotion',
  'promotion-refused',
  'rollback',
  'shadow-failed',
  'alarm-acknowledged',
  /** A level change explained by a planned transfer or schedule: no rupture, no fallback switch. */
  'planned',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const EVENT_SEVERITIES = ['info', 'warning', 'alarm'] as const;
export type EventSeverity = (typeof EVENT_SEVERITIES)[number];

export interface MonitoringEvent {
  id: number;
  /** When the event happened on the clock of the service that raised it (replay: the replayed time). */
  at: Date;
  kind: EventKind;
  severity: EventSeverity;
  /** The series concerned; null for a model-wide or job-wide event. */
  seriesId: string | null;
  /** The registry version (or 'fit:…') concerned; null when none. */
  modelVersion: string | null;
  /** The run concerned, when there is one. */
  runId: number | null;
  /** Machine-readable detail: detector statistic, threshold, p-values, reason, actor… */
  detail: Record<string, unknown>;
  /** When it was written (differs from `at` in a replay). */
  recordedAt: Date;
}

export type NewEvent = Omit<MonitoringEvent, 'id' | 'recordedAt' | 'severity' | 'seriesId' | 'modelVersion' | 'runId' | 'detail'> &
  Partial<Pick<MonitoringEvent, 'severity' | 'seriesId' | 'modelVersion' | 'runId' | 'detail'>>;

/** Which events to list: newest first, at most `limit` (default 1000), `at` in [from, to). */
export interface EventQuery {
  kinds?: EventKind[];
  seriesId?: string;
  modelVersion?: string;
  from?: Date;
  to?: Date;
  beforeId?: number;
  limit?: number;
  /** true: only events acknowledged; false: only warnings and alarms not acknowledged (info events are never acknowledged). */
  acknowledged?: boolean;
}

/** The severities a person acknowledges (POST /api/v1/events/{id}/ack): an info event asks nothing of anyone. */
export const ACKNOWLEDGEABLE: readonly EventSeverity[] = ['warning', 'alarm'];

/**
 * A person's acknowledgement of a warning or alarm: an `alarm-acknowledged` event of the log (its
 * id is `id`), naming the event in detail.eventId, with who and an optional comment. At most one
 * per event (migration 097): the log stays append-only, and the state is derived from it.
 */
export interface Acknowledgement {
  /** The event acknowledged. */
  eventId: number;
  /** The `alarm-acknowledged` event recording it. */
  id: number;
  at: Date;
  by: string;
  comment: string | null;
}

/** Acknowledgements in the event log (store/events.repository.ts, test/fakes/events.ts). */
export interface AcknowledgementLog {
  /** The event of this id, or null. */
  get(id: number): Promise<MonitoringEvent | null>;
  /** Appends the acknowledgement of `event` unless it has one: the one stored, and whether it is new. */
  acknowledge(event: MonitoringEvent, a: { at: Date; by: string; comment: string | null }): Promise<{ acknowledgement: Acknowledgement; created: boolean }>;
  /** The acknowledgements of these events (absent: not acknowledged). */
  acknowledgements(eventIds: number[]): Promise<Map<number, Acknowledgement>>;
}

/** The event log's storage: store/events.repository.ts on the database, test/fakes/events.ts in memory. */
export interface EventLog {
  append(e: NewEvent): Promise<MonitoringEvent>;
  list(q?: EventQuery): Promise<MonitoringEvent[]>;
}
