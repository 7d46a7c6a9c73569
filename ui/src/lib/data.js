// @ts-check
// Pure transforms of API answers into what the views draw: no DOM, no fetch, so they are unit-tested in node.

/** @typedef {import('../api-types.ts').ActualValue} ActualValue */
/** @typedef {import('../api-types.ts').ForecastValue} ForecastValue */
/** @typedef {import('../api-types.ts').RunMeta} RunMeta */

/** Qualities drawn as flagged points (each with its own shape and colour). */
export const FLAGGED = /** @type {const} */ (['imputed', 'suspect', 'partial', 'estimated']);

const d2 = (/** @type {string} */ s, /** @type {number} */ i) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
/**
 * Seconds since the epoch of an API time: 'YYYY-MM-DDTHH:MM:SS.sssZ' (what the API sends) read
 * digit by digit — a year of hourly answers holds tens of thousands — anything else by Date.parse.
 * @param {string} s
 */
export function isoSeconds(s) {
  if (s.length !== 24 || s.charCodeAt(23) !== 90 /* Z */) return Date.parse(s) / 1000;
  return Date.UTC(d2(s, 0) * 100 + d2(s, 2), d2(s, 5) - 1, d2(s, 8), d2(s, 11), d2(s, 14), d2(s, 17)) / 1000 + (d2(s, 20) * 10 + s.charCodeAt(22) - 48) / 1000;
}

/**
 * A forecast series made of several runs: for each target time, the value of the latest issued run
 * that has it — the published day-ahead of each day, when the runs are the day-ahead runs. Flat
 * arrays and one sort of indices (none when the runs come in time order without overlap), so a
 * year of hourly values costs a few milliseconds.
 * @param {Array<{ run: Pick<RunMeta, 'id' | 'issuedAt'>, values: Array<Pick<ForecastValue, 'ts' | 'mean' | 'quantiles' | 'fallbackReason'>> }>} pages
 * @returns {{ ts: number[], mean: number[], quantiles: Record<string, number[]>, fallback: Array<string|null>, runId: number[] }}
 */
export function stitch(pages) {
  const total = pages.reduce((n, p) => n + p.values.length, 0);
  const t = new Float64Array(total);
  const issued = new Float64Array(total);
  const runId = new Float64Array(total);
  /** @type {Array<Pick<ForecastValue, 'ts' | 'mean' | 'quantiles' | 'fallbackReason'>>} */
  const vals = new Array(total);
  let k = 0;
  let ordered = true;
  for (const { run, values } of pages) {
    const at = isoSeconds(run.issuedAt);
    for (const v of values) {
      t[k] = isoSeconds(v.ts);
      issued[k] = at;
      runId[k] = run.id;
      vals[k] = v;
      if (k > 0 && t[k] <= t[k - 1]) ordered = false;
      k++;
    }
  }
  let order = Array.from({ length: total }, (_, i) => i);
  // Latest issued last among equal times (then the higher run id): the last of each time wins.
  if (!ordered) order = order.sort((a, b) => t[a] - t[b] || issued[a] - issued[b] || runId[a] - runId[b]);
  const pick = [];
  for (let i = 0; i < total; i++) if (i === total - 1 || t[order[i + 1]] !== t[order[i]]) pick.push(order[i]);
  const levels = new Set();
  for (const i of pick) for (const l in vals[i].quantiles) levels.add(l);
  /** @type {Record<string, number[]>} */
  const quantiles = {};
  for (const l of [...levels].sort((a, b) => Number(a) - Number(b))) quantiles[l] = pick.map((i) => vals[i].quantiles[l] ?? NaN);
  return {
    ts: pick.map((i) => t[i]),
    mean: pick.map((i) => vals[i].mean),
    quantiles,
    fallback: pick.map((i) => vals[i].fallbackReason),
    runId: pick.map((i) => runId[i]),
  };
}

/**
 * The runs to stitch over [start, end): published before `cutoff`, whose window meets the range;
 * of runs with the same window, the latest issued; at most `max`, the latest windows first.
 * @param {RunMeta[]} runs @param {number} start ms @param {number} end ms @param {number} cutoff ms @param {number} max
 */
