-- Acknowledgement of alarms and warnings (issue 11, E3): an `alarm-acknowledged` event naming the
-- event acknowledged in detail.eventId, appended by POST /api/v1/events/{id}/ack. The log stays
-- append-only; this index makes a second acknowledgement of the same event a no-op (INSERT … ON
-- CONFLICT DO NOTHING answers the first one, even when two people acknowledge at once) and finds
-- the acknowledgement of an event without reading the log. Nothing appended this kind of event
-- before this migration but tests, so no stored duplicate can stand in its way.
CREATE UNIQUE INDEX events_acknowledged_event_idx ON events ((detail ->> 'eventId')) WHERE kind = 'alarm-acknowledged';
