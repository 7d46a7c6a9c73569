import type { Db, Queryable } from './db.ts';
import { listSeries, upsertSeries } from './series.repository.ts';
import type { SeriesRow } from '../core/series.ts';
import { naturalCompare } from '../core/natural-sort.ts';
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

/** A field of a node whose stored value differs from the file's (`attrs.<key>` for an attribute). */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** What loading a topology changed in the store. */
export interface TopologyChanges {
  added: string[];
  changed: Array<{ id: string; fields: FieldChange[] }>;
  unchanged: number;
  /**
   * Stored under a node of the file but absent from the file: kept, since measurements may
   * reference them, and still summed into their stored parent. Reported so it is never silent.
   */
  notInFile: string[];
}

/** Null, undefined and an absent key all mean "not set"; objects compare whatever their key order. */
const canonical = (v: unknown): string | undefined => {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x) ?? 'null').join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== null && x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
};

/** The fields of a series row, attributes one by one. */
const fieldsOf = (r: SeriesRow): Record<string, unknown> => {
  const { attrs, ...top } = r;
  return { ...top, ...Object.fromEntries(Object.entries(attrs).map(([k, v]) => [`attrs.${k}`, v])) };
};

function fieldChanges(stored: SeriesRow, next: SeriesRow): FieldChange[] {
  const [a, b] = [fieldsOf(stored), fieldsOf(next)];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => canonical(a[k]) !== canonical(b[k]))
    .map((field) => ({ field, from: a[field] ?? null, to: b[field] ?? null }));
}

/**
 * Stores a validated topology in `series`, in one transaction, writing only the nodes that are
 * new or differ from what is stored (a reload of the same file writes nothing), and returns what
 * changed, field by field.
 */
export function saveTopology(db: Db, topology: Topology): Promise<TopologyChanges> {
  return db.transaction(async (tx) => {
    const stored = new Map((await listSeries(tx)).map((r) => [r.id, r]));
    const changes: TopologyChanges = { added: [], changed: [], unchanged: 0, notInFile: [] };
    const writes: SeriesRow[] = [];
    for (const row of topology.nodes.map(toRow)) {
      const before = stored.get(row.id);
      const fields = before ? fieldChanges(before, row) : [];
      if (!before) changes.added.push(row.id);
      else if (fields.length) changes.changed.push({ id: row.id, fields });
      else changes.unchanged++;
      if (!before || fields.length) writes.push(row);
    }
    // Parents come before their children in topology.nodes, as the foreign key needs.
    await upsertSeries(tx, writes);
    // The series derived from it (core/topology/derived.ts), so they can be queried before the job first fills them.
    const derived = derivedSeries(topology).map(derivedRow);
    await upsertSeries(tx, derived.filter((r) => !stored.has(r.id) || fieldChanges(stored.get(r.id)!, r).length > 0));
    const inFile = new Set(topology.nodes.map((n) => n.id));
    const underFile = (r: SeriesRow): boolean => {
      for (let p = r.parent, seen = 0; p && seen < stored.size; p = stored.get(p)?.parent ?? null, seen++) if (inFile.has(p)) return true;
      return false;
    };
    changes.notInFile = [...stored.values()].filter((r) => !inFile.has(r.id) && !r.attrs.derived && underFile(r)).map((r) => r.id);
    changes.added.sort(naturalCompare);
    changes.changed.sort((a, b) => naturalCompare(a.id, b.id));
    changes.notInFile.sort(naturalCompare);
    return changes;
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
