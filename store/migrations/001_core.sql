-- Core tables. Times are timestamptz, UTC in storage.

-- The grid topology: every node of the hierarchy is measured by the series of the same id.
-- Derived series (consumption = withdrawal - PV estimate, roll-ups) are rows here too, with attrs.derived.
CREATE TABLE series (
  id              text PRIMARY KEY,
  parent_id       text REFERENCES series(id),
  kind            text NOT NULL CHECK (kind IN ('load', 'generation', 'flow', 'weather')),
  unit            text NOT NULL,
  time_zone       text NOT NULL DEFAULT 'UTC',
  weather_station text,
  name            text,
  attrs           jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX series_parent_idx ON series (parent_id);

-- Idempotency ledger: one row per ingested batch (file, poll, MQTT flush).
CREATE TABLE ingest_batches (
  id          bigserial PRIMARY KEY,
  source      text NOT NULL,               -- 'csv', 'mqtt', 'http', 'simulator', 'imputation'
  batch_key   text NOT NULL UNIQUE,        -- e.g. sha256 of the file + kind: the same input is ingested once
  kind        text NOT NULL,               -- 'measurements' | 'metering' | 'weather'
  status      text NOT NULL CHECK (status IN ('committed', 'rejected', 'quarantined')),
  row_count   bigint NOT NULL DEFAULT 0,
  report      jsonb NOT NULL DEFAULT '{}'::jsonb,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

-- Raw SCADA telemetry (and any point-in-time measurement), stored as received.
-- A missing value is an absent row; gridcast-made points carry quality imputed/estimated/derived
-- and the method, and never overwrite a measured row. No FK to series: ingestion validates ids
-- in its staging step, which keeps bulk loads fast.
CREATE TABLE measurements (
  series_id   text NOT NULL,
  ts          timestamptz NOT NULL,
  value       double precision NOT NULL,
  quality     text NOT NULL DEFAULT 'ok' CHECK (quality IN ('ok', 'suspect', 'imputed', 'estimated', 'derived')),
  method      text,
  batch_id    bigint,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (series_id, ts)
);

-- Metering: energy per interval; every version kept (provisional first, validated later).
CREATE TABLE metering (
  series_id      text NOT NULL,
  interval_start timestamptz NOT NULL,
  interval_sec   integer NOT NULL CHECK (interval_sec BETWEEN 300 AND 3600),
  value          double precision NOT NULL,
  status         text NOT NULL CHECK (status IN ('provisional', 'validated', 'imputed')),
  version        integer NOT NULL,
  method         text,
  batch_id       bigint,
  received_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (series_id, interval_start, version)
);

-- Weather observations and forecasts as issued.
CREATE TABLE weather_obs (
  station_id  text NOT NULL,
  variable    text NOT NULL,
  ts          timestamptz NOT NULL,
  value       double precision NOT NULL,
  batch_id    bigint,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (station_id, variable, ts)
);

CREATE TABLE weather_fc (
  station_id  text NOT NULL,
  variable    text NOT NULL,
  issued_at   timestamptz NOT NULL,
  target_ts   timestamptz NOT NULL,
  value       double precision NOT NULL,
  batch_id    bigint,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (station_id, variable, issued_at, target_ts)
);
