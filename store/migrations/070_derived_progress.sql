-- How far each derived series (PV estimate, consumption, regional balance) has been computed:
-- the derived-series job resumes from here (minus an overlap for late data), even where its
-- inputs gave no point to store (a line with no data yet), instead of recomputing all history.
CREATE TABLE derived_progress (
  series_id  text PRIMARY KEY,
  through    timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
