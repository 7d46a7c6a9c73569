-- Planned transfers of load between nodes (issue 14 part 4, REQUIREMENTS A12): switching for works
-- moves a share of the from-node's load to the to-node over [start_ts, end_ts). Every version is
-- kept, like metering: a plan is (source, ref); each issue is a new version, `cancelled` withdraws
-- it. A run reads the version in force at its issue time (latest issued_at <= it), so a plan
-- revised after a run does not change that run. Append-only.
CREATE TABLE planned_transfers (
  id          bigserial PRIMARY KEY,
  source      text NOT NULL,
  ref         text NOT NULL,
  version     integer NOT NULL CHECK (version >= 1),
  from_node   text NOT NULL REFERENCES series (id),
  to_node     text NOT NULL REFERENCES series (id),
  start_ts    timestamptz NOT NULL,
  end_ts      timestamptz NOT NULL,
  share       double precision NOT NULL CHECK (share > 0 AND share <= 1),
  status      text NOT NULL CHECK (status IN ('planned', 'cancelled')),
  reason      text,
  issued_at   timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  CHECK (end_ts > start_ts),
  CHECK (from_node <> to_node),
  UNIQUE (source, ref, version),
  UNIQUE (source, ref, issued_at)
);
CREATE INDEX planned_transfers_span_idx ON planned_transfers (start_ts, end_ts);

CREATE FUNCTION planned_transfers_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'planned_transfers is append-only (issue a new version): % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER planned_transfers_no_update_delete BEFORE UPDATE OR DELETE ON planned_transfers
  FOR EACH ROW EXECUTE FUNCTION planned_transfers_append_only();
