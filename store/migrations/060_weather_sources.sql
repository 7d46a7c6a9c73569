-- A node's weather source is a station id, a weighted list of stations
-- ([{"station": "s1", "weight": 0.6}, ...]) or "mean" (every station): one jsonb column.
-- Existing ids become JSON strings.
ALTER TABLE series ALTER COLUMN weather_station TYPE jsonb USING to_jsonb(weather_station);
