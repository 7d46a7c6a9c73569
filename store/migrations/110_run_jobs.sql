-- Distributed forecast runs (issue 13, forecast/run/queue.ts). pg-boss keeps its own schema for
-- the jobs themselves; these two tables hold what pg-boss should not carry in jsonb.
--
-- run_job_shares: the prepared input of one job of a run (a group of series with its history,
-- covariates and champion artifact, v8-serialised) and its answer. The run that made them reads
-- the answers (collected) and deletes its rows when it is done; a worker answers a share once
-- (the first answer wins), so a job retried after its worker died cannot count a series twice.
CREATE TABLE run_job_shares (
  run_token uuid NOT NULL,
  key text NOT NULL,
  input bytea NOT NULL,
  output bytea,
  error text,
  worker text,
  done_at timestamptz,
  collected boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_token, key)
);
CREATE INDEX run_job_shares_uncollected ON run_job_shares (run_token) WHERE done_at IS NOT NULL AND NOT collected;

-- run_workers: the `gridcast worker` processes in the pool, each seen every few seconds. A run
-- puts its jobs on the queue only when a worker was seen recently; otherwise it runs them in
-- worker threads of its own process.
CREATE TABLE run_workers (
  id text PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at timestamptz NOT NULL DEFAULT now()
);
