/**
 * Kalman filter of a linear regression with time-varying coefficients (a random walk):
 *   y_t = θ_tᵀ x_t + ε_t,  ε_t ~ N(0, σ²);   θ_{t+1} = θ_t + η_t,  η_t ~ N(0, Q).
 * P and Q are kept in units of σ² (the concentrated parametrisation of Harvey 1989, §3.4), so the
 * recursion does not need σ², and σ² comes out of the run as mean(v²/F) — the maximum-likelihood
 * estimate for the given Q/σ². This is the state-space adaptation of Obst, de Vilmarest & Goude
 * (2021) and of R package viking, with x_t the GAM's term contributions. Pure: arrays in, arrays out.
 */
import { GridcastError } from '../../core/errors.ts';

export interface KalmanState {
  /** θ_{t|t}: the coefficients after the last observation. */
  theta: Float64Array;
  /** Their covariance divided by σ², d × d row-major. */
  P: Float64Array;
  /**
   * θ at the last state transition (the start of the current day): what a forecast issued then
   * used for the whole day. Absent: θ.
   */
  anchor?: Float64Array;
}

export interface KalmanRun {
  state: KalmanState;
  /** One-step prediction θ_{t|t−1}ᵀ x_t for every step (NaN where a regressor is missing). */
  predicted: Float64Array;
  /**
   * Prediction from the last transition: θᵀ x_t with θ as it was when the state last moved (the
   * day's start) — a random walk's forecast from that origin, as a day-ahead forecast uses it.
   */
  fromAnchor: Float64Array;
  /** Σ (y_t − fromAnchor_t)² over the observations used. */
  sumSqAnchor: number;
  /** Observations used, Σ log F_t and Σ v_t² / F_t (F_t the innovation variance in σ² units). */
  n: number;
  sumLogF: number;
  sumV2F: number;
}

export function cloneState(s: KalmanState): KalmanState {
  return { theta: Float64Array.from(s.theta), P: Float64Array.from(s.P), ...(s.anchor ? { anchor: Float64Array.from(s.anchor) } : {}) };
}

/**
 * Runs the filter over n steps. X is n × d row-major; `advance[t]` is how many state transitions
 * (each adding Q to P) happen before step t — the state moves once a day, observations update it
 * every step. A step whose y or x is missing only predicts. Q is d × d in σ² units.
 */
export function kalmanFilter(start: KalmanState, X: Float64Array, y: ArrayLike<number>, Q: Float64Array, advance: ArrayLike<number>): KalmanRun {
  const d = start.theta.length;
  const n = y.length;
  if (start.P.length !== d * d || Q.length !== d * d || X.length !== n * d || advance.length !== n) {
    throw new GridcastError('KALMAN_DIMENSIONS', `kalman: θ has ${d} states; P, Q must be ${d}×${d}, X ${n}×${d} and advance ${n} long`, { states: d, steps: n });
  }
  const theta = Float64Array.from(start.theta);
  const P = Float64Array.from(start.P);
  const anchor = Float64Array.from(start.anchor ?? start.theta);
  const predicted = new Float64Array(n);
  const fromAnchor = new Float64Array(n);
  const Px = new Float64Array(d);
  let used = 0;
  let sumLogF = 0;
  let sumV2F = 0;
  let sumSqAnchor = 0;
  for (let t = 0; t < n; t++) {
    const a = advance[t];
    if (a > 0) {
      for (let k = 0; k < d * d; k++) P[k] += a * Q[k];
      anchor.set(theta);
    }
    const row = t * d;
    let yhat = 0;
    let ya = 0;
    for (let j = 0; j < d; j++) {
      yhat += theta[j] * X[row + j];
      ya += anchor[j] * X[row + j];
    }
    predicted[t] = yhat;
    fromAnchor[t] = ya;
    const yt = y[t];
    if (!Number.isFinite(yhat) || !Number.isFinite(yt)) continue;
    // F = xᵀPx + 1, K = Px / F, θ += K v, P −= Px Pxᵀ / F (P symmetric).
    let F = 1;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += P[i * d + j] * X[row + j];
      Px[i] = s;
      F += X[row + i] * s;
    }
    const v = yt - yhat;
    for (let i = 0; i < d; i++) theta[i] += (Px[i] * v) / F;
    for (let i = 0; i < d; i++) {
      const pi = Px[i] / F;
      for (let j = i; j < d; j++) {
        const u = P[i * d + j] - pi * Px[j];
        P[i * d + j] = u;
        P[j * d + i] = u;
      }
    }
    used++;
    sumLogF += Math.log(F);
    sumV2F += (v * v) / F;
    sumSqAnchor += (yt - ya) ** 2;
  }
  return { state: { theta, P, anchor }, predicted, fromAnchor, sumSqAnchor, n: used, sumLogF, sumV2F };
}

/** σ̂² = mean(v²/F) of a run (the ML estimate given Q/σ²). */
export function sigma2Of(run: KalmanRun): number {
  return run.n > 0 ? run.sumV2F / run.n : Number.NaN;
}

/** Gaussian log-likelihood of a run with σ² concentrated out: −½ (n log 2π σ̂² + Σ log F + n). */
export function concentratedLogLik(run: KalmanRun): number {
  if (run.n === 0) return Number.NEGATIVE_INFINITY;
  const s2 = sigma2Of(run);
  return -0.5 * (run.n * Math.log(2 * Math.PI * s2) + run.sumLogF + run.n);
}

export function scaledIdentity(d: number, q: number): Float64Array {
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) m[i * d + i] = q;
  return m;
}

/**
 * How a Q/σ² ratio is chosen on the grid:
 * - 'ml': highest concentrated likelihood (viking's "dynamic" setting with one ratio for all
 *   states). Its one-step innovations reward a state that chases autocorrelated errors hour by hour.
 * - 'anchor-mse': lowest squared error of the predictions from each transition (fromAnchor): the
 *   error of the forecast the adaptation is used for, a day ahead with the state frozen.
 */
export type QCriterion = 'ml' | 'anchor-mse';

/** Q = q·σ²·I with q the grid value best by `criterion` over the run (ties to the smaller q). */
export function selectQ(start: KalmanState, X: Float64Array, y: ArrayLike<number>, advance: ArrayLike<number>, grid: readonly number[], criterion: QCriterion = 'ml'): { q: number; run: KalmanRun; scores: number[] } {
  const d = start.theta.length;
  let best: { q: number; run: KalmanRun; score: number } | undefined;
  const scores: number[] = [];
  for (const q of grid) {
    const run = kalmanFilter(start, X, y, scaledIdentity(d, q), advance);
    const score = criterion === 'ml' ? concentratedLogLik(run) : -run.sumSqAnchor;
    scores.push(score);
    if (!best || score > best.score) best = { q, run, score };
  }
  if (!best) throw new GridcastError('KALMAN_GRID', 'kalman: the grid of Q/σ² ratios is empty');
  return { q: best.q, run: best.run, scores };
}
