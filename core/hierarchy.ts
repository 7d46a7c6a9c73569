import { GridcastError } from './errors.ts';

/**
 * The grid hierarchy as a tree of parent links, and the summing matrix S that maps the
 * bottom series to every level (y_all = S · y_bottom). Pure: no I/O.
 *
 * Moving loads (B8): a load that draws from several substations over time (a train line) is
 * its own bottom series, attached to the lowest common ancestor (LCA) of the substations it
 * can draw from. The substations' own series exclude it, so every aggregate at or above the
 * LCA counts it exactly once and no aggregate below the LCA counts it at all. Views at
 * substation level spread it with `allocateMovingLoad` ('average' keeps sums coherent,
 * 'worst-case' gives every substation the full load, for constraint studies only).
 */
export interface HierarchyNode {
  id: string;
  parent?: string | null;
  sharing?: MovingLoadSharing;
}

export interface MovingLoadSharing {
  /** Substations the load can draw from (at least two). */
  substations: string[];
  allocation?: AllocationRule;
}

export const ALLOCATION_RULES = ['average', 'worst-case'] as const;
export type AllocationRule = (typeof ALLOCATION_RULES)[number];

export interface Tree {
  /** Node ids in input order. */
  ids: string[];
  parent: Map<string, string | null>;
  children: Map<string, string[]>;
  roots: string[];
}

/** Builds the tree; throws TOPOLOGY_DUPLICATE_NODE, TOPOLOGY_UNKNOWN_PARENT or TOPOLOGY_CYCLE. */
export function buildTree(nodes: readonly HierarchyNode[]): Tree {
  const parent = new Map<string, string | null>();
  for (const n of nodes) {
    if (parent.has(n.id)) {
      throw new GridcastError('TOPOLOGY_DUPLICATE_NODE', `Node '${n.id}' is declared twice (a node has one parent): keep one declaration.`, { nodeId: n.id });
    }
    parent.set(n.id, n.parent ?? null);
  }
  const children = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  const roots: string[] = [];
  for (const n of nodes) {
    const p = n.parent ?? null;
    if (p === null) {
      roots.push(n.id);
      continue;
    }
    if (!parent.has(p)) {
      throw new GridcastError('TOPOLOGY_UNKNOWN_PARENT', `Node '${n.id}' has parent '${p}', which is not declared.`, { nodeId: n.id, parent: p });
    }
    children.get(p)!.push(n.id);
  }
  // Every node must reach a root; one that does not sits on a cycle.
  const reachesRoot = new Set(roots);
  for (const id of parent.keys()) {
    const path: string[] = [];
    let cur: string | null = id;
    while (cur !== null && !reachesRoot.has(cur)) {
      if (path.includes(cur)) {
        const cycle = path.slice(path.indexOf(cur));
        throw new GridcastError('TOPOLOGY_CYCLE', `Node '${cur}' is its own ancestor (${[...cycle, cur].join(' → ')}); break the cycle.`, { nodeId: cur, cycle });
      }
      path.push(cur);
      cur = parent.get(cur)!;
    }
    for (const p of path) reachesRoot.add(p);
  }
  return { ids: nodes.map((n) => n.id), parent, children, roots };
}

const requireNode = (tree: Tree, id: string): void => {
  if (!tree.parent.has(id)) throw new GridcastError('TOPOLOGY_UNKNOWN_NODE', `Node '${id}' is not in the topology.`, { nodeId: id });
};

/** Parent, grandparent, … up to the root (the node itself excluded). */
export function ancestors(tree: Tree, id: string): string[] {
  requireNode(tree, id);
  const out: string[] = [];
  for (let p = tree.parent.get(id)!; p !== null; p = tree.parent.get(p)!) out.push(p);
  return out;
}

