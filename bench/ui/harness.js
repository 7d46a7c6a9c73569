// The dashboard's own modules, timed in the browser: what the node view does between the API's
// answers and a drawn chart (stitch, align, flag spans, uPlot), and the tree's expand and search.
import { forecastChart } from '/ui/src/chart.js';
import { align, flaggedSpans, isoSeconds, stitch } from '/ui/src/lib/data.js';
import { createTree } from '/ui/src/tree.js';

const H = 3600;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A year of hourly API answers for one node: actuals (a few imputed runs) and 365 day-ahead run pages, plus an intraday run. */
function answers() {
  const start = Date.UTC(2025, 0, 1) / 1000;
  const n = 365 * 24;
  const load = (t) => 500 + 150 * Math.sin((2 * Math.PI * (t / H - 6)) / 24) + 80 * Math.cos((2 * Math.PI * t) / (365 * 24 * H)) + 10 * Math.sin(t / 7777);
  const actuals = Array.from({ length: n }, (_, i) => {
    const t = start + i * H;
    const imputed = i % 500 < 3;
    return { seriesId: 'n', ts: new Date(t * 1000).toISOString(), value: load(t) + 12 * Math.sin(i * 1.7), quality: imputed ? 'imputed' : 'ok', method: imputed ? 'profile' : null };
  });
  const pages = Array.from({ length: 365 }, (_, d) => ({
    run: { id: d + 1, issuedAt: new Date((start + (d * 24 - 14) * H) * 1000).toISOString() },
    values: Array.from({ length: 24 }, (_, k) => {
      const t = start + (d * 24 + k) * H;
      const m = load(t);
      return { seriesId: 'n', grain: '1h', ts: new Date(t * 1000).toISOString(), mean: m, quantiles: { 0.1: m - 30, 0.5: m, 0.9: m + 30 }, model: 'gam', modelVersion: 'm@1', fallbackReason: null, flags: [] };
    }),
  }));
  const intraday = Array.from({ length: 36 }, (_, k) => ({ ts: new Date((start + (n - 24 + k) * H) * 1000).toISOString(), mean: load(start + (n - 24 + k) * H) }));
  return { actuals, pages, intraday };
}

/** From the answers to the drawn chart: the node view's transforms, then uPlot until its draw hook ran. */
function drawOnce(el, a) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const aTs = a.actuals.map((v) => isoSeconds(v.ts));
    const da = stitch(a.pages);
    const id = { ts: a.intraday.map((v) => Date.parse(v.ts) / 1000), columns: [a.intraday.map((v) => v.mean)] };
    const { xs, columns, positions } = align([
      { ts: aTs, columns: [a.actuals.map((v) => v.value)] },
      { ts: da.ts, columns: [da.mean, da.quantiles['0.1'], da.quantiles['0.9']] },
      id,
    ]);
    const quality = new Array(xs.length).fill('');
    const method = new Array(xs.length).fill(null);
    a.actuals.forEach((v, i) => {
      quality[positions[0][i]] = v.quality;
      method[positions[0][i]] = v.method;
    });
    flaggedSpans(xs, quality, method);
    const [actual, mean, lo, hi, intraday] = columns;
    const tSetup = performance.now();
    const u = forecastChart(el, {
      xs, actual, quality, dayAhead: { mean, lo, hi, loLevel: '0.1', hiLevel: '0.9', others: [] }, intraday: { mean: intraday },
      events: [], now: xs[xs.length - 30], stepSec: H, tz: 'Europe/Paris', unit: 'MW', width: 1400, height: 380,
      onDraw: () => {
        const t1 = performance.now();
        queueMicrotask(() => resolve({ total: t1 - t0, transform: tSetup - t0, draw: t1 - tSetup, points: xs.length, series: u.series.length - 1 }));
      },
    });
  });
}

window.benchChart = async (repeat = 20) => {
  const el = document.getElementById('chart');
  const a = answers();
  const runs = [];
  for (let i = 0; i < repeat + 2; i++) {
    const r = await drawOnce(el, a);
    if (i >= 2) runs.push(r); // two warm-up draws (JIT, fonts)
    await new Promise((res) => setTimeout(res, 20));
  }
  return { points: runs[0].points, series: runs[0].series, total: { median: median(runs.map((r) => r.total)), min: Math.min(...runs.map((r) => r.total)), max: Math.max(...runs.map((r) => r.total)) }, transform: median(runs.map((r) => r.transform)), draw: median(runs.map((r) => r.draw)) };
};

/** A grid of about `n` nodes: a root, 20 regions, 25 areas per region, feeders under each area. */
function grid(n) {
  const nodes = [{ id: 'nation', parent: null, name: 'Nation' }];
  const areas = [];
  for (let r = 0; r < 20; r++) {
    nodes.push({ id: `r${r}`, parent: 'nation', name: `Region ${r}` });
    for (let a = 0; a < 25; a++) {
      nodes.push({ id: `r${r}.a${a}`, parent: `r${r}`, name: `Area ${r}-${a}` });
      areas.push(`r${r}.a${a}`);
    }
  }
  for (let i = 0; nodes.length < n; i++) {
    const area = areas[i % areas.length];
    nodes.push({ id: `${area}.f${Math.floor(i / areas.length)}`, parent: area, name: `Feeder ${i}` });
  }
  return nodes;
}

window.benchTree = async (n = 10000, repeat = 20) => {
  const host = document.getElementById('tree');
  const nodes = grid(n);
  const time = (f) => {
    const t0 = performance.now();
    f();
    void host.offsetHeight; // the layout the browser would do before painting
    return performance.now() - t0;
  };
  const out = { nodes: nodes.length, build: [], expandAll: [], expandOne: [], searchMany: [], searchOne: [], clear: [] };
  for (let i = 0; i < repeat; i++) {
    let tree;
    out.build.push(time(() => { tree = createTree(host, { nodes, onOpen: () => {}, height: 600 }); }));
    out.expandOne.push(time(() => tree.expand('r7')));
    out.expandAll.push(time(() => tree.expandAll()));
    out.searchMany.push(time(() => tree.search('f1')));
    out.searchOne.push(time(() => tree.search('r19.a24.f18')));
    out.clear.push(time(() => tree.search('')));
  }
  const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.isArray(v) ? stats(v) : v]));
};
window.benchReady = true;
