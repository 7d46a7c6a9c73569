// @ts-check
// The forecast chart (uPlot): actuals, the day-ahead and intraday forecasts, the quantile band,
// flagged actuals by shape and colour, events and the "now" line. Canvas only, so the same
// information is also given as text beside it (see views/node.js).
import uPlot from '../vendor/uPlot.esm.js';
import { drawShape, FLAG, PALETTE, SEVERITY } from './dom.js';

/**
 * @typedef {{
 *   xs: number[],
 *   actual: Array<number|null>,
 *   quality: string[],
 *   dayAhead?: { mean: Array<number|null>, lo: Array<number|null>, hi: Array<number|null>, loLevel: string, hiLevel: string, others: Array<{ level: string, values: Array<number|null> }> },
 *   intraday?: { mean: Array<number|null> },
 *   events?: Array<{ t: number, kind: string, severity: string }>,
 *   now?: number | null,
 *   nowLabel?: string,
 *   stepSec: number,
 *   tz: string,
 *   unit: string,
 *   spanForecastGaps?: boolean,
 *   width: number,
 *   height: number,
 *   onDraw?: (u: uPlot) => void,
 * }} ForecastChartInput
 */

const BAND_FILL = 'rgba(86, 180, 233, 0.28)';
const HATCH = 'rgba(213, 94, 0, 0.12)';

/** @param {uPlot} u @param {number} t seconds */
const xPos = (u, t) => u.valToPos(t, 'x', true);

const tickFormats = new Map();
/**
 * Time-axis labels in the grid's zone, 24-hour clock: the time, with the date under it at the
 * first tick and at each new day (dates alone when the ticks are days apart).
 * @param {string} tz @returns {uPlot.Axis.Values}
 */
export const timeTicks = (tz) => (_u, splits, _ax, _space, incr) => {
  let f = tickFormats.get(tz);
  if (!f) {
    f = {
      time: new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
      date: new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', day: '2-digit', month: 'short' }),
    };
    tickFormats.set(tz, f);
  }
  let last = '';
  return splits.map((s, i) => {
    const d = new Date(s * 1000);
    const date = f.date.format(d);
    if (incr >= 86400 - 7200) return date;
    const time = f.time.format(d);
    const out = i === 0 || date !== last ? `${time}\n${date}` : time;
    last = date;
    return out;
  });
};

/**
 * Draws the chart into `el` and returns the uPlot instance (also set as `el.uplot`, which the
 * end-to-end test reads).
 * @param {HTMLElement} el @param {ForecastChartInput} d
 */
