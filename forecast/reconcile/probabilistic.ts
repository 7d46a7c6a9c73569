import type { BandMethod } from '../../core/config.ts';
import { seededRandom } from '../../core/random.ts';
import { normalQuantile } from '../../models/gam/normal.ts';
import type { RunVectors } from './apply.ts';
import type { Projection } from './projection.ts';
import { completeResiduals } from './residuals.ts';
import type { Structure } from './structure.ts';

/**
 * How the quantiles of a reconciled run are made (BAND_METHODS in core/config.ts).
 * - `joint-residuals`: sample paths of every node, marginals from each node's base quantiles,
 *   dependence from the residuals of one historical step shared by all series; each path is
 *   reconciled with the method's projection and quantiles are read per node.
 * - `comonotonic`: each bottom keeps its base spread around its reconciled mean and aggregates sum
 *   bottom quantiles (apply.ts); conservative at the top.
 */

export interface BandOptions {
  method?: BandMethod;
  /** Most sample paths per step (default DEFAULT_PATHS); fewer on large hierarchies (WORK_BUDGET) or short residuals. */
  paths?: number;
  /** Seed of the choice of residual steps when there are more than paths (default DEFAULT_SEED): same inputs, same bands. */
  seed?: number;
}

/** Chosen by bench:reconcile (README): calibrated at the top and the zones, where comonotonic sums are not. */
export const DEFAULT_BAND_METHOD: BandMethod = 'joint-residuals';
export const DEFAULT_PATHS = 1000;
export const DEFAULT_SEED = 1;
/**
 * Fewest joint residual steps: with fewer, P10 and P90 of a sum would rest on a handful of draws.
 * Short of it the comonotonic bands are used, with a warning.
 */
export const MIN_COPULA_STEPS = 50;
/** Fewest paths a work budget may leave; below it quantile noise exceeds what reconciliation gains. */
const MIN_PATHS = 200;
/**
 * Multiply-adds spent on reconciling paths (about 3–5 s of one core): large hierarchies get fewer
 * paths; past 10 times this with MIN_PATHS, no sampled bands.
 */
const WORK_BUDGET = 4e9;

export interface SampledBands {
  /** [level][step], each a vector in sm.rows order, non-decreasing across levels. */
  quantiles: Float64Array[][];
  /** E.g. 'joint residuals (1000 paths of 1440 residual steps)'. */
  applied: string;
  warnings: string[];
}

/**
 * The dependence of the base errors, as ranks: K joint residual steps (every series at the same
 * historical hour, the empirical copula of hierarchicalforecast's bootstrap and PERMBU) and, per
 * node, the rank of its residual among those K. Only the ranks are used: the scale of each node's
 * uncertainty comes from its base quantiles (calibrated per model), the in-sample residuals only
 * say which nodes err together.
 */
export interface JointRanks {
  /** n × K row-major (sm.rows order): rank 0..K−1 of node i's residual at path k. */
  rank: Int32Array;
  paths: number;
  /** Complete residual steps available. */
  steps: number;
}

export function jointRanks(st: Structure, residuals: Map<string, Float64Array>, window: number, paths: number, seed: number): JointRanks | { reason: string } {
  const r = completeResiduals(st.sm, residuals, window);
  const T = r.steps;
  if (T < MIN_COPULA_STEPS) return { reason: `only ${T} complete residual steps (at least ${MIN_COPULA_STEPS} needed)` };
  const K = Math.min(T, paths);
  const pick = Int32Array.from({ length: T }, (_, t) => t);
  if (K < T) {
    // Partial Fisher–Yates: K distinct steps, the same for the same seed.
    const u = seededRandom(seed);
    for (let k = 0; k < K; k++) {
      const j = k + Math.floor(u() * (T - k));
      const s = pick[k];
      pick[k] = pick[j];
      pick[j] = s;
    }
  }
  const n = st.n;
  const rank = new Int32Array(n * K);
  const order = new Int32Array(K);
  const vals = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      vals[k] = r.x[i * T + pick[k]];
      order[k] = k;
    }
    // Ties (identical or constant residuals) keep path order, so identical series get identical ranks.
    order.sort((p, q) => vals[p] - vals[q] || p - q);
    for (let q = 0; q < K; q++) rank[i * K + order[q]] = q;
  }
  return { rank, paths: K, steps: T };
}

