-- Measurements of a batch held back by validation (a sudden level jump against recent history,
-- A9): the whole batch waits here, with its file line numbers, until a person releases it into
-- `measurements` (gridcast ingest release) or drops it. ingest_batches.report says why.
CREATE TABLE ingest_quarantine (
  batch_id  bigint NOT NULL REFERENCES ingest_batches(id) ON DELETE CASCADE,
  line      bigint NOT NULL,
  series_id text NOT NULL,
  ts        timestamptz NOT NULL,
  value     double precision NOT NULL,
  quality   text NOT NULL,
  PRIMARY KEY (batch_id, line)
);
