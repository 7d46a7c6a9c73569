// @ts-check
// Accuracy: MAPE, bias and interval coverage per local day for a node and horizon, against the
// backtest MAPE of the champion serving the node; per lead time; and every node's figures over the
// period, to pick one.
import { get } from '../api.js';
import { lineChart } from '../chart.js';
import { h, num, PALETTE } from '../dom.js';
import { addDays, localDate, midnight } from '../lib/time.js';
import { backtestMape } from './registry.js';

/** @typedef {import('../main.js').Ctx} Ctx @typedef {import('../main.js').Route} Route */
/** @typedef {import('../api-types.ts').AccuracyRow} AccuracyRow @typedef {import('../api-types.ts').Version} Version */

const HORIZONS = ['intraday', 'day-ahead', 'week-ahead', 'mid-term'];
const HEIGHT = 220;

/** The champion serving `node`, and its backtest MAPE. @param {string} node @returns {Promise<{ version: Version, mape: number | null } | null>} */
async function championOf(node) {
  const models = (await get('/models')).items.filter((/** @type {any} */ m) => m.champion);
  for (const m of models) {
    const d = await get(`/models/${encodeURIComponent(m.name)}`);
    const v = /** @type {Version[]} */ (d.versions).find((x) => x.status === 'champion' && x.seriesIds.includes(node));
    if (v) return { version: v, mape: backtestMape(v) };
  }
  return null;
}

