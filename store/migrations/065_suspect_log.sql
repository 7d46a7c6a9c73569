-- Audit trail of the measured points gridcast itself marked suspect (A9): the point keeps its
-- value as received and takes quality 'suspect'; one append-only row here says which check fired,
-- on what (the neighbours, how many typical steps away), in which batch or job, and when.
CREATE TABLE suspect_log (
  id         bigserial PRIMARY KEY,
  batch_id   bigint,
  series_id  text NOT NULL,
  ts         timestamptz NOT NULL,
  value      double precision NOT NULL,
  reason     text NOT NULL CHECK (reason IN ('spike', 'drop')),
  detail     jsonb NOT NULL DEFAULT '{}'::jsonb,
  actor      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suspect_log_series_idx ON suspect_log (series_id, ts);
