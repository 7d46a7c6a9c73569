// @ts-check
// Node view: actuals against the published day-ahead forecasts (each day from the run that was
// published for it) and the latest intraday one, the outer quantile band and the other quantiles,
// flagged actuals by shape, events, the "now" line; peak cards; grain, range and as-issued controls;
// CSV download. Every date is a local day of the node's zone, as the API reads it.
import { get, getAll, unless } from '../api.js';
import { fitWidth, forecastChart } from '../chart.js';
import { download, FLAG, h, icon, num, SEVERITY, STATUS } from '../dom.js';
import { loadStatus } from '../status.js';
import { align, flaggedSpans, isoSeconds, peak, runsCovering, stitch, toCsv } from '../lib/data.js';
import { addDays, label, localDate, midnight, parseLocalDateTime } from '../lib/time.js';

/** @typedef {import('../main.js').Ctx} Ctx @typedef {import('../main.js').Route} Route */
/** @typedef {import('../api-types.ts').Node} Node @typedef {import('../api-types.ts').RunMeta} RunMeta */
/** @typedef {import('../api-types.ts').ActualValue} ActualValue @typedef {import('../api-types.ts').ForecastValue} ForecastValue */
/** @typedef {import('../api-types.ts').EventView} EventView */

const GRAINS = /** @type {const} */ ([['5m', '5 min'], ['1h', 'hour'], ['1d', 'day']]);
const DEFAULT_DAYS = { '5m': 3, '1h': 5, '1d': 60 };
const STEP = { '5m': 300, '1h': 3600, '1d': 86400 };
const MAX_RUNS = 31;
const HEIGHT = 380;
const REFRESH_MS = 60_000;

