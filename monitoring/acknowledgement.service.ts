import { GridcastError } from '../core/errors.ts';
import { ACKNOWLEDGEABLE, type Acknowledgement, type AcknowledgementLog } from '../core/events.ts';
import type { AcknowledgedEvent } from './events.service.ts';

export interface AcknowledgeRequest {
  eventId: number;
  /** Who acknowledges: the API key's name (`apikey:NAME`). */
  by: string;
  comment?: string;
}

export interface AcknowledgeOutcome {
  event: AcknowledgedEvent;
  acknowledgement: Acknowledgement;
  /** false: the event had been acknowledged before; its first acknowledgement stands, this one recorded nothing. */
  created: boolean;
}

export interface AlarmAcknowledger {
  acknowledge(req: AcknowledgeRequest): Promise<AcknowledgeOutcome>;
}

/**
 * A person acknowledges a warning or an alarm of the event log (REQUIREMENTS E3): an
 * `alarm-acknowledged` event is appended, once per event. Acknowledging changes no state of the
 * system — a rupture stays open until the series returns to its model, a late horizon until a run
 * is on time — it says someone has seen it. An open retraining proposal acknowledged is closed.
 */
export function createAlarmAcknowledger(deps: { events: AcknowledgementLog; now?: () => Date }): AlarmAcknowledger {
  const now = deps.now ?? (() => new Date());
  return {
    async acknowledge({ eventId, by, comment }) {
      const event = await deps.events.get(eventId);
      if (!event) throw new GridcastError('EVENT_NOT_FOUND', `There is no event ${eventId}; GET /api/v1/events lists them.`, { eventId });
      if (!ACKNOWLEDGEABLE.includes(event.severity)) {
        throw new GridcastError(
          'EVENT_NOT_ACKNOWLEDGEABLE',
          `Event ${eventId} (${event.kind}) has severity ${event.severity}: only warnings and alarms are acknowledged.`,
          { eventId, kind: event.kind, severity: event.severity },
        );
      }
      const text = comment?.trim();
      const { acknowledgement, created } = await deps.events.acknowledge(event, { at: now(), by, comment: text ? text : null });
      return { event: { ...event, acknowledgement }, acknowledgement, created };
    },
  };
}
