import { GridcastError } from '../../core/errors.ts';
import { buildTree, summingMatrix, type MovingLoadSharing } from '../../core/hierarchy.ts';
import type { WeatherSource } from '../../core/topology/schema.ts';
import type { SeriesRow } from '../../core/series.ts';

/** The store read behind the topology: store/series.repository.ts listSeries over a connection. */
export interface TopologyRepository {
  listSeries(): Promise<SeriesRow[]>;
}

/** A stored node as a reader sees it: derived series (PV estimate, consumption, balance) say so. */
export interface TopologyNodeView {
  id: string;
  parent: string | null;
  kind: SeriesRow['kind'];
  unit: string;
  timeZone: string;
  weatherStation: WeatherSource | null;
  name: string | null;
  children: string[];
  derived: boolean;
  sharing: MovingLoadSharing | null;
  attrs: Record<string, unknown>;
}

export interface SummingStructure {
  root: string;
  /** The bottom series, depth first (the columns of S). */
  bottom: string[];
  /** Each aggregate, top-down, with the bottom series that sum into it. */
  aggregates: Array<{ id: string; bottom: string[] }>;
}

/**
 * Reads the stored topology: nodes with their children, and the summing structure of the
 * hierarchy (core/hierarchy.ts summingMatrix, the S reconciliation uses).
 */
export function createTopologyReader(repo: TopologyRepository) {
  async function nodes(): Promise<TopologyNodeView[]> {
    const rows = await repo.listSeries();
    const children = new Map<string, string[]>();
    for (const r of rows) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.id]);
    return rows.map((r) => {
      const { sharing, derived, ...attrs } = r.attrs;
      return {
        id: r.id,
        parent: r.parent,
        kind: r.kind,
        unit: r.unit,
        timeZone: r.timeZone,
        weatherStation: r.weatherStation ?? null,
        name: r.name ?? null,
        children: children.get(r.id) ?? [],
        derived: derived === true,
        sharing: (sharing as MovingLoadSharing | undefined) ?? null,
        attrs,
      };
    });
  }

  return {
    nodes,
    async node(id: string): Promise<TopologyNodeView> {
      const node = (await nodes()).find((n) => n.id === id);
      if (!node) throw new GridcastError('SERIES_NOT_FOUND', `Unknown node '${id}': it is not in the stored topology.`, { nodeId: id });
      return node;
    },
    /** S under `root` (default: the one hierarchy of the store; HIERARCHY_ROOT_AMBIGUOUS when there are several). */
    async summing(root?: string): Promise<SummingStructure> {
      const hierarchy = (await nodes()).filter((n) => !n.derived).map((n) => ({ id: n.id, parent: n.parent, ...(n.sharing && { sharing: n.sharing }) }));
      if (root !== undefined && !buildTree(hierarchy).parent.has(root)) {
        throw new GridcastError('SERIES_NOT_FOUND', `Unknown node '${root}': it is not in the stored topology.`, { nodeId: root });
      }
      const s = summingMatrix(hierarchy, root);
      const aggregates = s.rows.slice(0, s.rows.length - s.cols.length);
      return {
        root: s.rows[0],
        bottom: s.cols,
        aggregates: aggregates.map((id, i) => ({ id, bottom: Array.from(s.rowCols[i], (c) => s.cols[c]) })),
      };
    },
  };
}
export type TopologyReader = ReturnType<typeof createTopologyReader>;
