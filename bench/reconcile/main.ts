/**
 * Spatial reconciliation on the real GEFCom2012 hierarchy (system → z1…z20; data: Hong, Pinson &
 * Fan, IJF 30(2), 2014): accuracy per level of the base day-ahead forecasts and of every method,
 * and the time to reconcile a synthetic 10,000-bottom hierarchy.
 *
 * The base forecasts (the long part: 1–4 min per series on the shared 2 cores, 43 min of fitting for all 21) are stored per series
 * under .bench-out/reconcile/ and reused; BENCH_SERIES=z1,z2 runs some of them only (several
 * processes can share the work), BENCH_BASE_ONLY=1 stops after them.
 *
 * Environment: GRIDCAST_SHARED_DATA, BENCH_MODEL (gam-arima), BENCH_ORIGINS (28), BENCH_REFIT_EVERY (7),
 * BENCH_SYNTHETIC_BOTTOMS (10000).
 * Run: npm run bench:reconcile   (writes .bench-out/reconcile.md)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { summingMatrix, type HierarchyNode } from '../../core/hierarchy.ts';
import { BAND_METHODS, RECONCILIATION_METHODS, type BandMethod, type ReconciliationMethod } from '../../core/config.ts';
import { reconcile, type NodeForecast } from '../../forecast/reconcile/index.ts';
import { gefcom2012, sharedDataDir } from '../datasets.ts';
import { baseOf, HORIZON, originIndices, OUT_DIR, type BasePlan, type SeriesBase } from './base.ts';
import { appendTrack, summarizeLevels, type LevelSummary, type NodeTrack } from './levels.ts';
import { syntheticTiming, timingTable } from './synthetic.ts';

const int = (name: string, d: number) => (process.env[name] ? Number.parseInt(process.env[name]!, 10) : d);
const PLAN: BasePlan = { model: process.env.BENCH_MODEL ?? 'gam-arima', origins: int('BENCH_ORIGINS', 28), everyDays: 13, refitEvery: int('BENCH_REFIT_EVERY', 7), residualDays: 60 };
const SERIES = process.env.BENCH_SERIES?.split(',');
const SYNTHETIC_BOTTOMS = int('BENCH_SYNTHETIC_BOTTOMS', 10_000);
/** z9 is an industrial load with zero and near-zero hours (data README): its MAPE is undefined or dominated by those hours, so it is kept out of the zone mean and reported by MAE. */
const OUT_OF_MAPE_MEAN = ['z9'];

const t0 = Date.now();
const log = (m: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${m}\n`);
const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const nanOf = (a: (number | null)[]) => Float64Array.from(a, (v) => v ?? Number.NaN);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const dir = sharedDataDir();
const hierarchy = JSON.parse(readFileSync(join(dir, 'gefcom2012/hierarchy.json'), 'utf8')) as { nodes: HierarchyNode[] };
const sm = summingMatrix(hierarchy.nodes, 'system');
const cases = gefcom2012(dir);
const system = cases.find((c) => c.seriesId === 'system')!.input.series;
for (const c of cases) {
  if (c.input.series.start.getTime() !== system.start.getTime() || c.input.series.values.length !== system.values.length) throw new Error(`${c.seriesId} does not share the system's time index`);
}
const origins = originIndices(system, PLAN);

const bases = new Map<string, SeriesBase>();
for (const c of cases.filter((x) => !SERIES || SERIES.includes(x.seriesId))) {
  const b = await baseOf(OUT_DIR, PLAN, c.input, origins, log);
  bases.set(c.seriesId, b);
  log(`${c.seriesId}: base forecasts ready (${(b.wallMs / 1000).toFixed(0)} s of fitting)`);
}
if (process.env.BENCH_BASE_ONLY === '1' || SERIES) process.exit(0);

