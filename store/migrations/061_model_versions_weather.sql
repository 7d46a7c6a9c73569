-- What weather a version was trained on, per series ({"<series>": {"stations": [{"station", "weight"}], "from"} | null}),
-- the training's warnings (e.g. WEATHER_UNMAPPED), and its weather-free companion: the same spec
-- fitted without weather, which serves when no weather forecast covers a run's horizon.
ALTER TABLE model_versions
  ADD COLUMN weather            jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN warnings           jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN companion_artifact bytea,
  ADD COLUMN companion_sha256   text,
  ADD CHECK ((companion_artifact IS NULL) = (companion_sha256 IS NULL));
