// @ts-check
// The hierarchy tree: an ARIA tree (role=tree, treeitems with level, position and expanded state)
// that only puts the rows in view into the DOM, so 10,000 nodes open and filter at once. Focus stays
// on the tree; aria-activedescendant names the active row. Keys: ↑ ↓ move, → opens or goes to the
// first child, ← closes or goes to the parent, Home/End, Enter opens the node's view, * opens the siblings.
import { h, icon, num, STATUS } from './dom.js';
import { treeIndex, visibleRows } from './lib/tree-model.js';

const ROW = 28;
const OVERSCAN = 8;

/**
 * @typedef {{ id: string, parent: string | null, name?: string | null, group?: boolean }} TreeNode  group: a heading that gathers nodes, not a node of the grid
 * @typedef {{ status: string, mape?: number | null, worstBelow?: string | null, detail?: string }} NodeStatus
 * @typedef {import('./lib/tree-model.js').TreeRow} TreeRow
 */

/**
 * @param {HTMLElement} host
 * @param {{ nodes: TreeNode[], status?: Map<string, NodeStatus>, onOpen: (id: string) => void, label?: string, height?: number }} opts
 */
export function createTree(host, opts) {
  let ix = treeIndex(opts.nodes);
  let status = opts.status ?? new Map();
  // The hierarchy opens at its roots; group headings stay closed.
  const expanded = new Set(ix.roots.filter((id) => !ix.byId.get(id)?.group));
  let query = '';
  /** @type {TreeRow[]} */
  let rows = [];
  let active = 0;
  const domIds = new Map(opts.nodes.map((n, i) => [n.id, `tn-${i}`]));

  const input = /** @type {HTMLInputElement} */ (h('input', { id: 'tree-search', type: 'search', placeholder: 'id or name', autocomplete: 'off', spellcheck: false }));
  const count = h('span', { class: 'tree-count', 'aria-live': 'polite' });
  const spacer = h('div', { class: 'tree-spacer' });
  const view = h('div', { class: 'tree', role: 'tree', tabindex: 0, 'aria-label': opts.label ?? 'Grid hierarchy', style: `height:${opts.height ?? 520}px` }, spacer);
  host.replaceChildren(h('div', { class: 'tree-search' }, h('label', { for: 'tree-search' }, 'Search nodes'), input, count), view);

  const recompute = () => {
    rows = visibleRows(ix, expanded, query);
    spacer.style.height = `${rows.length * ROW}px`;
    if (active >= rows.length) active = Math.max(0, rows.length - 1);
    count.textContent = query ? `${rows.filter((r) => r.match).length} matching` : `${ix.search.size} nodes`;
  };

  /** @param {TreeRow} r @param {number} i */
  const rowEl = (r, i) => {
    const n = ix.byId.get(r.id);
    const s = status.get(r.id);
    const st = STATUS[s?.status ?? 'unknown'] ?? STATUS.unknown;
    const el = h(
      'div',
      {
        role: 'treeitem',
        id: domIds.get(r.id),
        class: `tree-row${i === active ? ' active' : ''}${r.match ? ' match' : ''}`,
        'aria-level': r.depth,
        'aria-setsize': r.setSize,
        'aria-posinset': r.posInSet,
        'aria-selected': i === active ? 'true' : 'false',
        ...(r.hasChildren && { 'aria-expanded': r.expanded ? 'true' : 'false' }),
        'data-id': r.id,
        style: `top:${i * ROW}px;padding-left:${(r.depth - 1) * 16 + 4}px`,
      },
      h('span', { class: 'twisty', 'aria-hidden': 'true' }, r.hasChildren ? (r.expanded ? '▾' : '▸') : ''),
      n?.group ? null : icon(st, `status: ${st.label}${s?.detail ? ` (${s.detail})` : ''}`),
      n?.group ? null : h('span', { class: 'node-id' }, r.id),
      // A closed node shows the worst status under it, so trouble is visible without opening the tree.
      r.hasChildren && !r.expanded && s?.worstBelow && s.worstBelow !== 'ok' && STATUS[s.worstBelow]
        ? h('span', { class: 'below' }, icon(STATUS[s.worstBelow], `below: ${STATUS[s.worstBelow].label}`), ' below')
        : null,
      n?.name ? h('span', { class: n.group ? 'group-name' : 'node-name' }, n.name) : null,
      h('span', { class: 'node-mape', title: 'latest day-ahead MAPE' }, s?.mape !== undefined && s?.mape !== null ? `${num(s.mape)} %` : ''),
    );
    return el;
  };

  const paint = () => {
    const first = Math.max(0, Math.floor(view.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((view.scrollTop + view.clientHeight) / ROW) + OVERSCAN);
    const els = [];
    for (let i = first; i < last; i++) els.push(rowEl(rows[i], i));
    spacer.replaceChildren(...els);
    const a = rows[active];
    if (a) view.setAttribute('aria-activedescendant', /** @type {string} */ (domIds.get(a.id)));
    else view.removeAttribute('aria-activedescendant');
  };

  const reveal = () => {
    const top = active * ROW;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (top + ROW > view.scrollTop + view.clientHeight) view.scrollTop = top + ROW - view.clientHeight;
  };

  /** @param {number} i */
  const moveTo = (i) => {
    active = Math.max(0, Math.min(rows.length - 1, i));
    reveal();
    paint();
  };

  /** @param {string} id @param {boolean} [open] */
  const toggle = (id, open) => {
    const now = expanded.has(id);
    const want = open ?? !now;
    if (want === now) return false;
    if (want) expanded.add(id);
    else expanded.delete(id);
    recompute();
    paint();
    return true;
  };

  view.addEventListener('scroll', () => paint());
  view.addEventListener('click', (ev) => {
    const row = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (ev.target).closest('.tree-row'));
    if (!row) return;
    const id = /** @type {string} */ (row.dataset.id);
    active = rows.findIndex((r) => r.id === id);
    if (/** @type {HTMLElement} */ (ev.target).classList.contains('twisty')) {
      if (!query) toggle(id);
      else paint();
    } else if (ix.byId.get(id)?.group) {
      if (!query) toggle(id);
      else paint();
    } else {
      paint();
      opts.onOpen(id);
    }
  });
  view.addEventListener('keydown', (ev) => {
    const r = rows[active];
    if (!r) return;
    let handled = true;
    switch (ev.key) {
      case 'ArrowDown': moveTo(active + 1); break;
      case 'ArrowUp': moveTo(active - 1); break;
      case 'Home': moveTo(0); break;
      case 'End': moveTo(rows.length - 1); break;
      case 'PageDown': moveTo(active + Math.floor(view.clientHeight / ROW)); break;
      case 'PageUp': moveTo(active - Math.floor(view.clientHeight / ROW)); break;
      case 'ArrowRight':
        if (r.hasChildren && !r.expanded && !query) toggle(r.id, true);
        else if (r.hasChildren) moveTo(active + 1);
        break;
      case 'ArrowLeft':
        if (r.hasChildren && r.expanded && !query) toggle(r.id, false);
        else {
          const parent = ix.byId.get(r.id)?.parent;
          const p = parent ? rows.findIndex((x) => x.id === parent) : -1;
          if (p >= 0) moveTo(p);
        }
        break;
      case 'Enter':
        if (ix.byId.get(r.id)?.group) toggle(r.id);
        else opts.onOpen(r.id);
        break;
      case ' ': if (r.hasChildren && !query) toggle(r.id); break;
      case '*': {
        const parent = ix.byId.get(r.id)?.parent;
        const siblings = parent ? ix.children.get(parent) ?? [] : ix.roots;
        for (const s of siblings) if (ix.children.has(s)) expanded.add(s);
        recompute();
        paint();
        break;
      }
      default: handled = false;
    }
    if (handled) ev.preventDefault();
  });
  input.addEventListener('input', () => {
    query = input.value;
    active = 0;
    recompute();
    view.scrollTop = 0;
    const m = rows.findIndex((r) => r.match);
    if (m >= 0) active = m;
    reveal();
    paint();
  });
  // From the search box: ↓ goes into the tree, Enter opens the active match.
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown') {
      ev.preventDefault();
      view.focus();
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      const r = rows[active];
      if (r && !ix.byId.get(r.id)?.group) opts.onOpen(r.id);
    }
  });

  recompute();
  // The host may not be laid out yet: paint once now (its height is fixed) and again on the next frame.
  paint();
  requestAnimationFrame(paint);

  return {
    /** @param {Map<string, NodeStatus>} s */
    setStatus(s) {
      status = s;
      paint();
    },
    /** @param {TreeNode[]} nodes */
    setNodes(nodes) {
      ix = treeIndex(nodes);
      nodes.forEach((n, i) => domIds.set(n.id, `tn-${i}`));
      recompute();
      paint();
    },
    /** @param {string} q */
    search(q) {
      input.value = q;
      input.dispatchEvent(new Event('input'));
    },
    /** Opens the ancestors of `id` and makes it the active row. @param {string} id */
    reveal(id) {
      for (let a = ix.byId.get(id)?.parent; a; a = ix.byId.get(a)?.parent) expanded.add(a);
      recompute();
      const i = rows.findIndex((r) => r.id === id);
      if (i >= 0) moveTo(i);
    },
    /** @param {string} id */
    expand(id) {
      toggle(id, true);
    },
    expandAll() {
      for (const id of ix.children.keys()) expanded.add(id);
      recompute();
      paint();
    },
    rows: () => rows,
    focus: () => view.focus(),
    element: view,
  };
}
