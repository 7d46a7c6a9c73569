-- Champion / challenger (D5): shadow runs and promotion proposals.

-- A shadow run is a challenger's forecasts on the same inputs, origin and issue time as the
-- published run it shadows. It is stored beside the published runs (same tables, same values
-- layout, so pairing is a join) but never read as a published forecast: every published read
-- filters role = 'published'. Deleting the published run deletes its shadows.
ALTER TABLE forecast_runs
  ADD COLUMN role text NOT NULL DEFAULT 'published' CHECK (role IN ('published', 'shadow')),
  ADD COLUMN shadow_of bigint REFERENCES forecast_runs (id) ON DELETE CASCADE,
  ADD COLUMN shadow_version text,
  ADD CONSTRAINT forecast_runs_shadow_link CHECK ((role = 'shadow') = (shadow_of IS NOT NULL AND shadow_version IS NOT NULL));
CREATE INDEX forecast_runs_shadow_idx ON forecast_runs (shadow_version, origin) WHERE role = 'shadow';

-- A proposal to promote a version, with the paired test computed when it was made; its
-- decision (signed off and promoted, or refused) is a second row. Both are append-only: what
-- was proposed, tested and decided is never rewritten.
CREATE TABLE promotion_proposals (
  id          bigserial PRIMARY KEY,
  model       text NOT NULL REFERENCES models (name),
  version_id  text NOT NULL REFERENCES model_versions (id),
  champion_id text REFERENCES model_versions (id),
  proposed_by text NOT NULL CHECK (proposed_by <> ''),
  proposed_at timestamptz NOT NULL DEFAULT now(),
  reason      text NOT NULL CHECK (reason <> ''),
  -- The rule and the test result: { rule, alpha, margin, minPairs, passed, dm, pValue, h, n, ... }.
  test        jsonb NOT NULL
);
CREATE INDEX promotion_proposals_model_idx ON promotion_proposals (model, id);

CREATE TABLE promotion_decisions (
  proposal_id bigint PRIMARY KEY REFERENCES promotion_proposals (id),
  decided_by  text NOT NULL CHECK (decided_by <> ''),
  decided_at  timestamptz NOT NULL DEFAULT now(),
  outcome     text NOT NULL CHECK (outcome IN ('promoted', 'refused')),
  detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE FUNCTION promotion_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER promotion_proposals_append_only BEFORE UPDATE OR DELETE ON promotion_proposals
  FOR EACH ROW EXECUTE FUNCTION promotion_append_only();
CREATE TRIGGER promotion_decisions_append_only BEFORE UPDATE OR DELETE ON promotion_decisions
  FOR EACH ROW EXECUTE FUNCTION promotion_append_only();