/**
 * Reconciled sample paths of one step, into `paths` (K × n, path-major, rows order): path k of
 * node i takes node i's base quantile function at the k-th of K evenly spaced probabilities its
 * rank picks, so every node's paths reproduce its base marginal and the nodes move together as
 * their residuals did. Between base quantile levels and beyond them the quantile function is
 * linear in normal scores (exact for Gaussian bases). Each path is then reconciled in place and
 * is coherent: its aggregates are the sums of its bottoms.
 */
export function reconciledPaths(st: Structure, project: PathProjector, ranks: JointRanks, grid: ProbabilityGrid, quantilesAt: (node: number) => Float64Array, paths: Float64Array): void {
  const { n } = st;
  const K = ranks.paths;
  const { seg, wt } = grid;
  const values = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const q = quantilesAt(i);
    for (let k = 0; k < K; k++) values[k] = q[seg[k]] + wt[k] * (q[seg[k] + 1] - q[seg[k]]);
    const o = i * K;
    for (let k = 0; k < K; k++) paths[k * n + i] = values[ranks.rank[o + k]];
  }
  project(paths, K);
}

/** Where each of the K probabilities (k + ½)/K falls on the normal scores of the quantile levels: segment and weight, shared by all nodes and steps. */
export interface ProbabilityGrid {
  seg: Int32Array;
  wt: Float64Array;
}

export function probabilityGrid(levels: number[], K: number): ProbabilityGrid {
  const knots = levels.map(normalQuantile);
  const L = levels.length;
  const seg = new Int32Array(K);
  const wt = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const z = normalQuantile((k + 0.5) / K);
    let s = 0;
    while (s < L - 2 && z > knots[s + 1]) s++;
    seg[k] = s;
    wt[k] = (z - knots[s]) / (knots[s + 1] - knots[s]);
  }
  return { seg, wt };
}

/** The τ-quantile of a sorted sample by Hazen's rule (R type 5, position τ·K − ½): on the grid of reconciledPaths it returns the base quantiles of a bottom-up bottom. */
function sampleQuantile(sorted: Float64Array, tau: number): number {
  const K = sorted.length;
  const p = tau * K - 0.5;
  if (p <= 0) return sorted[0];
  if (p >= K - 1) return sorted[K - 1];
  const lo = Math.floor(p);
  return sorted[lo] + (p - lo) * (sorted[lo + 1] - sorted[lo]);
}

/** Reconciles K full-length vectors held path-major in one buffer (K × n), in place: bottoms reconciled, aggregates their sums. */
export type PathProjector = (paths: Float64Array, K: number) => void;

/**
 * P applied to many paths. A projection (P·S = I: bottom-up, OLS, WLS, MinT) satisfies
 * P·y = y_b + P_a·(y_a − A·y_b), so its a aggregate columns P_a, read once by probing P with unit
 * vectors, reconcile every path in m·a work: MinT's own operator reads the m × T residual matrix
 * per vector, 10⁴ times more for 10,000 feeders. When P is not a projection (top-down) or probing
 * would cost more than the paths themselves, P is applied to the paths directly.
 */
