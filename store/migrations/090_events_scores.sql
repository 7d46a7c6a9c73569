-- Monitoring (REQUIREMENTS D2, D4, D7, E13): the one append-only event log, and the scores of
-- stored forecast values against the actuals that arrived after them.

-- Ruptures, fallback switches, drift, deadline alarms, retraining proposals, promotions and
-- rollbacks, in one log. `at` is the time on the raising service's clock (a replay's time),
-- recorded_at when it was written. The kinds are core/events.ts's EVENT_KINDS.
CREATE TABLE events (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('rupture', 'fallback-on', 'fallback-off', 'drift', 'out-of-range', 'input-late',
                  'deadline-missed', 'run-late', 'fallback-published', 'retrain-proposal', 'promotion', 'promotion-refused',
                  'rollback', 'shadow-failed', 'alarm-acknowledged')),
  severity      text NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'alarm')),
  series_id     text,
  model_version text,
  run_id        bigint,
  detail        jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(detail) = 'object'),
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_at_idx ON events (at, id);
CREATE INDEX events_kind_at_idx ON events (kind, at, id);
CREATE INDEX events_series_at_idx ON events (series_id, at, id) WHERE series_id IS NOT NULL;

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- One row per forecast value (forecasts' key) and truth version: the receipt time of the newest
-- point the actual was computed from. A metering value validated later, or a revised measurement,
-- changes the actual and its truth version, so it adds a row; the earlier row stays. Reads take
-- the latest truth version of each value.
CREATE TABLE forecast_scores (
  run_id        bigint NOT NULL REFERENCES forecast_runs (id) ON DELETE CASCADE,
  series_id     text NOT NULL,
  grain         text NOT NULL CHECK (grain IN ('1h', '1d')),
  target_ts     timestamptz NOT NULL,
  truth_version timestamptz NOT NULL,
  -- 'validated' or 'provisional' for metered series, 'measured' for SCADA measurements.
  truth_status  text NOT NULL CHECK (truth_status IN ('measured', 'provisional', 'validated')),
  horizon       text NOT NULL,
  model_version text NOT NULL,
  issued_at     timestamptz NOT NULL,
  lead_hours    double precision NOT NULL,
  forecast      double precision NOT NULL,
  actual        double precision NOT NULL,
  error         double precision NOT NULL,
  -- |error / actual|; NULL when |actual| is near zero against the series' level (see accuracy.service.ts).
  ape           double precision,
  -- Pinball loss at each level of `quantile_levels` (the run's settings.quantiles).
  quantile_levels double precision[] NOT NULL,
  pinball       double precision[] NOT NULL,
  -- Whether the actual lies in [lowest, highest] quantile; NULL when the run stored fewer than two.
  inside        boolean,
  scored_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, series_id, grain, target_ts, truth_version)
);
CREATE INDEX forecast_scores_target_idx ON forecast_scores (series_id, target_ts);
CREATE INDEX forecast_scores_target_only_idx ON forecast_scores (target_ts);
