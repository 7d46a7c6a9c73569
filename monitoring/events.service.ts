import { GridcastError } from '../core/errors.ts';
import type { Acknowledgement, AcknowledgementLog, EventKind, EventLog, MonitoringEvent } from '../core/events.ts';
import { timeInZone } from '../core/time-input.ts';

/** A listing of the event log as asked by a person: times as typed (an instant, or a date in the store's zone). */
export interface EventListRequest {
  kinds?: EventKind[];
  seriesId?: string;
  modelVersion?: string;
  from?: string;
  to?: string;
  beforeId?: number;
  limit?: number;
  /** true: acknowledged events only; false: warnings and alarms nobody acknowledged. */
  acknowledged?: boolean;
}

/** An event with its acknowledgement (null: none). */
export type AcknowledgedEvent = MonitoringEvent & { acknowledgement: Acknowledgement | null };

export interface EventReader {
  /** Newest first; `nextBeforeId` continues the listing (null when this page is the last). */
  list(q: EventListRequest): Promise<{ events: AcknowledgedEvent[]; nextBeforeId: number | null }>;
}

/** Reads of the event log for the API and `gridcast events`; a date alone is the local midnight of `timeZone`. */
export function createEventReader(deps: { events: EventLog & Pick<AcknowledgementLog, 'acknowledgements'>; timeZone: string }): EventReader {
  return {
    async list(q) {
      const from = q.from === undefined ? undefined : timeInZone(q.from, deps.timeZone, 'from');
      const to = q.to === undefined ? undefined : timeInZone(q.to, deps.timeZone, 'to');
      if (from && to && from >= to) {
        throw new GridcastError('QUERY_RANGE_INVALID', `from (${from.toISOString()}) must be before to (${to.toISOString()}).`, { from: q.from, to: q.to });
      }
      const limit = q.limit ?? 1000;
      const page = await deps.events.list({
        ...(q.kinds?.length && { kinds: q.kinds }),
        ...(q.seriesId !== undefined && { seriesId: q.seriesId }),
        ...(q.modelVersion !== undefined && { modelVersion: q.modelVersion }),
        ...(from && { from }),
        ...(to && { to }),
        ...(q.beforeId !== undefined && { beforeId: q.beforeId }),
        ...(q.acknowledged !== undefined && { acknowledged: q.acknowledged }),
        limit: limit + 1,
      });
      const events = page.slice(0, limit);
      const acks = await deps.events.acknowledgements(events.map((e) => e.id));
      return {
        events: events.map((e) => ({ ...e, acknowledgement: acks.get(e.id) ?? null })),
        nextBeforeId: page.length > limit ? events[events.length - 1].id : null,
      };
    },
  };
}