export function pathProjector(st: Structure, projection: Projection, vectors: number): PathProjector {
  const { a, m, n, sm } = st;
  const sums = (y: Float64Array, o: number) => {
    for (let i = 0; i < a; i++) {
      const cols = sm.rowCols[i];
      let s = 0;
      for (let k = 0; k < cols.length; k++) s += y[o + a + cols[k]];
      y[o + i] = s;
    }
  };
  const direct: PathProjector = (y, K) => {
    const bs = projection.bottoms(Array.from({ length: K }, (_, k) => y.subarray(k * n, (k + 1) * n)));
    bs.forEach((b, k) => {
      y.set(b, k * n + a);
      sums(y, k * n);
    });
  };
  if (a === 0 || a + 1 >= vectors) return direct;
  const probes = Array.from({ length: a }, (_, i) => {
    const e = new Float64Array(n);
    e[i] = 1;
    return e;
  });
  const check = new Float64Array(n);
  for (let j = 0; j < m; j++) check[a + j] = 1 + (j % 7);
  sums(check, 0);
  const out = projection.bottoms([...probes, check]);
  for (let j = 0; j < m; j++) if (!(Math.abs(out[a][j] - check[a + j]) <= 1e-7 * 7)) return direct;
  const pa = new Float64Array(m * a);
  let nonzero = false;
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < m; j++) {
      pa[j * a + i] = out[i][j];
      if (out[i][j] !== 0) nonzero = true;
    }
  }
  return (y, K) => {
    if (nonzero) {
      // R = constraint residuals of every path (K × a), then y_b += P_a·r four paths at a time:
      // each P_a entry is loaded once per four paths (the m·a·K product is the whole cost).
      const r = new Float64Array(K * a);
      for (let k = 0; k < K; k++) {
        const o = k * n;
        for (let i = 0; i < a; i++) {
          let s = y[o + i];
          const cols = sm.rowCols[i];
          for (let c = 0; c < cols.length; c++) s -= y[o + a + cols[c]];
          r[k * a + i] = s;
        }
      }
      for (let j = 0; j < m; j++) {
        const p = j * a;
        let k = 0;
        for (; k + 3 < K; k += 4) {
          const r0 = k * a, r1 = r0 + a, r2 = r1 + a, r3 = r2 + a;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let i = 0; i < a; i++) {
            const w = pa[p + i];
            s0 += w * r[r0 + i];
            s1 += w * r[r1 + i];
            s2 += w * r[r2 + i];
            s3 += w * r[r3 + i];
          }
          y[k * n + a + j] += s0;
          y[(k + 1) * n + a + j] += s1;
          y[(k + 2) * n + a + j] += s2;
          y[(k + 3) * n + a + j] += s3;
        }
        for (; k < K; k++) {
          let s = 0;
          for (let i = 0; i < a; i++) s += pa[p + i] * r[k * a + i];
          y[k * n + a + j] += s;
        }
      }
    }
    for (let k = 0; k < K; k++) sums(y, k * n);
  };
}

/**
 * Quantile bands of every node from reconciled sample paths (see BandMethod 'joint-residuals'):
 * coherent path by path, non-crossing (read from sorted samples), the same for the same inputs and
 * seed. Returns a reason instead when the residuals cannot carry a dependence (too few complete
 * steps) or the base has fewer than two quantile levels (no spread to sample from).
 */
export function sampledBands(
  st: Structure,
  projection: Projection,
  v: RunVectors,
  levels: number[],
  residuals: Map<string, Float64Array>,
  opts: { window?: number; paths?: number; seed?: number },
): SampledBands | { reason: string } {
  if (levels.length < 2) return { reason: 'fewer than two quantile levels' };
  const { n, m, a } = st;
  const horizon = v.mean.length;
  // m·a multiply-adds per path and step when P_a is used, n·log K for sorting.
  const perPath = horizon * (m * Math.max(1, a) + n * 10);
  const wanted = opts.paths ?? DEFAULT_PATHS;
  // Even the fewest paths far over budget (a large hierarchy over a year of hours): comonotonic
  // bands instead, with the caller's warning.
  if (MIN_PATHS * perPath > 10 * WORK_BUDGET) return { reason: `${MIN_PATHS} paths × ${horizon} steps × ${n} nodes exceed the work budget` };
  const budgeted = Math.min(wanted, Math.max(MIN_PATHS, Math.floor(WORK_BUDGET / perPath)));
  const ranks = jointRanks(st, residuals, opts.window ?? Infinity, budgeted, opts.seed ?? DEFAULT_SEED);
  if ('reason' in ranks) return ranks;
  const K = ranks.paths;
  const project = pathProjector(st, projection, K * horizon);
  const grid = probabilityGrid(levels, K);
  const L = levels.length;
  const quantiles = levels.map(() => Array.from({ length: horizon }, () => new Float64Array(n)));
  const q = new Float64Array(L);
  const col = new Float64Array(K);
  const paths = new Float64Array(K * n);
  for (let h = 0; h < horizon; h++) {
    reconciledPaths(st, project, ranks, grid, (i) => {
      for (let l = 0; l < L; l++) q[l] = v.quantiles[l][h][i];
      // A base quantile may sit below a lower level's: sorted, as the comonotonic bands do.
      return q.sort();
    }, paths);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) col[k] = paths[k * n + i];
      col.sort();
      for (let l = 0; l < L; l++) quantiles[l][h][i] = sampleQuantile(col, levels[l]);
    }
  }
  const warnings = K < wanted && K < ranks.steps ? [`bands: ${K} sample paths instead of ${wanted} (hierarchy of ${n} nodes; the work budget of reconciling paths).`] : [];
  return { quantiles, applied: `joint residuals (${K} paths of ${ranks.steps} residual steps)`, warnings };
}
