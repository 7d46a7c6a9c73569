-- Model registry (D1, D5) and the append-only audit log (D7).

-- A logical model: one per target family (e.g. 'load-day-ahead'); its versions are numbered 1, 2, ...
CREATE TABLE models (
  name         text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'),
  family       text NOT NULL,
  description  text,
  -- Last version number handed out: bumped by the INSERT of a version, which makes numbering atomic.
  last_version integer NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- A trained version: everything needed to reproduce and to serve it. Only its status changes.
CREATE TABLE model_versions (
  id              text PRIMARY KEY,
  model           text NOT NULL REFERENCES models (name),
  version         integer NOT NULL CHECK (version > 0),
  kind            text NOT NULL,
  spec            jsonb NOT NULL,
  features        jsonb NOT NULL DEFAULT '[]'::jsonb,
  series_ids      text[] NOT NULL,
  train_start     timestamptz NOT NULL,
  train_end       timestamptz NOT NULL CHECK (train_end > train_start),
  data_hash       text NOT NULL,
  code_version    text NOT NULL,
  -- gzip of the artifact JSON; artifact_sha256 is the sha256 of that JSON text.
  artifact        bytea NOT NULL,
  artifact_sha256 text NOT NULL,
  metrics         jsonb,
  status          text NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'shadow', 'champion', 'retired')),
  status_at       timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  created_by      text NOT NULL,
  UNIQUE (model, version),
  CHECK (id = model || '@' || version::text)
);
-- At most one champion per model.
CREATE UNIQUE INDEX model_versions_one_champion ON model_versions (model) WHERE status = 'champion';
CREATE INDEX model_versions_champion_series ON model_versions USING gin (series_ids) WHERE status = 'champion';

-- A version is a record of what was trained: it is never deleted, and only status / status_at change.
CREATE FUNCTION model_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'model version % cannot be deleted: retire it instead', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  IF (to_jsonb(NEW) - 'status' - 'status_at') IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'status_at') THEN
    RAISE EXCEPTION 'model version % is immutable: only its status can change', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER model_versions_immutable BEFORE UPDATE OR DELETE ON model_versions
  FOR EACH ROW EXECUTE FUNCTION model_versions_immutable();

-- Who did what, when and why: promotions, rollbacks, overrides, configuration changes. Append-only.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL CHECK (actor <> ''),
  action      text NOT NULL,
  entity      text NOT NULL,
  entity_id   text NOT NULL,
  from_status text,
  to_status   text,
  reason      text,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
