-- Applied only when the timescaledb extension can be loaded (store/timescale.ts); a plain
-- PostgreSQL or PGlite database skips this version. Written for TimescaleDB >= 2.11 (DML on
-- compressed chunks, which late metering versions and aggregate refreshes need).
--
-- Why no continuous aggregates: the aggregate tables of 010 stay ordinary tables kept current
-- by refreshAggregates() in the ingest transaction, here turned into hypertables.
--  * A cagg's time_bucket takes one constant time zone, but every series has its own
--    time_zone for local days.
--  * A cagg is refreshed by a background policy (and refresh_continuous_aggregate() cannot run
--    inside a transaction block), so between refreshes it disagrees with the raw data; real-time
--    aggregation only covers the not-yet-materialised tail, not late or imputed rows written
--    into already-materialised buckets. gridcast promises that a committed batch has consistent
--    aggregates and that both backends return the same numbers.
--  * The exact p95 (percentile_cont) would otherwise need the toolkit's approximate
--    percentile_agg, i.e. different numbers from the plain backend.

CREATE EXTENSION IF NOT EXISTS timescaledb;

SELECT create_hypertable('measurements', 'ts', chunk_time_interval => INTERVAL '1 day',
                         migrate_data => true, if_not_exists => true);
SELECT create_hypertable('metering', 'interval_start', chunk_time_interval => INTERVAL '7 days',
                         migrate_data => true, if_not_exists => true);
SELECT create_hypertable('weather_obs', 'ts', chunk_time_interval => INTERVAL '30 days',
                         migrate_data => true, if_not_exists => true);
SELECT create_hypertable('weather_fc', 'target_ts', chunk_time_interval => INTERVAL '30 days',
                         migrate_data => true, if_not_exists => true);
SELECT create_hypertable('measurements_5m', 'bucket', chunk_time_interval => INTERVAL '7 days',
                         migrate_data => true, if_not_exists => true);
SELECT create_hypertable('measurements_1h', 'bucket', chunk_time_interval => INTERVAL '30 days',
                         migrate_data => true, if_not_exists => true);

-- measurements_1d keeps its (series_id, day) key, which does not contain the time column a
-- hypertable needs; at one row per series and day it stays small.

ALTER TABLE measurements SET (timescaledb.compress, timescaledb.compress_segmentby = 'series_id',
                              timescaledb.compress_orderby = 'ts');
ALTER TABLE metering SET (timescaledb.compress, timescaledb.compress_segmentby = 'series_id',
                          timescaledb.compress_orderby = 'interval_start, version');
ALTER TABLE weather_obs SET (timescaledb.compress, timescaledb.compress_segmentby = 'station_id, variable',
                             timescaledb.compress_orderby = 'ts');
ALTER TABLE weather_fc SET (timescaledb.compress, timescaledb.compress_segmentby = 'station_id, variable',
                            timescaledb.compress_orderby = 'target_ts, issued_at');
ALTER TABLE measurements_5m SET (timescaledb.compress, timescaledb.compress_segmentby = 'series_id',
                                 timescaledb.compress_orderby = 'bucket');
ALTER TABLE measurements_1h SET (timescaledb.compress, timescaledb.compress_segmentby = 'series_id',
                                 timescaledb.compress_orderby = 'bucket');

-- Raw telemetry is rarely rewritten after a week; metering gets validated versions for weeks.
SELECT add_compression_policy('measurements', INTERVAL '7 days', if_not_exists => true);
SELECT add_compression_policy('weather_obs', INTERVAL '30 days', if_not_exists => true);
SELECT add_compression_policy('weather_fc', INTERVAL '30 days', if_not_exists => true);
SELECT add_compression_policy('metering', INTERVAL '90 days', if_not_exists => true);
SELECT add_compression_policy('measurements_5m', INTERVAL '30 days', if_not_exists => true);
SELECT add_compression_policy('measurements_1h', INTERVAL '90 days', if_not_exists => true);

-- Retention drops raw SCADA points and fine buckets; hourly and daily aggregates, metering
-- (invoicing) and weather (model training) are kept. Never ingest raw points older than the
-- raw retention: refreshing their buckets would recompute them from the dropped data.
SELECT add_retention_policy('measurements', INTERVAL '5 years', if_not_exists => true);
SELECT add_retention_policy('measurements_5m', INTERVAL '5 years', if_not_exists => true);
