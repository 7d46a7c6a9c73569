-- Hourly and daily buckets touched by a batch shorter than the bucket (a live SCADA flush) are
-- not recomputed in the ingest transaction, which would re-read up to a whole day of raw points
-- per flush; they are marked here instead. Queries compute marked buckets from the raw points
-- (same SQL, same numbers), and flushAggregates() recomputes and stores them later.
-- `token` changes on every re-mark, so a flush only clears the marks it has seen.
CREATE SEQUENCE aggregates_dirty_token;
CREATE TABLE aggregates_dirty (
  series_id  text NOT NULL,
  grain      text NOT NULL CHECK (grain IN ('1h', '1d')),
  bucket     timestamptz NOT NULL,
  bucket_end timestamptz NOT NULL,
  token      bigint NOT NULL,
  PRIMARY KEY (series_id, grain, bucket)
);
CREATE INDEX aggregates_dirty_token_idx ON aggregates_dirty (token);
