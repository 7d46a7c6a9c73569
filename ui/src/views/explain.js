// @ts-check
// Model explanation: the partial effects of a GAM version for one of its series, with their
// pointwise confidence bands, computed by the API from the stored artifact
// (GET /models/{name}/versions/{version}/effects?series=ID) — the temperature response, the daily
// profile of each day type, the annual cycle, as mgcv's plot.gam draws them; surfaces as heat maps;
// factor levels and linear terms as tables.
import { ApiError, get } from '../api.js';
import { lineChart } from '../chart.js';
import { h, num, PALETTE } from '../dom.js';

/** @typedef {import('../main.js').Ctx} Ctx @typedef {import('../main.js').Route} Route */
/**
 * @typedef {{ variable: string, label: string, unit: string | null }} Axis
 * @typedef {{ kind: 'curve', name: string, label: string, axes: Axis[], x: number[], effect: number[], lower: number[], upper: number[], edf: number | null }} Curve
 * @typedef {{ kind: 'surface', name: string, label: string, axes: Axis[], x: number[], z: number[], effect: number[], lower: number[], upper: number[], edf: number | null }} Surface
 * @typedef {{ kind: 'factor', name: string, label: string, variable: string, levels: Array<{ name: string, level: number, effect: number, se: number, lower: number, upper: number }> }} Factor
 * @typedef {{ kind: 'linear', name: string, label: string, variable: string, coefficient: number, se: number }} Linear
 * @typedef {Curve | Surface | Factor | Linear} Term
 */

const axisText = (/** @type {Axis | undefined} */ a) => (a ? `${a.label}${a.unit ? ` (${a.unit})` : ''}` : 'x');

