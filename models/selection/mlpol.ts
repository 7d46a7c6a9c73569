/**
 * ML-Poly online aggregation of experts (Gaillard, Stoltz & van Erven, "A second-order bound with
 * excess losses", COLT 2014; R opera's "MLpol"): polynomially weighted averages with one adaptive
 * learning rate per expert. Pure: arrays in, weights out.
 *
 * Losses are linearised (opera's `loss.gradient = TRUE`): in round t the learner plays weights w,
 * predicts p_i = Σ_j w_j x_{j,i} at each step i of the round, and each expert's instantaneous regret
 * is r_j = mean_i ℓ'(p_i; y_i) (p_i − x_{j,i}). Weights are w_j ∝ η_j (R_j)_+ with R_j = Σ r_j and
 * η_j = 1 / (c + Σ r_j²); uniform while no expert has a positive regret.
 *
 * Why rounds of several steps: a day-ahead forecast issues a whole day at once, so the weights that
 * serve that day can only have learned from earlier days. One round per validation origin keeps the
 * learning honest (every regret is out of sample); rounds of one step reproduce opera's MLpol.
 *
 * Guarantee (proved in the comment of `mlpolRegretBound`): for every expert k, after any number of
 * rounds, Σ_t [L_t(mixture) − L_t(expert k)] ≤ R_k ≤ √((c + S_k) Σ_j [ln(1 + S_j / c) + M_j / c]),
 * where L_t is the round's mean loss (convex in the weights), S_j = Σ_t r_j², M_j = max_t r_j².
 * With c ≥ max r² (the default scale) this is at most √(N (1 + ln(1 + T)) (c + S_k)): the paper's
 * O(√(N T log T)) in the scale of the losses.
 */

export type AggregationLoss = 'absolute' | 'percentage' | 'square';

export interface MlpolState {
  /** c = 1/η₀ (squared scale of the instantaneous regrets). */
  scale2: number;
  /** Cumulative linearised regret of the mixture against each expert. */
  regret: number[];
  /** Σ r² per expert. */
  sumSq: number[];
  /** max r² per expert (enters the bound). */
  maxSq: number[];
  rounds: number;
}

/** Derivative of the loss in the prediction. */
function slope(loss: AggregationLoss, p: number, y: number): number {
  const s = p > y ? 1 : p < y ? -1 : 0;
  if (loss === 'absolute') return s;
  if (loss === 'percentage') return s / Math.abs(y);
  return 2 * (p - y);
}

export function lossOf(loss: AggregationLoss, p: number, y: number): number {
  if (loss === 'absolute') return Math.abs(p - y);
  if (loss === 'percentage') return Math.abs(p - y) / Math.abs(y);
  return (p - y) ** 2;
}

export function initialMlpol(experts: number, scale2: number): MlpolState {
  if (!(experts >= 1)) throw new Error('mlpol needs at least one expert');
  if (!(scale2 >= 0) || !Number.isFinite(scale2)) throw new Error('mlpol scale must be finite and ≥ 0');
  return { scale2, regret: new Array(experts).fill(0), sumSq: new Array(experts).fill(0), maxSq: new Array(experts).fill(0), rounds: 0 };
}

/** The weights the state plays next. */
export function mlpolWeights(s: MlpolState): number[] {
  const raw = s.regret.map((r, j) => (r > 0 ? r / (s.scale2 + s.sumSq[j]) : 0));
  const z = raw.reduce((a, b) => a + b, 0);
  return z > 0 ? raw.map((v) => v / z) : s.regret.map(() => 1 / s.regret.length);
}

export interface MlpolRound {
  /** Weights played in the round. */
  weights: number[];
  /** The mixture's prediction at each step of the round. */
  predictions: number[];
  state: MlpolState;
}

/**
 * One round: the weights are played on every step of the round, then the actuals are revealed.
 * experts[j][i] is expert j's forecast of y[i].
 */
export function mlpolUpdate(s: MlpolState, y: ArrayLike<number>, experts: ArrayLike<number>[], loss: AggregationLoss): MlpolRound {
  const n = y.length;
  const N = s.regret.length;
  if (experts.length !== N || experts.some((x) => x.length !== n)) throw new Error('mlpol: experts must match the state and the round');
  const w = mlpolWeights(s);
  const predictions = new Array<number>(n);
  const r = new Array<number>(N).fill(0);
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let j = 0; j < N; j++) p += w[j] * experts[j][i];
    predictions[i] = p;
    const g = slope(loss, p, y[i]) / n;
    for (let j = 0; j < N; j++) r[j] += g * (p - experts[j][i]);
  }
  if (n === 0) return { weights: w, predictions, state: s };
  const next: MlpolState = {
    scale2: s.scale2,
    regret: s.regret.map((v, j) => v + r[j]),
    sumSq: s.sumSq.map((v, j) => v + r[j] ** 2),
    maxSq: s.maxSq.map((v, j) => Math.max(v, r[j] ** 2)),
    rounds: s.rounds + 1,
  };
  return { weights: w, predictions, state: next };
}

