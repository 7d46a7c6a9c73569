-- Audit trail of imputation (A8, D7): one append-only row per run of points of one gap filled by
-- one method, with what the method used (last value, profile window, redundant series), who ran
-- it and when. The imputed points themselves are measurements rows with quality 'imputed'.
CREATE TABLE imputation_log (
  id         bigserial PRIMARY KEY,
  batch_id   bigint,
  series_id  text NOT NULL,
  gap_start  timestamptz NOT NULL,
  gap_end    timestamptz NOT NULL,
  method     text NOT NULL CHECK (method IN ('locf', 'profile', 'redundancy')),
  points     integer NOT NULL,
  inputs     jsonb NOT NULL DEFAULT '{}'::jsonb,
  actor      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX imputation_log_series_idx ON imputation_log (series_id, gap_start);
