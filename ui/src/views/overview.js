// @ts-check
// Overview: the grid hierarchy as a tree with each node's status and latest day-ahead MAPE, the
// counts per status, the forecast jobs (last run, next run) and the latest alarms.
import { get, getAll } from '../api.js';
import { h, icon, num, SEVERITY, STATUS } from '../dom.js';
import { label } from '../lib/time.js';
import { loadStatus } from '../status.js';
import { createTree } from '../tree.js';

/** @typedef {import('../main.js').Ctx} Ctx @typedef {import('../main.js').Route} Route */
/** @typedef {import('../api-types.ts').Node} Node @typedef {import('../api-types.ts').EventView} EventView */

const REFRESH_MS = 60_000;

/** @param {HTMLElement} main @param {Route} route @param {Ctx} ctx */
export async function render(main, route, ctx) {
  const [nodes, st, jobs, events] = await Promise.all([
    /** @type {Promise<Node[]>} */ (getAll('/topology/nodes', { limit: 10000 }, 'nodes')),
    loadStatus(),
    get('/jobs'),
    get('/events', { limit: 200, acknowledged: 'false' }),
  ]);
  const tz = nodes.find((n) => n.parent === null)?.timeZone ?? 'UTC';
  // Weather stations are inputs, not grid elements.
  const grid = nodes.filter((n) => n.kind !== 'weather');
  // Series outside the summing hierarchy (derived series, generation, flows) under two headings, after it.
  const inHierarchy = new Set(grid.filter((n) => n.parent !== null).flatMap((n) => [n.id, n.parent]));
  const loose = (/** @type {Node} */ n) => n.parent === null && !inHierarchy.has(n.id);
  const groups = [
    { id: 'group:derived', parent: null, name: 'Derived series (PV estimates, consumption, balances)', group: true },
    { id: 'group:other', parent: null, name: 'Generation, flows and other series', group: true },
  ];
  const treeNodes = [
    ...grid.map((n) => (loose(n) ? { id: n.id, parent: n.derived ? groups[0].id : groups[1].id, name: n.name } : { id: n.id, parent: n.parent, name: n.name })),
    ...groups.filter((g) => grid.some((n) => loose(n) && (g === groups[0]) === n.derived)),
  ];
  const treeHost = h('div', { class: 'tree-host' });
  const counts = h('ul', { class: 'status-counts', 'aria-label': 'Nodes per status' });
  const note = h('p', { class: 'note' });
  const jobsBox = h('div', { class: 'jobs' });
  const alarmsBox = h('div', { class: 'alarms' });
  main.replaceChildren(
    h('h1', {}, 'Overview'),
    h('div', { class: 'overview' },
      h('section', { class: 'panel', 'aria-labelledby': 'tree-title' }, h('h2', { id: 'tree-title' }, 'Grid hierarchy'), treeHost, legend()),
      h('div', { class: 'side' },
        h('section', { class: 'panel', 'aria-labelledby': 'counts-title' }, h('h2', { id: 'counts-title' }, 'Status'), counts, note),
        h('section', { class: 'panel', 'aria-labelledby': 'jobs-title' }, h('h2', { id: 'jobs-title' }, 'Forecast runs'), jobsBox),
        h('section', { class: 'panel', 'aria-labelledby': 'alarms-title' }, h('h2', { id: 'alarms-title' }, 'Alarms and warnings not acknowledged'), alarmsBox),
      ),
    ),
  );
  const tree = createTree(treeHost, { nodes: treeNodes, status: st.status, onOpen: (id) => ctx.navigate(`#/node/${encodeURIComponent(id)}`) });
  const focus = route.params.get('node');
  if (focus) tree.reveal(focus);

  /** @param {Map<string, import('../tree.js').NodeStatus>} status @param {boolean} available */
  const showCounts = (status, available) => {
    /** @type {Record<string, number>} */
    const by = {};
    for (const n of grid) {
      const s = status.get(n.id)?.status ?? 'unknown';
      by[s] = (by[s] ?? 0) + 1;
    }
    counts.replaceChildren(...Object.entries(STATUS).filter(([k]) => by[k]).map(([k, s]) =>
      h('li', {}, h('button', { type: 'button', class: 'linkish', onclick: () => filterBy(k) }, icon(s), ` ${s.label}: `, h('strong', {}, by[k])))));
    note.textContent = available ? '' : 'This server does not report node statuses (no /api/v1/node-status).';
  };
  /** @param {string} s */
  const filterBy = (s) => {
    const first = grid.find((n) => (st.status.get(n.id)?.status ?? 'unknown') === s);
    if (first) tree.reveal(first.id);
    tree.focus();
  };
  showCounts(st.status, st.available);

  const forecastJobs = (/** @type {any[]} */ (jobs.jobs)).filter((j) => j.name.startsWith('forecast-'));
  jobsBox.replaceChildren(
    forecastJobs.length ? h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'job'), h('th', { scope: 'col' }, 'last run'), h('th', { scope: 'col' }, 'status'), h('th', { scope: 'col' }, 'next'))),
      h('tbody', {}, ...forecastJobs.map((j) => h('tr', {},
        h('td', {}, j.name.replace('forecast-', '')),
        h('td', {}, j.lastRun ? label(Date.parse(j.lastRun.scheduledAt), tz) : '—'),
        h('td', { class: `job-${j.lastRun?.status ?? 'none'}` }, j.lastRun?.status ?? 'never ran'),
        h('td', {}, j.nextRun ? label(Date.parse(j.nextRun), tz) : '—')))))
      : h('p', { class: 'muted' }, 'No forecast job is scheduled on this server.'),
  );

  const alarms = (/** @type {EventView[]} */ (events.events)).filter((e) => e.severity !== 'info').slice(0, 8);
  alarmsBox.replaceChildren(
    alarms.length
      ? h('ul', { class: 'event-list' }, ...alarms.map((e) => h('li', {},
          icon(SEVERITY[e.severity], e.severity),
          ' ',
          h('a', { href: `#/events?id=${e.id}` }, `${e.kind}${e.seriesId ? ` · ${e.seriesId}` : ''}`),
          h('span', { class: 'muted' }, ` ${label(Date.parse(e.at), tz)}`))))
      : h('p', {}, 'No alarm or warning in the event log.'),
    h('p', {}, h('a', { href: '#/events' }, 'All events')),
  );

  const timer = setInterval(async () => {
    try {
      const next = await loadStatus();
      st.status = next.status;
      tree.setStatus(next.status);
      showCounts(next.status, next.available);
    } catch {
      // The next tick tries again; the view keeps what it shows.
    }
  }, REFRESH_MS);
  return () => clearInterval(timer);
}

function legend() {
  return h('p', { class: 'legend', 'aria-label': 'Status legend' }, ...Object.values(STATUS).flatMap((s) => [icon(s), ` ${s.label} `]), ' · % : latest day-ahead MAPE');
}
