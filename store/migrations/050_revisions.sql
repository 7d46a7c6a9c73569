-- Revisions of raw data (A2, A4): a value received again for the same key with a different
-- number (a corrected SCADA point, a corrected weather observation or forecast) replaces the
-- served value, and the value it replaces is moved here with its own receipt time and batch,
-- and the time it stopped being the latest (superseded_at = the receipt time of its successor).
-- What was known at T is then: the current row if received_at <= T, else the revision with
-- received_at <= T < superseded_at (at most one per key). Nothing here is ever updated or deleted.
CREATE TABLE measurement_revisions (
  series_id     text NOT NULL,
  ts            timestamptz NOT NULL,
  value         double precision NOT NULL,
  quality       text NOT NULL,
  method        text,
  batch_id      bigint,
  received_at   timestamptz NOT NULL,
  superseded_at timestamptz NOT NULL,
  superseded_by bigint
);
CREATE INDEX measurement_revisions_key_idx ON measurement_revisions (series_id, ts);

-- Weather: issued_at is NULL for an observation, the issue time for a forecast as issued.
CREATE TABLE weather_revisions (
  station_id    text NOT NULL,
  variable      text NOT NULL,
  issued_at     timestamptz,
  ts            timestamptz NOT NULL,
  value         double precision NOT NULL,
  batch_id      bigint,
  received_at   timestamptz NOT NULL,
  superseded_at timestamptz NOT NULL,
  superseded_by bigint
);
CREATE INDEX weather_revisions_key_idx ON weather_revisions (station_id, variable, ts);

CREATE FUNCTION revisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: raw revisions are never changed or deleted (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER measurement_revisions_append_only BEFORE UPDATE OR DELETE ON measurement_revisions
  FOR EACH ROW EXECUTE FUNCTION revisions_append_only();
CREATE TRIGGER measurement_revisions_no_truncate BEFORE TRUNCATE ON measurement_revisions
  FOR EACH STATEMENT EXECUTE FUNCTION revisions_append_only();
CREATE TRIGGER weather_revisions_append_only BEFORE UPDATE OR DELETE ON weather_revisions
  FOR EACH ROW EXECUTE FUNCTION revisions_append_only();
CREATE TRIGGER weather_revisions_no_truncate BEFORE TRUNCATE ON weather_revisions
  FOR EACH STATEMENT EXECUTE FUNCTION revisions_append_only();
