import type { Db, Queryable } from './db.ts';
import { listSeries, upsertSeries, type SeriesRow } from './series.repository.ts';
import type { Topology, TopologyNode } from '../core/topology/schema.ts';
import { derivedSeries, type DerivedSeries } from '../core/topology/derived.ts';
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

const derivedRow = (d: DerivedSeries): SeriesRow => ({
  id: d.id,
  parent: null,
  kind: d.kind,
  unit: d.unit,
  timeZone: d.timeZone,
  weatherStation: d.weatherStation,
  attrs: { derived: true, of: d.of, role: d.role },
});

/**
 * Stores a validated topology in `series` (upsert, one transaction), with the series derived
 * from it (core/topology/derived.ts), so they can be queried before the job first fills them.
 * The counts are those of the topology's own nodes.
 */
export function saveTopology(db: Db, topology: Topology): Promise<{ inserted: number; updated: number }> {
  return db.transaction(async (tx) => {
    const counts = await upsertSeries(tx, topology.nodes.map(toRow));
    await upsertSeries(tx, derivedSeries(topology).map(derivedRow));
    return counts;
  });
}

/** Creates the derived series of a topology that are not stored yet (a store whose topology predates them). */
export async function ensureDerivedSeries(db: Db, topology: Topology): Promise<number> {
  const have = new Set((await listSeries(db)).map((r) => r.id));
  const missing = derivedSeries(topology).filter((d) => !have.has(d.id));
  if (missing.length > 0) await db.transaction((tx) => upsertSeries(tx, missing.map(derivedRow)));
  return missing.length;
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
