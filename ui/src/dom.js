// @ts-check
// Small DOM helpers and the visual vocabulary shared by the views: the Okabe–Ito palette (told apart
// with the common colour-vision deficiencies) and a shape for every status, flag and event severity,
// so nothing is told by colour alone.

/**
 * An element with attributes (`on…` functions become listeners) and children.
 * @param {string} tag @param {Record<string, any>} [attrs] @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    // Through the CSSOM: the page's CSP refuses style attributes.
    else if (k === 'style') e.style.cssText = v;
    else if (k in e && typeof v !== 'string') /** @type {any} */ (e)[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(typeof c === 'number' ? String(c) : c);
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';
/** @param {string} tag @param {Record<string, string | number>} attrs */
const svgEl = (tag, attrs) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

/** Okabe & Ito (2008). */
export const PALETTE = {
  black: '#000000',
  orange: '#E69F00',
  sky: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#6b6b6b',
};

/** @typedef {'circle' | 'half' | 'triangle' | 'diamond' | 'square' | 'cross' | 'hollow-square' | 'ring'} Shape */

/** Node statuses of the overview. @type {Record<string, { shape: Shape, color: string, label: string }>} */
export const STATUS = {
  rupture: { shape: 'diamond', color: PALETTE.vermillion, label: 'rupture' },
  'late-run': { shape: 'square', color: PALETTE.purple, label: 'late run' },
  fallback: { shape: 'triangle', color: PALETTE.orange, label: 'on a fallback' },
  'partial-data': { shape: 'half', color: PALETTE.blue, label: 'partial data' },
  ok: { shape: 'circle', color: PALETTE.green, label: 'ok' },
  unknown: { shape: 'ring', color: PALETTE.grey, label: 'no status' },
};

/** Flagged actuals on the chart. @type {Record<string, { shape: Shape, color: string, label: string }>} */
export const FLAG = {
  imputed: { shape: 'triangle', color: PALETTE.vermillion, label: 'imputed' },
  suspect: { shape: 'cross', color: PALETTE.purple, label: 'suspect' },
  partial: { shape: 'hollow-square', color: PALETTE.grey, label: 'partial bucket' },
  estimated: { shape: 'diamond', color: PALETTE.green, label: 'estimated' },
};

/** Event severities. @type {Record<string, { shape: Shape, color: string, label: string }>} */
export const SEVERITY = {
  alarm: { shape: 'diamond', color: PALETTE.vermillion, label: 'alarm' },
  warning: { shape: 'triangle', color: PALETTE.orange, label: 'warning' },
  info: { shape: 'circle', color: PALETTE.blue, label: 'info' },
};

/**
 * Traces `shape` centred on (x, y) with half-size r on a canvas (the chart's markers) — the same
 * outlines as the SVG icons.
 * @param {CanvasRenderingContext2D} ctx @param {Shape} shape @param {number} x @param {number} y @param {number} r @param {string} color @param {number} [lineWidth]
 */
export function drawShape(ctx, shape, x, y, r, color, lineWidth = 1.5) {
  ctx.beginPath();
  ctx.fillStyle = color;
  ctx.strokeStyle = color;
  ctx.lineWidth = lineWidth;
  switch (shape) {
    case 'triangle':
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y + r * 0.8);
      ctx.lineTo(x - r, y + r * 0.8);
      ctx.closePath();
      ctx.fill();
      return;
    case 'diamond':
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y);
      ctx.lineTo(x, y + r);
      ctx.lineTo(x - r, y);
      ctx.closePath();
      ctx.fill();
      return;
    case 'square':
      ctx.fillRect(x - r * 0.8, y - r * 0.8, r * 1.6, r * 1.6);
      return;
    case 'hollow-square':
      ctx.strokeRect(x - r * 0.75, y - r * 0.75, r * 1.5, r * 1.5);
      return;
    case 'cross':
      ctx.moveTo(x - r, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.moveTo(x + r, y - r);
      ctx.lineTo(x - r, y + r);
      ctx.stroke();
      return;
    case 'ring':
      ctx.arc(x, y, r * 0.8, 0, 2 * Math.PI);
      ctx.stroke();
      return;
    case 'half':
      ctx.arc(x, y, r * 0.85, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(x, y, r * 0.85, Math.PI / 2, (3 * Math.PI) / 2);
      ctx.fill();
      return;
    default:
      ctx.arc(x, y, r * 0.85, 0, 2 * Math.PI);
      ctx.fill();
  }
}

/**
 * A small SVG icon of a shape; `label` is its text for assistive technology (none: decorative).
 * @param {{ shape: Shape, color: string }} kind @param {string} [label] @param {number} [size]
 */
export function icon(kind, label, size = 12) {
  const s = svgEl('svg', { width: size, height: size, viewBox: '-6 -6 12 12', class: 'icon' });
  if (label) {
    s.setAttribute('role', 'img');
    s.setAttribute('aria-label', label);
    const t = svgEl('title', {});
    t.textContent = label;
    s.append(t);
  } else s.setAttribute('aria-hidden', 'true');
  const c = kind.color;
  const paths = {
    circle: () => svgEl('circle', { r: 4.5, fill: c }),
    ring: () => svgEl('circle', { r: 4, fill: 'none', stroke: c, 'stroke-width': 1.5 }),
    half: () => {
      const g = svgEl('g', {});
      g.append(svgEl('circle', { r: 4.2, fill: 'none', stroke: c, 'stroke-width': 1.5 }), svgEl('path', { d: 'M0,-4.2 A4.2,4.2 0 0 0 0,4.2 Z', fill: c }));
      return g;
    },
    triangle: () => svgEl('path', { d: 'M0,-5 L5,4 L-5,4 Z', fill: c }),
    diamond: () => svgEl('path', { d: 'M0,-5 L5,0 L0,5 L-5,0 Z', fill: c }),
    square: () => svgEl('rect', { x: -4, y: -4, width: 8, height: 8, fill: c }),
    'hollow-square': () => svgEl('rect', { x: -3.8, y: -3.8, width: 7.6, height: 7.6, fill: 'none', stroke: c, 'stroke-width': 1.5 }),
    cross: () => svgEl('path', { d: 'M-4,-4 L4,4 M4,-4 L-4,4', stroke: c, 'stroke-width': 2 }),
  };
  s.append(paths[kind.shape]());
  return s;
}

/** A number for people: 3 significant digits at most, grouped. @param {number | null | undefined} v @param {number} [digits] */
export function num(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-GB', { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : digits, minimumFractionDigits: 0 });
}

/** Starts a download of `text` as a file, without a round trip. @param {string} name @param {string} text @param {string} [type] */
export function download(name, text, type = 'text/csv') {
  const a = /** @type {HTMLAnchorElement} */ (h('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name }));
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** A message in the polite live region (errors, confirmations). @param {string} text @param {boolean} [error] */
export function announce(text, error = false) {
  const t = document.getElementById('toast');
  if (!t) return;
  t.textContent = text;
  t.className = error ? 'error' : '';
}
