/**
 * Time of every reconciliation method on a synthetic 4-level grid (nation → regions → substations
 * → feeders) the size of a large distribution operator's: base forecasts with three quantiles,
 * residuals and history with a shared daily factor so MinT has real correlations to use.
 *
 * Run alone: node bin/run-ts.mjs bench/reconcile/synthetic.ts [bottoms] [residualSteps]
 * (prints a markdown table); bench/reconcile/main.ts imports syntheticTiming.
 */
import { pathToFileURL } from 'node:url';
import { BAND_METHODS, RECONCILIATION_METHODS } from '../../core/config.ts';
import { summingMatrix, type HierarchyNode, type SummingMatrix } from '../../core/hierarchy.ts';
import { reconcile, type NodeForecast, type ReconcileResult } from '../../forecast/reconcile/index.ts';
import { seededRandom } from '../../core/random.ts';

export interface SyntheticTiming {
  method: string;
  /** How the quantiles were made (reconcile()'s `bands`). */
  bands: string;
  nodes: number;
  bottoms: number;
  seconds: number;
  /** CPU time of the process over the same span: the machine may be shared, wall time then overstates. */
  cpuSeconds: number;
  /** Largest |parent − Σ children bottoms| / max(1, |parent|) over every aggregate and step, of the mean and (comonotonic bands only: sampled quantiles do not add up) each quantile. */
  maxIncoherence: number;
}

const LEVELS = ['0.1', '0.5', '0.9'];

function gaussian(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export function syntheticHierarchy(bottoms: number, fanout = 10): HierarchyNode[] {
  const nodes: HierarchyNode[] = [{ id: 'nation', parent: null }];
  const substations: string[] = [];
  for (let r = 0; r < fanout; r++) {
    nodes.push({ id: `r${r}`, parent: 'nation' });
    for (let s = 0; s < fanout; s++) {
      substations.push(`r${r}s${s}`);
      nodes.push({ id: `r${r}s${s}`, parent: `r${r}` });
    }
  }
  for (let f = 0; f < bottoms; f++) {
    const sub = substations[f % substations.length];
    nodes.push({ id: `${sub}f${f}`, parent: sub });
  }
  return nodes;
}

function syntheticInputs(sm: SummingMatrix, steps: number, residualSteps: number) {
  const normal = gaussian(seededRandom(42));
  const a = sm.rows.length - sm.cols.length;
  const m = sm.cols.length;
  const level = Float64Array.from({ length: m }, () => 50 + 100 * Math.abs(normal()));
  const sumUnder = (cols: Int32Array, v: Float64Array) => cols.reduce((s, c) => s + v[c], 0);

  // Bottom series: level × (daily shape + shared factor + own noise); aggregates: their sums plus
  // metering noise, so base forecasts and residuals are incoherent like real ones.
  const series = (t0: number, len: number, noise: number) => {
    const common = Float64Array.from({ length: len }, () => normal());
    const bottom = Array.from({ length: m }, (_, j) =>
      Float64Array.from({ length: len }, (_, t) => level[j] * (1 + 0.3 * Math.sin((2 * Math.PI * (t0 + t)) / 24) + noise * (0.6 * common[t] + 0.8 * normal()))),
    );
    return sm.rows.map((_, i) => {
      if (i >= a) return bottom[i - a];
      const cols = sm.rowCols[i];
      return Float64Array.from({ length: len }, (_, t) => {
        let s = 0;
        for (const c of cols) s += bottom[c][t];
        return s * (1 + 0.02 * normal());
      });
    });
  };
  const history = series(0, residualSteps, 0.05);
  const fitted = series(0, residualSteps, 0.05);
  const residuals = new Map(sm.rows.map((id, i) => [id, history[i].map((v, t) => v - fitted[i][t])]));
  // One missing residual at each of two steps, as a backtest with a gap would have.
  residuals.get(sm.cols[0])![3] = Number.NaN;
  residuals.get(sm.rows[0])![7] = Number.NaN;

  const forecast = series(residualSteps, steps, 0.05);
  const base = new Map<string, NodeForecast>(
    sm.rows.map((id, i) => {
      const mean = forecast[i];
      const sd = 0.08 * (i < a ? sumUnder(sm.rowCols[i], level) : level[i - a]);
      const quantiles = Object.fromEntries(LEVELS.map((l) => [l, mean.map((v) => v + sd * (l === '0.1' ? -1.2816 : l === '0.9' ? 1.2816 : 0) + 0.01 * sd * normal())]));
      return [id, { mean, quantiles }];
    }),
  );
  return { base, residuals, history: new Map(sm.rows.map((id, i) => [id, history[i]])) };
}

function maxIncoherence(sm: SummingMatrix, r: ReconcileResult, quantiles: boolean): number {
  const a = sm.rows.length - sm.cols.length;
  const bottoms = sm.cols.map((id) => r.values.get(id)!);
  let worst = 0;
  for (let i = 0; i < a; i++) {
    const own = r.values.get(sm.rows[i])!;
    const pairs: [Float64Array, Float64Array[]][] = [
      [own.mean, bottoms.map((b) => b.mean)],
      ...(quantiles ? LEVELS.map((l) => [own.quantiles[l], bottoms.map((b) => b.quantiles[l])] as [Float64Array, Float64Array[]]) : []),
    ];
    for (const [parent, kids] of pairs) {
      for (let h = 0; h < parent.length; h++) {
        let s = 0;
        for (const c of sm.rowCols[i]) s += kids[c][h];
        worst = Math.max(worst, Math.abs(parent[h] - s) / Math.max(1, Math.abs(parent[h])));
      }
    }
  }
  return worst;
}

export async function syntheticTiming(opts: { bottoms: number; fanout?: number; steps?: number; residualSteps?: number }): Promise<SyntheticTiming[]> {
  const sm = summingMatrix(syntheticHierarchy(opts.bottoms, opts.fanout ?? 10), 'nation');
  const inputs = syntheticInputs(sm, opts.steps ?? 24, opts.residualSteps ?? 60 * 24);
  const out: SyntheticTiming[] = [];
  for (const method of RECONCILIATION_METHODS) {
    for (const bands of BAND_METHODS) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const r = reconcile({ sm, method, ...inputs, bands: { method: bands } });
      const seconds = (performance.now() - t) / 1000;
      const used = process.cpuUsage(cpu);
      out.push({ method: r.applied, bands: r.bands, nodes: sm.rows.length, bottoms: sm.cols.length, seconds, cpuSeconds: (used.user + used.system) / 1e6, maxIncoherence: maxIncoherence(sm, r, bands === 'comonotonic') });
    }
  }
  return out;
}

export function timingTable(rows: SyntheticTiming[]): string {
  return [
    '| method | bands | nodes | bottoms | seconds (wall) | seconds (CPU) | max incoherence |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.method} | ${r.bands} | ${r.nodes} | ${r.bottoms} | ${r.seconds.toFixed(2)} | ${r.cpuSeconds.toFixed(2)} | ${r.maxIncoherence.toExponential(1)} |`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const bottoms = Number(process.argv[2] ?? 10_000);
  const residualSteps = Number(process.argv[3] ?? 60 * 24);
  console.log(`Synthetic hierarchy, 24 steps × (mean + ${LEVELS.length} quantiles), ${residualSteps} residual steps\n`);
  console.log(timingTable(await syntheticTiming({ bottoms, residualSteps })));
}