const top = sm.rows[0];
const bottom = sm.cols;
const residualSteps = PLAN.residualDays * 24;
/** Every method with every way of making its bands: the mean is the same, the quantiles differ. */
const VARIANTS = RECONCILIATION_METHODS.flatMap((method) => BAND_METHODS.map((bands) => ({ method, bands, key: `${method} · ${bands}` })));
const tracks = new Map<string, Map<string, NodeTrack>>([['base', new Map()], ...VARIANTS.map((v) => [v.key, new Map<string, NodeTrack>()] as const)]);
const timing = new Map<string, number[]>();
const applied = new Map<string, Map<string, number>>();
const lambdas: number[] = [];
const warnings = new Map<string, number>();

for (let k = 0; k < origins.length; k++) {
  const o = origins[k];
  const base = new Map<string, NodeForecast>();
  const residuals = new Map<string, Float64Array>();
  const history = new Map<string, Float64Array>();
  for (const id of sm.rows) {
    const ob = bases.get(id)!.origins[k];
    if (ob.originMs !== system.start.getTime() + o * 3_600_000) throw new Error(`stored base forecasts of ${id} are for other origins: delete ${OUT_DIR} and re-run`);
    base.set(id, { mean: Float64Array.from(ob.mean), quantiles: Object.fromEntries(Object.entries(ob.quantiles).map(([l, v]) => [l, Float64Array.from(v)])) });
    residuals.set(id, nanOf(ob.residuals));
    // Top-down's proportions: the actuals over the same window as the residuals.
    history.set(id, cases.find((c) => c.seriesId === id)!.input.series.values.slice(o - residualSteps, o));
    appendTrack(tracks.get('base')!, id, ob.mean, ob.quantiles, nanOf(ob.actual));
  }
  for (const { method, bands, key } of VARIANTS) {
    const started = performance.now();
    const r = reconcile({ sm, method, base, residuals, history, bands: { method: bands } });
    (timing.get(key) ?? timing.set(key, []).get(key)!).push(performance.now() - started);
    const a = applied.get(key) ?? applied.set(key, new Map()).get(key)!;
    // Numbers that change with the origin (lambda, history steps used) are given as ranges below.
    const label = `${r.applied}; bands ${r.bands}`.replace(/\d+(\.\d+)?/g, '#');
    a.set(label, (a.get(label) ?? 0) + 1);
    if (method === 'mint-shrink' && bands === 'comonotonic' && r.lambda !== undefined) lambdas.push(r.lambda);
    for (const w of r.warnings) warnings.set(w, (warnings.get(w) ?? 0) + 1);
    for (const id of sm.rows) {
      const v = r.values.get(id)!;
      appendTrack(tracks.get(key)!, id, v.mean, v.quantiles, nanOf(bases.get(id)!.origins[k].actual));
    }
  }
}

const summaries = new Map<string, LevelSummary>([...tracks].map(([m, t]) => [m, summarizeLevels(t, top, bottom, OUT_OF_MAPE_MEAN)]));
const baseSummary = summaries.get('base')!;
const outOfMean = baseSummary.outOfMean.map((u) => u.id);
/** Lowest hour over the median hour of each node kept out of the mean, in the test period. */
const lowShare = (id: string) => {
  const a = tracks.get('base')!.get(id)!.actual.filter(Number.isFinite).sort((x, y) => x - y);
  return a.length ? (100 * a[0]) / a[Math.floor(a.length / 2)] : Number.NaN;
};
const meanMs = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const appliedNote = (m: string) =>
  [...(applied.get(m) ?? [])].map(([label, n]) => (n === origins.length ? label : `${label} ×${n}`)).join(', ') +
  (m.startsWith('mint-shrink') && lambdas.length ? `; lambda ${f(Math.min(...lambdas), 3)}–${f(Math.max(...lambdas), 3)}` : '');
