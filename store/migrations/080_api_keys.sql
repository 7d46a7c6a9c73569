-- API keys (issue 9). A key is `gck_<id>_<secret>`: `id` is public and finds the row, the secret
-- is never stored, only its scrypt hash with a per-key salt (both hex). A revoked key stays as a
-- row so the audit log's key names keep their meaning; names are unique among active keys only.
-- `role` is checked by the API (api/auth/roles.ts), not here, so a new role needs no migration.
CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  name         text NOT NULL CHECK (name <> ''),
  role         text NOT NULL,
  salt         text NOT NULL,
  hash         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE UNIQUE INDEX api_keys_active_name_idx ON api_keys (name) WHERE revoked_at IS NULL;

-- /metrics counts job runs and ingest batches of the last day at every scrape: an index keeps
-- that a range read however long the history grows.
CREATE INDEX job_runs_scheduled_idx ON job_runs (scheduled_at);
CREATE INDEX ingest_batches_started_idx ON ingest_batches (started_at);