export function runsCovering(runs, start, end, cutoff, max) {
  /** @type {Map<string, RunMeta>} */
  const byWindow = new Map();
  for (const r of runs) {
    if (r.status !== 'succeeded' || Date.parse(r.issuedAt) > cutoff) continue;
    if (Date.parse(r.windowEnd) <= start || Date.parse(r.windowStart) >= end) continue;
    const k = `${r.windowStart}/${r.windowEnd}`;
    const had = byWindow.get(k);
    if (!had || Date.parse(had.issuedAt) < Date.parse(r.issuedAt) || (had.issuedAt === r.issuedAt && had.id < r.id)) byWindow.set(k, r);
  }
  return [...byWindow.values()].sort((a, b) => Date.parse(b.windowStart) - Date.parse(a.windowStart)).slice(0, max);
}

/**
 * One x axis (seconds) for series sampled at different times: the sorted union of their times,
 * each series with null where it has no value. Each part's times must be ascending (API answers
 * are); the parts are merged in one pass, without hashing, as a year of hourly values is.
 * @param {Array<{ ts: number[], columns: Array<Array<number|null>> }>} parts
 * @returns {{ xs: number[], columns: Array<Array<number|null>>, byPart: Array<Array<Array<number|null>>>, positions: Int32Array[] }}
 *   columns: all parts' columns in order; byPart: the same columns grouped by part (a part may have
 *   fewer columns than another: a day-ahead without quantiles); positions: where each part's times sit on xs
 */
export function align(parts) {
  /** @type {number[]} */
  let xs = [];
  for (const p of parts) xs = mergeSorted(xs, p.ts);
  const columns = [];
  /** @type {Array<Array<Array<number|null>>>} */
  const byPart = [];
  const positions = [];
  for (const p of parts) {
    /** @type {Array<Array<number|null>>} */
    const mine = [];
    byPart.push(mine);
    // Where each of the part's times sits on the merged axis, found by walking both in step.
    const at = new Int32Array(p.ts.length);
    for (let i = 0, j = 0; i < p.ts.length; i++) {
      while (xs[j] < p.ts[i]) j++;
      at[i] = j;
    }
    positions.push(at);
    for (const col of p.columns) {
      /** @type {Array<number|null>} */
      const out = new Array(xs.length).fill(null);
      for (let i = 0; i < p.ts.length; i++) {
        const v = col[i];
        if (v !== null && v !== undefined && !Number.isNaN(v)) out[at[i]] = v;
      }
      columns.push(out);
      mine.push(out);
    }
  }
  return { xs, columns, byPart, positions };
}

/** The sorted union of two ascending arrays, without repeats. @param {number[]} a @param {number[]} b */
function mergeSorted(a, b) {
  /** @type {number[]} */
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (out.length === 0 || out[out.length - 1] !== x) out.push(x);
  }
  return out;
}

/**
 * Runs of consecutive flagged values (the same quality at consecutive points of `ts`): what the
 * chart shades and the text summary under it lists.
 * @param {number[]} ts seconds @param {string[]} quality @param {Array<string|null|undefined>} method
 * @returns {Array<{ quality: string, from: number, to: number, n: number, methods: string[] }>}
 */
export function flaggedSpans(ts, quality, method) {
  const out = [];
  /** @type {{ quality: string, from: number, to: number, n: number, methods: string[] } | null} */
  let cur = null;
  for (let i = 0; i < ts.length; i++) {
    const q = quality[i];
    if (!(/** @type {readonly string[]} */ (FLAGGED)).includes(q)) {
      cur = null;
      continue;
    }
    if (cur && cur.quality === q) {
      cur.to = ts[i];
      cur.n++;
    } else {
      cur = { quality: q, from: ts[i], to: ts[i], n: 1, methods: [] };
      out.push(cur);
    }
    const m = method[i];
    if (m) for (const x of m.split(',')) if (!cur.methods.includes(x.trim())) cur.methods.push(x.trim());
  }
  return out;
}

/**
 * The largest value at times in [from, to) (seconds), or null.
 * @param {number[]} ts @param {Array<number|null>} values @param {number} from @param {number} to
 */
export function peak(ts, values, from, to) {
  let best = null;
  for (let i = 0; i < ts.length; i++) {
    const v = values[i];
    if (ts[i] < from || ts[i] >= to || v === null || !Number.isFinite(v)) continue;
    if (!best || v > best.value) best = { ts: ts[i], value: v };
  }
  return best;
}

/** CSV text (RFC 4180 quoting) of a header and rows. @param {string[]} header @param {Array<Array<string|number|null|undefined>>} rows */
export function toCsv(header, rows) {
  const cell = (/** @type {string|number|null|undefined} */ v) => {
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