/** Origins at which a method's top-level day-ahead MAPE beats the base's (ties count half): how consistent a difference is. */
const topWins = (m: string) => {
  const mapeAt = (t: NodeTrack, k: number) => {
    let e = 0;
    for (let h = k * HORIZON; h < (k + 1) * HORIZON; h++) {
      const ape = Math.abs((t.actual[h] - t.mean[h]) / t.actual[h]);
      if (Number.isFinite(ape)) e += ape;
    }
    return e;
  };
  const own = tracks.get(m)!.get(top)!;
  const ref = tracks.get('base')!.get(top)!;
  let wins = 0;
  for (let k = 0; k < origins.length; k++) {
    const d = mapeAt(own, k) - mapeAt(ref, k);
    // Below 1e-9 the difference is rounding (top-down and OLS can leave the top as it was).
    wins += Math.abs(d) < 1e-9 ? 0.5 : d < 0 ? 1 : 0;
  }
  return `${wins}/${origins.length}`;
};
const verdict = (s: LevelSummary) => {
  if (s.top.mape === null || s.levelsMape === null || baseSummary.top.mape === null || baseSummary.levelsMape === null) return '—';
  const topOk = s.top.mape <= baseSummary.top.mape;
  const avgOk = s.levelsMape < baseSummary.levelsMape;
  return topOk && avgOk ? 'yes' : `no (${[topOk ? '' : 'top worse', avgOk ? '' : 'average not better'].filter(Boolean).join(', ')})`;
};

