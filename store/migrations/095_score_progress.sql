-- Incremental scoring (REQUIREMENTS D2): the score job examines only what changed since its last
-- pass instead of recomputing the truth of the whole lookback every 15 minutes.

-- The last completed pass: its time (hours settled and data received up to it are scored), the
-- newest forecast run id it could see (a run stored later, even with an old issue time, is new
-- to the next pass) and when the whole lookback was last examined (the periodic full pass that
-- catches data loaded with an explicit receipt time older than the previous pass).
CREATE TABLE score_progress (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  as_of   timestamptz NOT NULL,
  run_id  bigint NOT NULL,
  full_at timestamptz NOT NULL
);

-- What arrived since the last pass: its hours are the only ones whose truth may have changed.
CREATE INDEX measurements_received_idx ON measurements (received_at);
CREATE INDEX metering_received_idx ON metering (received_at);
