// @ts-check
// Model explanation: a GAM version's partial effects with their confidence bands, computed by the
// API from the stored artifact (GET /models/{name}/versions/{version}/effects): the temperature
// response, the daily profile per day type, the annual cycle — as mgcv's plot.gam draws them.
import { ApiError, get } from '../api.js';
import { lineChart } from '../chart.js';
import { h, PALETTE } from '../dom.js';

/** @typedef {import('../main.js').Ctx} Ctx @typedef {import('../main.js').Route} Route */
/**
 * One curve of an effect, as the API sends it (fields read defensively: a term may have several
 * curves, e.g. one daily profile per day type).
 * @typedef {{ label?: string, by?: string | null, x: number[], fit: number[], lo?: number[], hi?: number[], se?: number[] }} Curve
 * @typedef {{ term?: string, name?: string, label?: string, title?: string, xLabel?: string, x?: number[], fit?: number[], lo?: number[], hi?: number[], se?: number[], curves?: Curve[], scale?: string, series?: string | null }} Effect
 */

const COLORS = [PALETTE.blue, PALETTE.orange, PALETTE.green, PALETTE.purple, PALETTE.vermillion, PALETTE.black, PALETTE.sky];

/** The curves of an effect, with lower and upper band (fit ± 2 se when only se is sent). @param {Effect} e @returns {Curve[]} */
export function curvesOf(e) {
  const raw = e.curves ?? (e.x && e.fit ? [{ x: e.x, fit: e.fit, lo: e.lo, hi: e.hi, se: e.se }] : []);
  return raw.map((c) => ({
    ...c,
    lo: c.lo ?? (c.se ? c.fit.map((f, i) => f - 2 * /** @type {number[]} */ (c.se)[i]) : undefined),
    hi: c.hi ?? (c.se ? c.fit.map((f, i) => f + 2 * /** @type {number[]} */ (c.se)[i]) : undefined),
  }));
}

/** @param {HTMLElement} main @param {Route} route @param {Ctx} _ctx */
export async function render(main, route, _ctx) {
  const [name, version] = route.parts;
  let body;
  try {
    body = await get(`/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/effects`);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    main.replaceChildren(
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/registry' }, 'Registry'), ' › ', h('a', { href: `#/registry/${encodeURIComponent(name)}` }, name), ' › ', h('span', { 'aria-current': 'page' }, `explanation of version ${version}`)),
      h('h1', {}, `${name}@${version}: explanation`),
      h('p', { class: 'problem', role: 'alert' }, e.code === 'ROUTE_NOT_FOUND' ? 'This server does not serve partial effects (no /effects route).' : `${e.code}: ${e.message}`),
    );
    return;
  }
  /** @type {Effect[]} */
  const effects = body.effects ?? [];
  const charts = effects.map((e, i) => ({ e, id: `effect-${i}`, title: e.title ?? e.label ?? e.name ?? e.term ?? `effect ${i + 1}` }));
  main.replaceChildren(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/registry' }, 'Registry'), ' › ', h('a', { href: `#/registry/${encodeURIComponent(name)}` }, name), ' › ', h('span', { 'aria-current': 'page' }, `explanation of version ${version}`)),
    h('h1', {}, `${name}@${version}: partial effects`),
    h('p', { class: 'muted' }, body.note ?? body.description ?? 'Each smooth term of the fitted GAM: its contribution to the prediction, with a 95 % confidence band, the other terms held fixed.'),
    effects.length
      ? h('div', { class: 'grid-charts' }, ...charts.map((c) => h('section', { class: 'panel', 'aria-labelledby': `${c.id}-t` }, h('h2', { id: `${c.id}-t` }, c.title, c.e.series ? h('span', { class: 'muted small' }, ` ${c.e.series}`) : ''), h('div', { class: 'chart', id: c.id }))))
      : h('p', {}, 'This version has no smooth term to show.'),
  );
  for (const c of charts) {
    const el = document.getElementById(c.id);
    if (!el) continue;
    const curves = curvesOf(c.e);
    if (!curves.length) continue;
    const xs = curves[0].x;
    const single = curves.length === 1;
    lineChart(el, {
      xs, time: false, xLabel: c.e.xLabel ?? c.e.term ?? 'x', yLabel: c.e.scale ?? 'effect', width: Math.max(320, el.clientWidth || 420), height: 240,
      lines: curves.map((k, i) => ({ label: k.label ?? k.by ?? 'fit', values: k.fit, color: COLORS[i % COLORS.length], ...(i % 2 === 1 && { dash: [5, 3] }) })),
      ...(single && curves[0].lo && curves[0].hi && { band: { lo: curves[0].lo, hi: curves[0].hi, label: '95 %' } }),
      refs: [{ value: 0, label: '', color: PALETTE.grey }],
    });
  }
}