export function forecastChart(el, d) {
  const px = uPlot.pxRatio;
  /** @type {uPlot.Series[]} */
  const series = [{ label: 'Time' }, { label: 'Actual', stroke: PALETTE.black, width: 1.6, spanGaps: false, points: { show: false } }];
  /** @type {uPlot.AlignedData} */
  const data = [d.xs, d.actual];
  /** @type {uPlot.Band[]} */
  const bands = [];
  const span = d.spanForecastGaps ?? false;
  if (d.dayAhead) {
    const base = series.length;
    series.push(
      { label: 'Day-ahead', stroke: PALETTE.blue, width: 1.6, spanGaps: span, points: { show: false } },
      { label: `P${Math.round(Number(d.dayAhead.loLevel) * 100)}`, stroke: PALETTE.sky, width: 1, spanGaps: span, points: { show: false } },
      { label: `P${Math.round(Number(d.dayAhead.hiLevel) * 100)}`, stroke: PALETTE.sky, width: 1, spanGaps: span, points: { show: false } },
    );
    data.push(d.dayAhead.mean, d.dayAhead.lo, d.dayAhead.hi);
    bands.push({ series: [base + 2, base + 1], fill: BAND_FILL });
    for (const o of d.dayAhead.others) {
      series.push({ label: `P${Math.round(Number(o.level) * 1000) / 10}`, stroke: PALETTE.sky, width: 0.8, dash: [1, 2], spanGaps: span, points: { show: false } });
      data.push(o.values);
    }
  }
  if (d.intraday) {
    series.push({ label: 'Intraday', stroke: PALETTE.orange, width: 1.6, dash: [6, 3], spanGaps: span, points: { show: false } });
    data.push(d.intraday.mean);
  }
  const half = d.stepSec / 2;

  /** Shades each run of imputed or suspect values and marks every flagged value with its shape. @param {uPlot} u */
  const drawFlags = (u) => {
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, top, u.bbox.width, height);
    ctx.clip();
    const xs = /** @type {number[]} */ (u.data[0]);
    const ys = /** @type {Array<number|null>} */ (u.data[1]);
    // Shading under the markers, one rectangle per run of imputed values.
    ctx.fillStyle = HATCH;
    for (let i = 0; i < xs.length; i++) {
      if (d.quality[i] !== 'imputed') continue;
      let j = i;
      while (j + 1 < xs.length && d.quality[j + 1] === 'imputed') j++;
      const x0 = xPos(u, xs[i] - half);
      const x1 = xPos(u, xs[j] + half);
      ctx.fillRect(x0, top, Math.max(x1 - x0, 2 * px), height);
      i = j;
    }
    const visible = xs.filter((x) => x >= /** @type {number} */ (u.scales.x.min) && x <= /** @type {number} */ (u.scales.x.max)).length || 1;
    // Markers shrink when points are dense, never below a size where the shapes stay distinct.
    const r = Math.max(3.5, Math.min(6, (u.bbox.width / visible) / 2.5)) * px;
    for (let i = 0; i < xs.length; i++) {
      const f = FLAG[d.quality[i]];
      const y = ys[i];
      if (!f || y === null) continue;
      drawShape(ctx, f.shape, xPos(u, xs[i]), u.valToPos(y, 'y', true), r, f.color, 1.5 * px);
    }
    ctx.restore();
  };

  /** Events as dashed vertical lines with their severity's shape on top; the "now" line. @param {uPlot} u */
  const drawMarks = (u) => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    const inside = (/** @type {number} */ x) => x >= left && x <= left + width;
    for (const e of d.events ?? []) {
      const s = SEVERITY[e.severity] ?? SEVERITY.info;
      const x = xPos(u, e.t);
      if (!inside(x)) continue;
      ctx.setLineDash([3 * px, 3 * px]);
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1 * px;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.setLineDash([]);
      drawShape(ctx, s.shape, x, top + 6 * px, 5 * px, s.color, 1.5 * px);
    }
    if (d.now !== null && d.now !== undefined) {
      const x = xPos(u, d.now);
      if (inside(x)) {
        ctx.strokeStyle = PALETTE.black;
        ctx.lineWidth = 1.5 * px;
        ctx.setLineDash([8 * px, 4 * px]);
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = PALETTE.black;
        ctx.font = `${11 * px}px sans-serif`;
        ctx.fillText(d.nowLabel ?? 'now', x + 4 * px, top + 26 * px);
      }
    }
    ctx.restore();
  };

  /** @type {uPlot.Options} */
  const opts = {
    width: d.width,
    height: d.height,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), d.tz),
    series,
    bands,
    scales: { x: { time: true } },
    axes: [{ values: timeTicks(d.tz), space: 60 }, { label: d.unit, size: 60 }],
    cursor: { drag: { x: true, y: false }, focus: { prox: 16 } },
    legend: { live: true },
    hooks: { draw: [drawFlags, drawMarks, ...(d.onDraw ? [d.onDraw] : [])] },
  };
  el.replaceChildren();
  const u = new uPlot(opts, data, el);
  /** @type {any} */ (el).uplot = u;
  return u;
}

