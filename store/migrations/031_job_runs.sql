-- One row per scheduled tick of a job across all instances: the primary key is what makes a
-- tick run once even when several gridcast instances fire it; status and error are the run log.
CREATE TABLE job_runs (
  job          text NOT NULL,
  scheduled_at timestamptz NOT NULL,
  instance     text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'late')),
  attempts     integer NOT NULL DEFAULT 0,
  error        text,
  PRIMARY KEY (job, scheduled_at)
);
