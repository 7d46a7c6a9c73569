-- Rupture monitor state per series (issue 10, D3): which forecast serves the series ('model' or
-- the rupture 'fallback') since when, the estimated start of its last confirmed rupture (runs fit
-- on history from there), and the sequential detector's state between hourly checks as jsonb
-- (standardisation, calibrated threshold, CUSUM sums, a pending alarm). One row per series,
-- overwritten at each check: the history of switches is in the event log, not here.
CREATE TABLE series_monitor_state (
  series_id     text PRIMARY KEY,
  mode          text NOT NULL CHECK (mode IN ('model', 'fallback')),
  since         timestamptz NOT NULL,
  rupture_at    timestamptz,
  detector      jsonb,
  model_version text,
  updated_at    timestamptz NOT NULL
);
