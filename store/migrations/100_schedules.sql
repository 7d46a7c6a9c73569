-- Known schedules (A12): planned values of a node as issued. Every version is kept: the version of
-- an interval is (source, issued_at); a row is never changed or deleted (a revision is a new
-- issue). What was in force at T: per instant, the latest issued_at <= T among rows received by T.
CREATE TABLE schedules (
  series_id      text NOT NULL,
  source         text NOT NULL,
  issued_at      timestamptz NOT NULL,
  interval_start timestamptz NOT NULL,
  interval_end   timestamptz NOT NULL,
  value          double precision NOT NULL,
  unit           text NOT NULL,
  reason         text,
  p10            double precision,
  p90            double precision,
  sd             double precision CHECK (sd >= 0),
  batch_id       bigint,
  received_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (series_id, source, issued_at, interval_start),
  CHECK (interval_end > interval_start),
  CHECK ((p10 IS NULL) = (p90 IS NULL) AND (p10 IS NULL OR (p10 <= value AND value <= p90)))
);
CREATE INDEX schedules_span_idx ON schedules (series_id, interval_start, interval_end);

CREATE TRIGGER schedules_append_only BEFORE UPDATE OR DELETE ON schedules
  FOR EACH ROW EXECUTE FUNCTION revisions_append_only();
CREATE TRIGGER schedules_no_truncate BEFORE TRUNCATE ON schedules
  FOR EACH STATEMENT EXECUTE FUNCTION revisions_append_only();
