-- Aggregates of `measurements`, one table per grain, kept current by store/aggregates.ts
-- refreshAggregates() inside the ingest transaction (so a committed batch always has
-- consistent aggregates, on PostgreSQL, PGlite and TimescaleDB alike).
-- Every grain is computed from the RAW points of its bucket (never from finer buckets), so
-- each number can be recomputed independently from the raw data:
--   n = number of points, avg = arithmetic mean of the points (not time-weighted),
--   sum = sum of the points, p95 = percentile_cont(0.95) of the points,
--   quality = the worst quality of the points (core/quality.ts order),
--   methods = the distinct methods of the points that have one, sorted, comma-separated.
-- 5m and 1h buckets are UTC-aligned [bucket, bucket + grain); 1d buckets are local calendar
-- days of the series' time_zone: [local midnight, next local midnight), 23 h to 25 h long.
CREATE TABLE measurements_5m (
  series_id text NOT NULL,
  bucket    timestamptz NOT NULL,
  n         integer NOT NULL,
  avg       double precision NOT NULL,
  sum       double precision NOT NULL,
  min       double precision NOT NULL,
  max       double precision NOT NULL,
  p95       double precision NOT NULL,
  quality   text NOT NULL,
  methods   text,
  PRIMARY KEY (series_id, bucket)
);

CREATE TABLE measurements_1h (LIKE measurements_5m INCLUDING ALL);

CREATE TABLE measurements_1d (
  series_id text NOT NULL,
  -- The local calendar day and the zone it was computed in (the series' time_zone at refresh
  -- time: changing a series' zone requires rebuildAggregates for it).
  day       date NOT NULL,
  time_zone text NOT NULL,
  bucket    timestamptz NOT NULL,
  n         integer NOT NULL,
  avg       double precision NOT NULL,
  sum       double precision NOT NULL,
  min       double precision NOT NULL,
  max       double precision NOT NULL,
  p95       double precision NOT NULL,
  quality   text NOT NULL,
  methods   text,
  PRIMARY KEY (series_id, day)
);
CREATE INDEX measurements_1d_bucket_idx ON measurements_1d (series_id, bucket);