/**
 * A plain line chart (accuracy trends, partial effects): one x axis, lines, optional band and
 * horizontal reference lines.
 * @param {HTMLElement} el
 * @param {{ xs: number[], time: boolean, tz?: string, xLabel?: string, yLabel: string, width: number, height: number,
 *   lines: Array<{ label: string, values: Array<number|null>, color: string, dash?: number[], width?: number }>,
 *   band?: { lo: Array<number|null>, hi: Array<number|null>, label: string },
 *   refs?: Array<{ value: number, label: string, color: string }> }} d
 */
export function lineChart(el, d) {
  const px = uPlot.pxRatio;
  /** @type {uPlot.Series[]} */
  const series = [{ label: d.xLabel ?? 'x' }];
  /** @type {uPlot.AlignedData} */
  const data = [d.xs];
  /** @type {uPlot.Band[]} */
  const bands = [];
  for (const l of d.lines) {
    series.push({ label: l.label, stroke: l.color, width: l.width ?? 1.6, ...(l.dash && { dash: l.dash }), spanGaps: false, points: { show: d.xs.length < 60 } });
    data.push(l.values);
  }
  if (d.band) {
    const base = series.length;
    series.push({ label: `${d.band.label} low`, stroke: PALETTE.sky, width: 0.8, dash: [2, 3] }, { label: `${d.band.label} high`, stroke: PALETTE.sky, width: 0.8, dash: [2, 3] });
    data.push(d.band.lo, d.band.hi);
    bands.push({ series: [base + 1, base], fill: BAND_FILL });
  }
  /** @param {uPlot} u */
  const drawRefs = (u) => {
    const ctx = u.ctx;
    ctx.save();
    for (const r of d.refs ?? []) {
      const y = u.valToPos(r.value, 'y', true);
      if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
      ctx.strokeStyle = r.color;
      ctx.lineWidth = 1.5 * px;
      ctx.setLineDash([6 * px, 4 * px]);
      ctx.beginPath();
      ctx.moveTo(u.bbox.left, y);
      ctx.lineTo(u.bbox.left + u.bbox.width, y);
      ctx.stroke();
      ctx.fillStyle = r.color;
      ctx.font = `${11 * px}px sans-serif`;
      ctx.textAlign = 'right';
      ctx.fillText(r.label, u.bbox.left + u.bbox.width - 4 * px, y - 4 * px);
    }
    ctx.restore();
  };
  /** @type {uPlot.Options} */
  const opts = {
    width: d.width,
    height: d.height,
    series,
    bands,
    scales: {
      x: { time: d.time },
      // The reference lines stay in view.
      y: { range: (_u, min, max) => {
        const refs = (d.refs ?? []).map((r) => r.value);
        const lo = Math.min(min, ...refs);
        const hi = Math.max(max, ...refs);
        const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
        return [lo - pad, hi + pad];
      } },
    },
    axes: [d.time ? { values: timeTicks(d.tz ?? 'UTC'), space: 60 } : { label: d.xLabel }, { label: d.yLabel, size: 60 }],
    // The section heading names the curve; a legend of hover values would only crowd a small chart.
    legend: { show: false },
    hooks: { draw: [drawRefs] },
    ...(d.time && d.tz && { tzDate: (/** @type {number} */ ts) => uPlot.tzDate(new Date(ts * 1000), /** @type {string} */ (d.tz)) }),
  };
  el.replaceChildren();
  const u = new uPlot(opts, data, el);
  /** @type {any} */ (el).uplot = u;
  return u;
}

/** Keeps a chart as wide as its container. @param {HTMLElement} el @param {() => uPlot | undefined} chart @param {number} height */
export function fitWidth(el, chart, height) {
  const ro = new ResizeObserver(() => {
    const u = chart();
    const w = Math.floor(el.clientWidth);
    if (u && w > 0 && Math.abs(u.width - w) > 1) u.setSize({ width: w, height });
  });
  ro.observe(el);
  return () => ro.disconnect();
}