const zoneCoverages = (s: LevelSummary) => bottom.map((id) => s.byNode.get(id)!.coverage).filter((c): c is number => c !== null);
const zoneRange = (s: LevelSummary) => `${f(Math.min(...zoneCoverages(s)), 1)}–${f(Math.max(...zoneCoverages(s)), 1)}`;
const zonesInTarget = (s: LevelSummary) => `${zoneCoverages(s).filter((c) => c >= 72 && c <= 88).length}/${zoneCoverages(s).length}`;
const outCols = outOfMean.map((id) => `${id} MAE`);
const head = ['method', 'top MAPE %', `zones MAPE % (mean of ${bottom.length - outOfMean.length})`, 'levels MAPE % (mean of 2)', ...outCols, 'top RMSE', 'origins better than base at top', 'top P10–P90 cov %', 'zones P10–P90 cov %', 'zones cov % min–max', 'zones in 72–88 %', 'ms / reconciliation', 'meets target', 'what ran'];
const rows = [...summaries].map(([m, s]) => [
  m,
  f(s.top.mape),
  f(s.bottomMape),
  f(s.levelsMape),
  ...outOfMean.map((id) => f(s.byNode.get(id)!.mae, 0)),
  f(s.top.rmse, 0),
  m === 'base' ? '—' : topWins(m),
  f(s.top.coverage, 1),
  f(s.bottomCoverage, 1),
  zoneRange(s),
  zonesInTarget(s),
  m === 'base' ? '—' : f(meanMs(timing.get(m)!), 2),
  m === 'base' ? '—' : verdict(s),
  m === 'base' ? `${PLAN.model}, unreconciled` : appliedNote(m),
]);
const table = (h: string[], body: string[][]) => {
  const w = h.map((x, i) => Math.max(x.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  return [line(h), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)].join('\n');
};

const zoneHead = ['node', ...summaries.keys()];
const zoneRows = sm.rows.map((id) => [id, ...[...summaries.values()].map((s) => {
  const a = s.byNode.get(id)!;
  return a.mape === null ? `MAE ${f(a.mae, 1)}` : f(a.mape);
})]);

/** P10–P90 coverage per node for the base and each method's two kinds of bands. */
const coverageKeys = ['base', ...VARIANTS.filter((v) => v.method === 'mint-shrink' || v.method === 'bottom-up').map((v) => v.key)];
const coverageRows = sm.rows.map((id) => [id, ...coverageKeys.map((k) => f(summaries.get(k)!.byNode.get(id)!.coverage, 1))]);

log(`timing the synthetic hierarchy (${SYNTHETIC_BOTTOMS} bottoms)`);
const synthetic = await syntheticTiming({ bottoms: SYNTHETIC_BOTTOMS });

const first = system.start.getTime() + origins[0] * 3_600_000;
const last = system.start.getTime() + origins[origins.length - 1] * 3_600_000;
const fitWall = [...bases.values()].reduce((a, b) => a + b.wallMs, 0);
const report = [
  `# Spatial reconciliation on GEFCom2012 (${new Date().toISOString()})`,
  '',
  `Hierarchy: system → z1…z20 (data: Hong, Pinson & Fan, "Global Energy Forecasting Competition 2012", IJF 30(2), 2014). ` +
    `Base forecasts: ${PLAN.model} day-ahead (24 hourly values from local midnight, history strictly before the origin), ` +
    `the same ${origins.length} origins for all 21 series, ${PLAN.everyDays} days apart from ${day(first)} to ${day(last)}; ` +
    `the GAM is refitted every ${PLAN.refitEvery} origins and conditioned on the new data in between, the ARIMA on its residuals refitted at every origin; ` +
    `temperature: mean of the 11 stations, observed over the horizon ("perfect" weather); US federal holidays. ` +
    `Quantiles, two ways for every method: "joint-residuals" (the default) reconciles up to 1000 sample paths per hour (each node's base quantile function at ranks of the in-sample residuals of one shared historical hour) and reads each node's quantiles from them (forecast/reconcile/probabilistic.ts); "comonotonic" keeps each bottom's base spread around its reconciled mean, sorted across levels, and sums them (forecast/reconcile/apply.ts). ` +
    `MinT's covariance: the in-sample residuals of the base model (gam-arima exposes its GAM's, over the whole history of the model that made each origin's forecast: freshly fitted or conditioned) over the ${PLAN.residualDays} days before each origin, time-aligned across the 21 series; ` +
    `top-down's proportions: the actuals over the same ${PLAN.residualDays} days. Nothing is tuned to the test period.`,
  '',
  `Levels: top = system; zones = z1…z20. MAPE pools the ${origins.length}×${HORIZON} targets per series; "zones MAPE" is the mean of the zone MAPEs ` +
    `without ${outOfMean.join(', ')} (an industrial load with zero hours in the data, where MAPE is undefined; in this test period its lowest hour is ${outOfMean.map((id) => `${f(lowShare(id), 0)} %`).join(', ')} of its median hour, so its MAPE, given per node below, is defined but dominated by those hours: MAE given instead); "levels MAPE" = (top MAPE + zones MAPE) / 2. ` +
    `Coverage of zones: mean over the 20 zones. Quirks: z7 == z3 on every hour (their residuals are identical, so the sample covariance is singular); z10 jumps to ~2.7× in 2008. ` +
    `Target (issue 4): no worse than base at the top and better on the mean over levels.`,
  '',
  table(head, rows),
  '',
  '## MAPE % per node (MAE where MAPE is undefined)',
  '',
  table(zoneHead, zoneRows),
  '',
  '## P10–P90 coverage % per node (nominal 80; bottom-up and MinT, the default)',
  '',
  table(['node', ...coverageKeys], coverageRows),
  '',
  `## Synthetic hierarchy (${SYNTHETIC_BOTTOMS.toLocaleString('en')} bottom series)`,
  '',
  `24 steps × (mean + P10/P50/P90), MinT on 60 days of hourly residuals; target: under 30 s per reconciliation. Synthetic series: bench/reconcile/synthetic.ts. Max incoherence: of the mean for sampled bands (their quantiles are coherent path by path, not as sums), of the mean and every quantile for comonotonic ones.`,
  '',
  timingTable(synthetic),
  '',
  ...(warnings.size ? ['Warnings from reconcile() (origins):', ...[...warnings].map(([w, n]) => `- ${w} (×${n})`), ''] : []),
  `Base forecasts: ${(fitWall / 60000).toFixed(1)} min of fitting in total (stored; this run took ${((Date.now() - t0) / 1000).toFixed(0)} s). Machine: shared, loaded 2 cores.`,
].join('\n');

console.log(report);
mkdirSync(resolve(OUT_DIR, '..'), { recursive: true });
writeFileSync(resolve(OUT_DIR, '../reconcile.md'), `${report}\n`);
