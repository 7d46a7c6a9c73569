import type { Db, Queryable } from './db.ts';
import { listSeries, upsertSeries, type SeriesRow } from './series.repository.ts';
import type { Topology, TopologyNode } from '../core/topology/schema.ts';
import { validateTopology } from '../core/topology/validate.ts';

/** Moving-load sharing is kept in attrs.sharing, the only place the series table has for it. */
const toRow = (n: TopologyNode): SeriesRow => ({
  id: n.id,
  parent: n.parent,
  kind: n.kind,
  unit: n.unit,
  timeZone: n.timeZone,
  weatherStation: n.weatherStation,
  name: n.name,
  attrs: n.sharing ? { ...n.attrs, sharing: n.sharing } : n.attrs,
});

/** Stores a validated topology in `series` (upsert, one transaction). */
export function saveTopology(db: Db, topology: Topology): Promise<{ inserted: number; updated: number }> {
  return db.transaction((tx) => upsertSeries(tx, topology.nodes.map(toRow)));
}

/**
 * Reads the stored topology back (derived series excluded) and validates it again, so a
 * table edited by hand cannot feed a broken hierarchy to reconciliation.
 */
export async function loadStoredTopology(q: Queryable, defaultTimeZone = 'UTC'): Promise<Topology> {
  const rows = (await listSeries(q)).filter((r) => !r.attrs.derived);
  const nodes = rows.map((r) => {
    const { sharing, ...attrs } = r.attrs;
    return {
      id: r.id,
      parent: r.parent,
      kind: r.kind,
      unit: r.unit,
      timeZone: r.timeZone,
      ...(r.weatherStation && { weatherStation: r.weatherStation }),
      ...(r.name && { name: r.name }),
      ...(sharing !== undefined && { sharing }),
      attrs,
    };
  });
  return validateTopology({ timeZone: defaultTimeZone, nodes }, 'stored topology');
}
