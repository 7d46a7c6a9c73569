-- A level change explained by a plan (a planned transfer, a schedule) is logged as `planned`
-- (issue 14 part 5) instead of a rupture: the kinds of core/events.ts's EVENT_KINDS.
ALTER TABLE events DROP CONSTRAINT events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check CHECK (kind IN ('rupture', 'fallback-on', 'fallback-off', 'drift', 'out-of-range',
  'input-late', 'deadline-missed', 'run-late', 'fallback-published', 'retrain-proposal', 'promotion', 'promotion-refused',
  'rollback', 'shadow-failed', 'alarm-acknowledged', 'planned'));