/**
 * A bound on |r_j| in every round that does not depend on the weights played: the loss's slope
 * times the spread of the experts at each step, averaged over the round; the largest over rounds.
 * The default scale: the paper's losses in [0, 1] made scale-free.
 */
export function regretScale(y: ArrayLike<number>, experts: ArrayLike<number>[], rounds: number[], loss: AggregationLoss): number {
  let best = 0;
  let i0 = 0;
  for (const n of rounds) {
    let sum = 0;
    for (let i = i0; i < i0 + n; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      let far = 0;
      for (const x of experts) {
        lo = Math.min(lo, x[i]);
        hi = Math.max(hi, x[i]);
        far = Math.max(far, Math.abs(x[i] - y[i]));
      }
      const c = loss === 'absolute' ? 1 : loss === 'percentage' ? 1 / Math.abs(y[i]) : 2 * far;
      sum += c * (hi - lo);
    }
    if (n > 0) best = Math.max(best, sum / n);
    i0 += n;
  }
  return best;
}

export interface MlpolResult {
  /** Weights after the last round: what the mixture plays next. */
  weights: number[];
  /** Weights played in each round. */
  roundWeights: number[][];
  /** The mixture's online predictions, aligned with y. */
  predictions: Float64Array;
  state: MlpolState;
}

/**
 * ML-Poly over consecutive rounds of `rounds[t]` steps of y (experts aligned with y). `scale`
 * (√c) defaults to regretScale(); 0 is opera's η₀ = exp(700), which has no finite bound.
 */
export function mlpol(y: ArrayLike<number>, experts: ArrayLike<number>[], rounds: number[], opts: { loss?: AggregationLoss; scale?: number } = {}): MlpolResult {
  const loss = opts.loss ?? 'absolute';
  if (rounds.reduce((a, b) => a + b, 0) !== y.length) throw new Error('mlpol: rounds must cover y');
  // Every expert identical (a zero default scale): no regret ever, any scale does.
  const scale = opts.scale ?? (regretScale(y, experts, rounds, loss) || 1);
  let state = initialMlpol(experts.length, scale ** 2);
  const predictions = new Float64Array(y.length);
  const roundWeights: number[][] = [];
  let i0 = 0;
  for (const n of rounds) {
    const step = mlpolUpdate(state, Array.prototype.slice.call(y, i0, i0 + n), experts.map((x) => Array.prototype.slice.call(x, i0, i0 + n)), loss);
    predictions.set(step.predictions, i0);
    roundWeights.push(step.weights);
    state = step.state;
    i0 += n;
  }
  return { weights: mlpolWeights(state), roundWeights, predictions, state };
}

/**
 * The bound on each expert's cumulative linearised regret R_k (hence on the mixture's excess
 * cumulative loss over expert k, the loss being convex in the weights).
 *
 * Proof. Let η_{j,t} = 1/(c + S_{j,t}), Φ_t = Σ_j η_{j,t} (R_{j,t})_+². The mixture plays w ∝
 * η_{j,t−1}(R_{j,t−1})_+ (or uniform), and Σ_j w_j r_{j,t} = g·p − g·Σ_j w_j x_j = 0. Since
 * (R + r)_+² ≤ R_+² + 2 R_+ r + r² and η is non-increasing,
 *   Φ_t ≤ Σ_j η_{j,t−1} (R_{j,t})_+² ≤ Φ_{t−1} + 2 Σ_j η_{j,t−1}(R_{j,t−1})_+ r_{j,t} + Σ_j η_{j,t−1} r_{j,t}²
 *       = Φ_{t−1} + Σ_j r_{j,t}² / (c + S_{j,t−1}).
 * For a_t ≥ 0 with partial sums S_t: Σ_t a_t/(c + S_{t−1}) ≤ Σ_t a_t/(c + S_t) + Σ_t a_t²/((c + S_{t−1})(c + S_t))
 *   ≤ ln(1 + S_T/c) + (max a)/c. So Φ_T ≤ Σ_j [ln(1 + S_j/c) + M_j/c], and
 *   R_k ≤ √(Φ_T / η_{k,T}) = √((c + S_k) Φ_T).
 */
export function mlpolRegretBound(s: MlpolState): number[] {
  const c = s.scale2;
  if (!(c > 0)) return s.regret.map(() => Infinity);
  const phi = s.sumSq.reduce((a, S, j) => a + Math.log1p(S / c) + s.maxSq[j] / c, 0);
  return s.sumSq.map((S) => Math.sqrt((c + S) * phi));
}