/** Maps `f` over `items`, `n` at a time. @template T, R @param {T[]} items @param {number} n @param {(x: T) => Promise<R>} f @returns {Promise<R[]>} */
async function pool(items, n, f) {
  /** @type {R[]} */
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** @param {HTMLElement} main @param {Route} route @param {Ctx} ctx */
export async function render(main, route, ctx) {
  const id = route.parts[0];
  const p = route.params;
  const grain = /** @type {'5m'|'1h'|'1d'} */ (['5m', '1h', '1d'].includes(p.get('grain') ?? '') ? p.get('grain') : '1h');
  const fcGrain = grain === '1d' ? '1d' : '1h';
  const [node, runsPage, intradayPage] = await Promise.all([
    /** @type {Promise<Node>} */ (get(`/topology/nodes/${encodeURIComponent(id)}`)),
    get('/runs', { horizon: 'day-ahead', limit: 100 }),
    grain === '1d' ? Promise.resolve({ runs: [] }) : get('/runs', { horizon: 'intraday', limit: 50 }),
  ]);
  const tz = node.timeZone;
  const now = Date.now();
  const asIssuedText = p.get('asIssued') ?? '';
  const asIssued = asIssuedText ? parseLocalDateTime(asIssuedText, tz) : NaN;
  const cutoff = Number.isFinite(asIssued) ? asIssued : now;
  /** @type {RunMeta[]} */
  const dayAheadRuns = runsPage.runs;
  const latestDa = dayAheadRuns.filter((r) => Date.parse(r.issuedAt) <= cutoff).sort((a, b) => Date.parse(b.issuedAt) - Date.parse(a.issuedAt))[0];
  const anchor = Math.max(Math.min(now, cutoff), latestDa ? Date.parse(latestDa.windowEnd) - 1 : 0);
  const to = p.get('to') || addDays(localDate(anchor, tz), 1);
  const from = p.get('from') || addDays(to, -DEFAULT_DAYS[grain]);
  const startMs = midnight(from, tz);
  const endMs = midnight(to, tz);

  const covering = runsCovering(dayAheadRuns, startMs, endMs, cutoff, MAX_RUNS);
  const latestIntraday = /** @type {RunMeta[]} */ (intradayPage.runs).filter((r) => r.status === 'succeeded' && Date.parse(r.issuedAt) <= cutoff).sort((a, b) => Date.parse(b.issuedAt) - Date.parse(a.issuedAt) || b.id - a.id)[0];
  const [actuals, daPages, intraday, events, statuses] = await Promise.all([
    /** @type {Promise<ActualValue[]>} */ (getAll(`/series/${encodeURIComponent(id)}/actuals`, { start: from, end: to, grain, limit: 10000 }, 'values')),
    pool(covering, 6, (r) => unless(get(`/runs/${r.id}/forecasts`, { node: id, grain: fcGrain, limit: 10000 }), ['RUN_SERIES_NOT_FOUND', 'RUN_NOT_FOUND'], null)),
    // The latest intraday run issued by the cut-off, chosen from the list (no 404 when there is none).
    latestIntraday ? unless(get(`/runs/${latestIntraday.id}/forecasts`, { node: id, grain: '1h', limit: 10000 }), ['RUN_NOT_FOUND', 'RUN_SERIES_NOT_FOUND'], null) : Promise.resolve(null),
    get('/events', { from: new Date(startMs).toISOString(), to: new Date(endMs).toISOString(), limit: 1000 }),
    loadStatus(),
  ]);
  const own = statuses.nodes.find((n) => n.id === id);
  const st = own ? STATUS[own.status] ?? STATUS.unknown : null;
  const statusLine = own && st
    ? h('div', { class: 'node-status', role: 'status' }, icon(st), ` ${st.label}`,
        own.dayAheadMape?.mape !== null && own.dayAheadMape?.mape !== undefined ? h('span', { class: 'muted' }, ` · latest day-ahead MAPE ${num(own.dayAheadMape.mape, 2)} %`) : '',
        own.reasons.length ? h('ul', {}, ...own.reasons.map((r) => h('li', {}, icon(STATUS[r.status] ?? STATUS.unknown), ` ${r.message}${r.acknowledged ? ' (acknowledged)' : ''}`))) : '')
    : '';

  // Columns on one time axis (seconds).
  const inRange = (/** @type {number} */ t) => t >= startMs / 1000 && t < endMs / 1000;
  const aTs = actuals.map((v) => isoSeconds(v.ts));
  const da = stitch(daPages.filter((x) => x !== null));
  const daKeep = da.ts.map(inRange);
  const levels = Object.keys(da.quantiles);
  const lo = levels[0];
  const hi = levels[levels.length - 1];
  const others = levels.filter((l) => l !== lo && l !== hi);
  const pick = (/** @type {any[]} */ xs, /** @type {boolean[]} */ keep) => xs.filter((_, i) => keep[i]);
  const idRows = intraday ? /** @type {ForecastValue[]} */ (intraday.values).filter((v) => inRange(Date.parse(v.ts) / 1000)) : [];
  const parts = [
    { ts: aTs, columns: [actuals.map((v) => v.value)] },
    { ts: pick(da.ts, daKeep), columns: [pick(da.mean, daKeep), ...(lo ? [pick(da.quantiles[lo], daKeep), pick(da.quantiles[hi], daKeep)] : []), ...others.map((l) => pick(da.quantiles[l], daKeep))] },
    { ts: idRows.map((v) => Date.parse(v.ts) / 1000), columns: [idRows.map((v) => v.mean)] },
  ];
  const { xs, byPart, positions } = align(parts);
  /** @type {string[]} */
  const quality = new Array(xs.length).fill('');
  /** @type {Array<string | null>} */
  const method = new Array(xs.length).fill(null);
  actuals.forEach((v, i) => {
    quality[positions[0][i]] = v.quality;
    method[positions[0][i]] = v.method ?? null;
  });
  // By part: a day-ahead without quantiles (or without any run) has fewer columns than one with.
  const [[actualCol], [daMean, ...daQuantiles], [idMean]] = byPart;
  const [daLo, daHi, ...otherCols] = lo ? daQuantiles : [];
  const hasDa = daKeep.some(Boolean);
  const nodeEvents = /** @type {EventView[]} */ (events.events).filter((e) => e.seriesId === id || e.seriesId === null);

  // --- controls
  const hashFor = (/** @type {Record<string, string>} */ change) => {
    const q = new URLSearchParams({ grain, from, to, ...(asIssuedText && { asIssued: asIssuedText }), ...change });
    for (const [k, v] of [...q]) if (!v) q.delete(k);
    return `#/node/${encodeURIComponent(id)}?${q}`;
  };
  const fromIn = /** @type {HTMLInputElement} */ (h('input', { id: 'range-from', type: 'date', value: from }));
  const toIn = /** @type {HTMLInputElement} */ (h('input', { id: 'range-to', type: 'date', value: to }));
  const issuedIn = /** @type {HTMLInputElement} */ (h('input', { id: 'as-issued', type: 'datetime-local', value: asIssuedText, 'aria-describedby': 'as-issued-help' }));
  const controls = h('form', { class: 'controls', 'aria-label': 'Chart settings', onsubmit: (/** @type {Event} */ ev) => {
      ev.preventDefault();
      ctx.navigate(hashFor({ from: fromIn.value, to: toIn.value, asIssued: issuedIn.value }));
    } },
    h('fieldset', { class: 'grain' }, h('legend', {}, 'Grain'),
      ...GRAINS.map(([g, text]) => h('label', {}, h('input', { type: 'radio', name: 'grain', value: g, checked: g === grain, onchange: () => ctx.navigate(hashFor({ grain: g, from: '', to: '' })) }), ` ${text}`))),
    h('label', { for: 'range-from' }, 'From'), fromIn,
    h('label', { for: 'range-to' }, 'To (excluded)'), toIn,
    h('label', { for: 'as-issued' }, 'As issued at'), issuedIn,
    h('span', { id: 'as-issued-help', class: 'help' }, `local time, ${tz}: the forecasts published then`),
    h('button', { type: 'submit' }, 'Show'),
    asIssuedText ? h('button', { type: 'button', onclick: () => ctx.navigate(hashFor({ asIssued: '' })) }, 'Latest forecasts') : null,
    h('button', { type: 'button', onclick: () => csv() }, 'Download CSV'),
  );

  // --- peak cards (local days of the node's zone, on the real clock)
  const today = localDate(now, tz);
  const tomorrow = addDays(today, 1);
  const [t0, t1, t2] = [midnight(today, tz), midnight(tomorrow, tz), midnight(addDays(today, 2), tz)].map((t) => t / 1000);
  const daTs = pick(da.ts, daKeep);
  const daM = pick(da.mean, daKeep);
  const cards = [
    ['Actual peak today so far', peak(aTs, actuals.map((v) => v.value), t0, Math.min(t1, now / 1000)), inRange(t0) || inRange(t1 - 1)],
    ['Forecast peak today (day-ahead)', peak(daTs, daM, t0, t1), inRange(t0) || inRange(t1 - 1)],
    ['Forecast peak tomorrow (day-ahead)', peak(daTs, daM, t1, t2), inRange(t1) || inRange(t2 - 1)],
  ].map(([title, pk, covered]) => h('div', { class: 'card' }, h('h3', {}, /** @type {string} */ (title)),
    pk ? h('p', { class: 'peak' }, h('strong', {}, `${num(/** @type {any} */ (pk).value)} ${node.unit}`), ` at ${label(/** @type {any} */ (pk).ts * 1000, tz, grain === '1d' ? { date: true, time: false } : { date: false, time: true })}`)
       : h('p', { class: 'muted' }, covered ? 'no value' : 'outside the range shown')));

  // --- chart and its text equivalent
  const chartEl = h('div', { class: 'chart', id: 'node-chart' });
  const spans = flaggedSpans(xs, quality, method);
  const step = STEP[grain];
  const fmtT = (/** @type {number} */ t) => label(t * 1000, tz, grain === '1d' ? { date: true, time: false } : undefined);
  const flagList = spans.length
    ? h('ul', { class: 'flag-list' }, ...spans.map((s) => h('li', { 'data-quality': s.quality }, icon(FLAG[s.quality]), ` ${FLAG[s.quality].label}: ${fmtT(s.from)}${s.n > 1 ? ` – ${fmtT(s.to + step)}` : ''}, ${s.n} value${s.n > 1 ? 's' : ''}${s.methods.length ? ` (${s.methods.join(', ')})` : ''}`)))
    : h('p', { class: 'muted' }, 'No imputed, suspect, partial or estimated value in this range.');
  const eventList = nodeEvents.length
    ? h('ul', { class: 'event-list' }, ...nodeEvents.map((e) => h('li', {}, icon(SEVERITY[e.severity], e.severity), ' ', h('a', { href: `#/events?id=${e.id}` }, e.kind), ` ${label(Date.parse(e.at), tz)}${e.seriesId ? '' : ' (grid-wide)'}${e.modelVersion ? ` · ${e.modelVersion}` : ''}`)))
    : h('p', { class: 'muted' }, 'No event in this range.');
  const fallbacks = [...new Set(da.fallback.filter((f, i) => f && daKeep[i]))];
  const runNote = h('p', { class: 'muted run-note' },
    covering.length ? `Day-ahead: ${covering.length} run${covering.length > 1 ? 's' : ''} (${covering.map((r) => `#${r.id} issued ${label(Date.parse(r.issuedAt), tz)}`).join('; ')})` : 'No day-ahead run covers this range.',
    intraday ? ` · Intraday: run #${intraday.run.id} issued ${label(Date.parse(intraday.run.issuedAt), tz)}` : '',
    fallbacks.length ? ` · On a fallback: ${fallbacks.join('; ')}` : '',
    covering.length === MAX_RUNS ? ` · day-ahead shown for the latest ${MAX_RUNS} windows` : '');

  const children = node.children.length ? h('p', {}, 'Children: ', ...node.children.flatMap((c, i) => [i ? ', ' : '', h('a', { href: `#/node/${encodeURIComponent(c)}` }, c)])) : null;
  main.replaceChildren(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: `#/overview?node=${encodeURIComponent(id)}` }, 'Overview'), ...(node.parent ? [' › ', h('a', { href: `#/node/${encodeURIComponent(node.parent)}` }, node.parent)] : []), ' › ', h('span', { 'aria-current': 'page' }, id)),
    h('h1', {}, id, node.name ? h('span', { class: 'subtitle' }, ` ${node.name}`) : null, h('span', { class: 'muted small' }, ` ${node.kind}, ${node.unit}, ${tz}`)),
    statusLine,
    controls,
    h('div', { class: 'cards' }, ...cards),
    h('figure', { class: 'panel' },
      chartEl,
      h('figcaption', {}, chartKey(Boolean(hasDa), Boolean(intraday), asIssuedText ? `issued before ${label(cutoff, tz)}` : 'now', lo, hi)),
    ),
    runNote,
    h('div', { class: 'two' },
      h('section', { class: 'panel', 'aria-labelledby': 'flags-title' }, h('h2', { id: 'flags-title' }, 'Flagged values'), flagList),
      h('section', { class: 'panel', 'aria-labelledby': 'events-title' }, h('h2', { id: 'events-title' }, 'Events'), eventList)),
    h('p', {}, h('a', { href: `#/accuracy?node=${encodeURIComponent(id)}` }, 'Accuracy of this node'), children ? ' · ' : '', children),
  );

  /** @type {import('../../vendor/uPlot.esm.js').default | undefined} */
  let chart;
  const draw = () => {
    const width = Math.max(320, Math.floor(chartEl.clientWidth || main.clientWidth - 40));
    chart = forecastChart(chartEl, {
      xs, actual: actualCol, quality,
      ...(hasDa && lo && { dayAhead: { mean: daMean, lo: daLo, hi: daHi, loLevel: lo, hiLevel: hi, others: others.map((l, i) => ({ level: l, values: otherCols[i] })) } }),
      ...(hasDa && !lo && { dayAhead: { mean: daMean, lo: daMean, hi: daMean, loLevel: '0', hiLevel: '0', others: [] } }),
      ...(intraday && { intraday: { mean: idMean } }),
      events: nodeEvents.map((e) => ({ t: Date.parse(e.at) / 1000, kind: e.kind, severity: e.severity })),
      now: cutoff / 1000,
      nowLabel: asIssuedText ? 'as issued' : 'now',
      stepSec: step,
      tz, unit: node.unit,
      spanForecastGaps: grain === '5m',
      width, height: HEIGHT,
    });
  };
  draw();
  const unfit = fitWidth(chartEl, () => chart, HEIGHT);

  function csv() {
    const header = ['ts', 'local', 'actual', 'quality', 'method', ...(hasDa ? ['day_ahead', ...(lo ? [`p${lo}`, `p${hi}`] : []), ...others.map((l) => `p${l}`)] : []), ...(intraday ? ['intraday'] : [])];
    const rows = xs.map((x, i) => [
      new Date(x * 1000).toISOString(), label(x * 1000, tz), actualCol[i], quality[i], method[i] ?? '',
      ...(hasDa ? [daMean[i], ...(lo ? [daLo[i], daHi[i]] : []), ...otherCols.map((c) => c[i])] : []),
      ...(intraday ? [idMean[i]] : []),
    ]);
    download(`${id}_${from}_${to}_${grain}.csv`, toCsv(header, rows));
  }

  // A live range (latest forecasts, up to now or later) is read again every minute, unless the
  // user is busy with the controls or the tab is hidden.
  const live = !Number.isFinite(asIssued) && endMs > now;
  const timer = live ? setInterval(() => {
    if (document.visibilityState === 'visible' && !controls.contains(document.activeElement)) ctx.refresh();
  }, REFRESH_MS) : undefined;
  return () => {
    clearInterval(timer);
    unfit();
    chart?.destroy();
  };
}

/** The chart's key: what each line, band, shape and mark means. @param {boolean} da @param {boolean} intraday @param {string} nowText @param {string} lo @param {string} hi */
function chartKey(da, intraday, nowText, lo, hi) {
  const line = (/** @type {string} */ cls, /** @type {string} */ text) => h('span', { class: 'key' }, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), ` ${text}`);
  return h('div', { class: 'chart-key' },
    line('actual', 'actual'),
    da ? line('day-ahead', 'day-ahead forecast (as published for each day)') : null,
    da && lo ? line('band', `P${Math.round(Number(lo) * 100)}–P${Math.round(Number(hi) * 100)} band`) : null,
    intraday ? line('intraday', 'latest intraday forecast') : null,
    line('now', nowText),
    ...Object.values(FLAG).map((f) => h('span', { class: 'key' }, icon(f), ` ${f.label}`)),
    h('span', { class: 'key' }, h('span', { class: 'swatch hatch', 'aria-hidden': 'true' }), ' imputed span'),
    ...Object.values(SEVERITY).map((s) => h('span', { class: 'key' }, icon(s), ` ${s.label} event`)),
    h('span', { class: 'muted' }, ' · drag across the chart to zoom, double-click to reset'),
  );
}