/** @param {HTMLElement} main @param {Route} route @param {Ctx} ctx */
export async function render(main, route, ctx) {
  const [name, version] = route.parts;
  const detail = await get(`/models/${encodeURIComponent(name)}`);
  /** @type {import('../api-types.ts').Version | undefined} */
  const v = detail.versions.find((/** @type {{ version: number }} */ x) => String(x.version) === version);
  const series = route.params.get('series') || v?.seriesIds[0] || '';
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/registry' }, 'Registry'), ' › ', h('a', { href: `#/registry/${encodeURIComponent(name)}` }, name), ' › ', h('span', { 'aria-current': 'page' }, `explanation of ${name}@${version}`));
  const pick = /** @type {HTMLSelectElement} */ (h('select', { id: 'explain-series', onchange: () => ctx.navigate(`#/explain/${encodeURIComponent(name)}/${version}?series=${encodeURIComponent(pick.value)}`) },
    ...(v?.seriesIds ?? []).map((s) => h('option', { value: s, selected: s === series }, s))));
  const head = [crumbs, h('h1', {}, `${name}@${version}: partial effects`), h('p', { class: 'controls' }, h('label', { for: 'explain-series' }, 'Series'), pick, v ? h('span', { class: 'muted' }, ` ${v.kind}, ${v.status}, trained ${v.trainStart.slice(0, 10)} – ${v.trainEnd.slice(0, 10)}`) : '')];
  /** @type {import('../api-types.ts').Effects} */
  let body;
  try {
    body = await get(`/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/effects`, { series });
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    main.replaceChildren(...head, h('p', { class: 'problem', role: 'alert' }, e.code === 'ROUTE_NOT_FOUND' ? 'This server does not serve partial effects.' : `${e.code}: ${e.message}`));
    return;
  }
  /** @type {Term[]} */
  const terms = body.terms ?? [];
  const logScale = body.response === 'log(load)';
  const yLabel = logScale ? 'effect on log(load)' : 'effect on load';
  const curves = /** @type {Curve[]} */ (terms.filter((t) => t.kind === 'curve'));
  const surfaces = /** @type {Surface[]} */ (terms.filter((t) => t.kind === 'surface'));
  const factors = /** @type {Factor[]} */ (terms.filter((t) => t.kind === 'factor'));
  const linears = /** @type {Linear[]} */ (terms.filter((t) => t.kind === 'linear'));
  main.replaceChildren(
    ...head,
    h('p', {}, `The GAM ${body.path ? `(${body.path.join(' → ')}) ` : ''}behind ${series}: ${body.n} rows fitted, ${num(body.edf, 1)} effective degrees of freedom, smoothing by ${body.criterion ?? 'the fit criterion'}. `,
      logScale ? 'It models log(load): an effect e multiplies the load by exp(e) (0.1 ≈ +10.5 %). ' : '',
      'Each curve is one term with the others held fixed, centred, with its 95 % pointwise band.'),
    body.abnormalDays?.length ? h('p', { id: 'explain-abnormal' }, `Fitted without ${body.abnormalDays.length} abnormal day${body.abnormalDays.length > 1 ? 's' : ''} (an outage, a storm: a daily mean far from what the model makes of a normal day): `,
      body.abnormalDays.map((d) => d.slice(0, 10)).join(', '), '.') : '',
    curves.length ? h('div', { class: 'grid-charts' }, ...curves.map((c, i) => h('section', { class: 'panel effect', 'aria-labelledby': `curve-${i}-t` },
      h('h2', { id: `curve-${i}-t` }, c.name, c.edf !== null ? h('span', { class: 'muted small' }, ` edf ${num(c.edf, 1)}`) : ''),
      h('div', { class: 'chart', id: `curve-${i}` })))) : '',
    ...surfaces.map((s, i) => h('section', { class: 'panel effect', 'aria-labelledby': `surface-${i}-t` },
      h('h2', { id: `surface-${i}-t` }, s.name, s.edf !== null ? h('span', { class: 'muted small' }, ` edf ${num(s.edf, 1)}`) : ''),
      heatmap(s, yLabel))),
    factors.length ? h('section', { class: 'panel', 'aria-labelledby': 'factors-t' }, h('h2', { id: 'factors-t' }, 'Levels'),
      ...factors.map((f) => h('table', {}, h('caption', {}, `${f.name} (against the first level)`),
        h('thead', {}, h('tr', {}, ...['level', 'effect', '95 % interval', logScale ? 'load ×' : ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...f.levels.map((l) => h('tr', {}, h('td', {}, l.name), h('td', { class: 'num' }, num(l.effect, 3)), h('td', { class: 'num' }, `${num(l.lower, 3)} – ${num(l.upper, 3)}`), h('td', { class: 'num' }, logScale ? num(Math.exp(l.effect), 3) : ''))))))) : '',
    linears.length ? h('section', { class: 'panel' }, h('h2', {}, 'Linear terms'), h('ul', {}, ...linears.map((l) => h('li', {}, `${l.name}: ${num(l.coefficient, 4)} ± ${num(1.96 * l.se, 4)} per unit of ${l.variable}`)))) : '',
    terms.length ? '' : h('p', {}, 'This model has no term to show.'),
  );
  curves.forEach((c, i) => {
    const el = document.getElementById(`curve-${i}`);
    if (!el) return;
    lineChart(el, {
      xs: c.x, time: false, xLabel: axisText(c.axes?.[0]), yLabel, width: Math.max(320, el.clientWidth || 420), height: 240,
      lines: [{ label: c.name, values: c.effect, color: PALETTE.blue }],
      band: { lo: c.lower, hi: c.upper, label: '95 %' },
      refs: [{ value: 0, label: '', color: PALETTE.grey }],
    });
  });
}

/**
 * A surface as a heat map (blue below zero, orange above: a diverging scale told apart with the
 * common colour-vision deficiencies), with its axes and range in text.
 * @param {Surface} s @param {string} yLabel
 */
function heatmap(s, yLabel) {
  const W = 520;
  const H = 260;
  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { width: W, height: H, role: 'img', 'aria-label': `${s.name}: heat map of the effect over ${axisText(s.axes?.[0])} and ${axisText(s.axes?.[1])}` }));
  const ctx = canvas.getContext('2d');
  const max = Math.max(...s.effect.map(Math.abs)) || 1;
  if (ctx) {
    const nx = s.x.length;
    const nz = s.z.length;
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < nz; j++) {
        const t = s.effect[i * nz + j] / max; // -1 … 1
        const [r, g, b] = t < 0 ? mix([247, 247, 247], [0, 114, 178], -t) : mix([247, 247, 247], [230, 159, 0], t);
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.fillRect(Math.floor((i * W) / nx), Math.floor(((nz - 1 - j) * H) / nz), Math.ceil(W / nx), Math.ceil(H / nz));
      }
    }
  }
  return h('figure', {}, canvas, h('figcaption', { class: 'muted' },
    `x: ${axisText(s.axes?.[0])}, ${num(s.x[0], 1)} to ${num(s.x[s.x.length - 1], 1)}; y: ${axisText(s.axes?.[1])}, ${num(s.z[0], 1)} (bottom) to ${num(s.z[s.z.length - 1], 1)} (top). `,
    `Colour: ${yLabel} from −${num(max, 3)} (blue) through 0 (white) to +${num(max, 3)} (orange).`));
}

/** @param {number[]} a @param {number[]} b @param {number} t */
const mix = (a, b, t) => a.map((x, k) => Math.round(x + (b[k] - x) * Math.min(1, t)));
