-- A dirty mark now covers every bucket of its grain in [bucket, bucket_end) (the range is aligned
-- to the grain's buckets): a bulk import marks its whole span with one mark per series and grain,
-- commits, and stores the aggregates right after in separate transactions (flushAggregates).
-- 5-min buckets can be marked too. Queries compute every marked bucket from the raw points.
ALTER TABLE aggregates_dirty DROP CONSTRAINT aggregates_dirty_grain_check;
ALTER TABLE aggregates_dirty ADD CONSTRAINT aggregates_dirty_grain_check CHECK (grain IN ('5m', '1h', '1d'));