/** Bottom nodes under `id`, depth first in declaration order (the node itself when it is a leaf). */
export function leaves(tree: Tree, id: string): string[] {
  requireNode(tree, id);
  const out: string[] = [];
  const walk = (n: string) => {
    const kids = tree.children.get(n)!;
    if (kids.length === 0) out.push(n);
    else kids.forEach(walk);
  };
  walk(id);
  return out;
}

/** The deepest node that is an ancestor-or-self of every id; null when they sit in different trees. */
export function lowestCommonAncestor(tree: Tree, ids: readonly string[]): string | null {
  if (ids.length === 0) return null;
  const chains = ids.map((id) => [id, ...ancestors(tree, id)]);
  const common = chains.slice(1).reduce((acc, c) => acc.filter((a) => c.includes(a)), chains[0]);
  return common[0] ?? null;
}

export interface SummingMatrix {
  /** Aggregate nodes top-down (breadth first), then the bottom nodes in `cols` order: S = [A; I]. */
  rows: string[];
  /** Bottom nodes, depth first, so each aggregate covers a contiguous block. */
  cols: string[];
  /** For each row, the sorted column indices where S is 1 (S is 0 elsewhere). */
  rowCols: Int32Array[];
}

/**
 * S for the tree under `rootId`. Without rootId the nodes must form one tree (nodes without
 * parent and without children, e.g. weather stations or flows, are ignored).
 */
export function summingMatrix(nodes: readonly HierarchyNode[], rootId?: string): SummingMatrix {
  const tree = buildTree(nodes);
  const root = rootId ?? soleRoot(tree);
  requireNode(tree, root);
  const cols = leaves(tree, root);
  const colIndex = new Map(cols.map((c, i) => [c, i]));
  const aggregates: string[] = [];
  for (let level = [root]; level.length > 0; level = level.flatMap((n) => tree.children.get(n)!)) {
    for (const n of level) if (tree.children.get(n)!.length > 0) aggregates.push(n);
  }
  const rows = [...aggregates, ...cols];
  const rowCols = rows.map((r) => Int32Array.from(leaves(tree, r).map((l) => colIndex.get(l)!)).sort());
  return { rows, cols, rowCols };
}

function soleRoot(tree: Tree): string {
  const candidates = tree.roots.filter((r) => tree.children.get(r)!.length > 0);
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0 && tree.roots.length === 1) return tree.roots[0];
  throw new GridcastError(
    'HIERARCHY_ROOT_AMBIGUOUS',
    candidates.length === 0 ? 'The topology has no hierarchy (no node has children).' : `The topology has several hierarchies (${candidates.join(', ')}): name the root.`,
    { roots: candidates },
  );
}

/** S as dense rows (rows × cols of 0/1), for small trees and tests. */
export function denseSummingMatrix(sm: SummingMatrix): Float64Array[] {
  return sm.rowCols.map((cs) => {
    const row = new Float64Array(sm.cols.length);
    for (const c of cs) row[c] = 1;
    return row;
  });
}

/** y_all = S · y_bottom for one vector of bottom values (in `cols` order). */
export function aggregateBottom(sm: SummingMatrix, bottom: ArrayLike<number>): Float64Array {
  if (bottom.length !== sm.cols.length) {
    throw new GridcastError('HIERARCHY_SHAPE', `Expected ${sm.cols.length} bottom values, got ${bottom.length}.`);
  }
  return Float64Array.from(sm.rowCols, (cs) => cs.reduce((s, c) => s + bottom[c], 0));
}

/**
 * Spreads a moving load over its substations for substation-level views. 'average': each
 * substation gets value / n (the shares sum to the load, so substation views stay additive);
 * 'worst-case': each gets the full value (never sum these).
 */
export function allocateMovingLoad(values: Float64Array, sharing: MovingLoadSharing, rule: AllocationRule = sharing.allocation ?? 'average'): Map<string, Float64Array> {
  const factor = rule === 'average' ? 1 / sharing.substations.length : 1;
  return new Map(sharing.substations.map((s) => [s, values.map((v) => v * factor)]));
}
