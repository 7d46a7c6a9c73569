// @ts-check
// The hierarchy as the tree shows it: rows of the expanded nodes in depth-first order, or of the
// nodes a search matches with their ancestors. Pure and linear in the number of nodes, so a
// 10,000-node grid expands and filters within a frame.

/**
 * @typedef {{ id: string, parent: string | null, name?: string | null, group?: boolean }} TreeNodeInput
 * @typedef {{ id: string, depth: number, hasChildren: boolean, expanded: boolean, match: boolean, posInSet: number, setSize: number }} TreeRow
 */

/** @param {TreeNodeInput[]} nodes */
export function treeIndex(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  /** @type {Map<string, string[]>} */
  const children = new Map();
  const roots = [];
  for (const n of nodes) {
    // A parent that is not in the list (a partial topology) makes its child a root.
    if (n.parent !== null && byId.has(n.parent)) {
      const list = children.get(n.parent);
      if (list) list.push(n.id);
      else children.set(n.parent, [n.id]);
    } else roots.push(n.id);
  }
  const cmp = (/** @type {string} */ a, /** @type {string} */ b) => (a < b ? -1 : a > b ? 1 : 0);
  roots.sort(cmp);
  // Group headings after the hierarchy.
  roots.sort((a, b) => Number(byId.get(a)?.group ?? false) - Number(byId.get(b)?.group ?? false));
  for (const list of children.values()) list.sort(cmp);
  // Group headings are found through what they hold, not by their own name.
  const search = new Map(nodes.filter((n) => !n.group).map((n) => [n.id, `${n.id}\u0000${n.name ?? ''}`.toLowerCase()]));
  return { byId, children, roots, search };
}
/** @typedef {ReturnType<typeof treeIndex>} TreeIndex */

/**
 * The rows to show: depth first from the roots, into expanded nodes only; with a query, every node
 * whose id or name contains it (case-insensitive) and the ancestors on its path, all open.
 * @param {TreeIndex} ix @param {Set<string>} expanded @param {string} [query]
 * @returns {TreeRow[]}
 */
export function visibleRows(ix, expanded, query = '') {
  const q = query.trim().toLowerCase();
  /** @type {Set<string> | null} */
  let keep = null;
  /** @type {Set<string>} */
  const matches = new Set();
  if (q) {
    keep = new Set();
    for (const [id, text] of ix.search) {
      if (!text.includes(q)) continue;
      matches.add(id);
      for (let a = /** @type {string | null | undefined} */ (id); a && !keep.has(a); a = ix.byId.get(a)?.parent) keep.add(a);
    }
  }
  /** @type {TreeRow[]} */
  const rows = [];
  /** @param {string[]} ids @param {number} depth */
  const walk = (ids, depth) => {
    const shown = keep ? ids.filter((id) => /** @type {Set<string>} */ (keep).has(id)) : ids;
    for (let i = 0; i < shown.length; i++) {
      const id = shown[i];
      const kids = ix.children.get(id);
      const open = kids !== undefined && (keep ? true : expanded.has(id));
      rows.push({ id, depth, hasChildren: kids !== undefined, expanded: open, match: matches.has(id), posInSet: i + 1, setSize: shown.length });
      if (open) walk(/** @type {string[]} */ (kids), depth + 1);
    }
  };
  walk(ix.roots, 1);
  return rows;
}

/** The ancestors of `id`, nearest first. @param {TreeIndex} ix @param {string} id */
export function ancestors(ix, id) {
  const out = [];
  for (let a = ix.byId.get(id)?.parent; a && ix.byId.has(a); a = ix.byId.get(a)?.parent) out.push(a);
  return out;
}