/** @param {HTMLElement} main @param {Route} route @param {Ctx} ctx */
export async function render(main, route, ctx) {
  const p = route.params;
  const roots = await get('/topology/nodes', { limit: 10000 });
  const nodes = /** @type {import('../api-types.ts').Node[]} */ (roots.nodes).filter((n) => n.kind !== 'weather');
  const node = p.get('node') || nodes.find((n) => n.parent === null)?.id || '';
  const horizon = p.get('horizon') || 'day-ahead';
  const tz = nodes.find((n) => n.id === node)?.timeZone ?? 'UTC';
  const to = p.get('to') || addDays(localDate(Date.now(), tz), 1);
  const from = p.get('from') || addDays(to, -30);

  const [byDay, byLead, bySeries, champ] = await Promise.all([
    get('/accuracy', { series: node, horizon, by: 'day', from, to }),
    get('/accuracy', { series: node, horizon, by: 'lead', from, to }),
    get('/accuracy', { horizon, by: 'series', from, to }),
    championOf(node),
  ]);
  /** @type {AccuracyRow[]} */
  const days = byDay.rows.filter((/** @type {AccuracyRow} */ r) => r.day).sort((/** @type {AccuracyRow} */ a, /** @type {AccuracyRow} */ b) => String(a.day).localeCompare(String(b.day)));
  const xs = days.map((r) => midnight(/** @type {string} */ (r.day), tz) / 1000);

  const nav = (/** @type {Record<string, string>} */ change) => {
    const q = new URLSearchParams({ node, horizon, from, to, ...change });
    ctx.navigate(`#/accuracy?${q}`);
  };
  const nodeSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'acc-node', onchange: () => nav({ node: nodeSel.value }) }, ...nodes.map((n) => h('option', { value: n.id, selected: n.id === node }, n.id))));
  const horSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'acc-horizon', onchange: () => nav({ horizon: horSel.value }) }, ...HORIZONS.map((x) => h('option', { value: x, selected: x === horizon }, x))));
  const fromIn = /** @type {HTMLInputElement} */ (h('input', { id: 'acc-from', type: 'date', value: from }));
  const toIn = /** @type {HTMLInputElement} */ (h('input', { id: 'acc-to', type: 'date', value: to }));
  const charts = [
    { id: 'acc-mape', title: 'MAPE (%)', values: days.map((r) => r.mape), color: PALETTE.blue, refs: champ?.mape != null ? [{ value: champ.mape, label: `backtest MAPE of ${champ.version.id}: ${num(champ.mape, 2)} %`, color: PALETTE.vermillion }] : [] },
    { id: 'acc-bias', title: 'Bias (forecast − actual)', values: days.map((r) => r.bias), color: PALETTE.orange, refs: [{ value: 0, label: 'no bias', color: PALETTE.black }] },
    { id: 'acc-coverage', title: 'Coverage of the outer interval (%)', values: days.map((r) => r.coverage), color: PALETTE.green, refs: [{ value: 80, label: 'P10–P90 nominal 80 %', color: PALETTE.black }] },
  ];
  main.replaceChildren(
    h('h1', {}, 'Accuracy'),
    h('form', { class: 'controls', 'aria-label': 'Accuracy settings', onsubmit: (/** @type {Event} */ ev) => { ev.preventDefault(); nav({ from: fromIn.value, to: toIn.value }); } },
      h('label', { for: 'acc-node' }, 'Node'), nodeSel,
      h('label', { for: 'acc-horizon' }, 'Horizon'), horSel,
      h('label', { for: 'acc-from' }, 'From'), fromIn,
      h('label', { for: 'acc-to' }, 'To (excluded)'), toIn,
      h('button', { type: 'submit' }, 'Show'),
      h('a', { href: `#/node/${encodeURIComponent(node)}` }, `Chart of ${node}`)),
    h('p', { class: 'muted' }, champ
      ? `Champion serving ${node}: ${champ.version.id} (${champ.version.kind})${champ.mape === null ? ', no backtest MAPE stored' : `, backtest MAPE ${num(champ.mape, 2)} %`}.`
      : `No registered champion serves ${node}: its forecasts come from the default model, without a backtest reference.`),
    days.length
      ? h('div', { class: 'grid-charts' }, ...charts.map((c) => h('section', { class: 'panel', 'aria-labelledby': `${c.id}-t` }, h('h2', { id: `${c.id}-t` }, c.title), h('div', { class: 'chart', id: c.id }))))
      : h('p', { class: 'panel' }, `No scored ${horizon} forecast of ${node} between ${from} and ${to}: scores come once actuals arrive (the score job, every 15 minutes).`),
    h('section', { class: 'panel', 'aria-labelledby': 'lead-t' }, h('h2', { id: 'lead-t' }, `By lead time (${node}, ${horizon})`), table(byLead.rows, (r) => `${r.leadFrom}–${r.leadTo} h`, 'lead')),
    h('section', { class: 'panel', 'aria-labelledby': 'series-t' }, h('h2', { id: 'series-t' }, `Every node (${horizon}, ${from} – ${to})`),
      table(bySeries.rows, (r) => h('a', { href: `#/accuracy?${new URLSearchParams({ node: r.seriesId, horizon, from, to })}` }, r.seriesId), 'node')),
  );
  for (const c of charts) {
    const el = document.getElementById(c.id);
    if (!el) continue;
    lineChart(el, { xs, time: true, tz, xLabel: 'day', yLabel: c.title, width: Math.max(320, el.clientWidth || 420), height: HEIGHT, lines: [{ label: c.title, values: c.values, color: c.color }], refs: c.refs });
  }
}

/** @param {AccuracyRow[]} rows @param {(r: AccuracyRow) => Node | string} first @param {string} head */
function table(rows, first, head) {
  if (!rows.length) return h('p', { class: 'muted' }, 'No scored value.');
  return h('table', {},
    h('thead', {}, h('tr', {}, ...[head, 'values', 'MAPE %', 'MAE', 'bias', 'pinball', 'coverage %'].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : '' }, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, h('td', {}, first(r)), h('td', { class: 'num' }, r.n), h('td', { class: 'num' }, num(r.mape, 2)), h('td', { class: 'num' }, num(r.mae, 2)), h('td', { class: 'num' }, num(r.bias, 2)), h('td', { class: 'num' }, num(r.pinball, 3)), h('td', { class: 'num' }, num(r.coverage, 1))))));
}
