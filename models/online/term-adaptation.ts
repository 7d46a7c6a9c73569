/**
 * Online adaptation of an additive model without refitting it (Obst, de Vilmarest & Goude 2021;
 * R package viking): the regressors are the model's term contributions f_j(x_t) on its own scale
 * (log-load for a log GAM), each divided by its standard deviation over the fit's history (the
 * intercept by its value), so that θ starts at those divisors — θᵀx_t is then exactly the model's
 * fit — and one Q/σ² ratio treats every term alike. The state moves once per UTC day (Q added at
 * each day boundary) and is updated by every observed step; Q = q·σ²·I with q chosen on a grid
 * over the fit's history by the squared error of the day's predictions from the state at the day's
 * start (what a day-ahead forecast uses; maximum likelihood picked the largest ratio on GEFCom's
 * system and lost accuracy, see the README), σ² its ML estimate given q. Pure.
 */
import { GridcastError } from '../../core/errors.ts';
import type { TermContributions } from '../../core/types.ts';
import { kalmanFilter, scaledIdentity, selectQ, sigma2Of, type KalmanRun } from './kalman.ts';

/**
 * Q/σ² ratios tried at fit time (0 is the static filter: recursive least squares). The grid stops
 * at 10⁻⁵: the ARIMA on top already follows the errors of the last days, and a faster state
 * overlaps with it (GEFCom2012 system: 3.89 % day-ahead MAPE with ratios up to 10⁻¹, 3.43 % with
 * this grid, against 3.47 % without adaptation; README, Online adaptation).
 */
export const Q_GRID: readonly number[] = [0, 1e-7, 1e-6, 1e-5];

const DAY_MS = 86_400_000;

export interface OnlineState {
  labels: string[];
  scale: TermContributions['scale'];
  /** Divisor of each term's contribution (its regressor is f_j / scales[j]); θ starts at these values. */
  scales: Float64Array;
  theta: Float64Array;
  /** θ at the start of the current UTC day (the filter's anchor). */
  anchor: Float64Array;
  /** Covariance of θ divided by σ², d × d row-major. */
  P: Float64Array;
  /** Q / σ² (Q = q σ² I per day). */
  q: number;
  /** ML estimate of the observation variance on the model's scale. */
  sigma2: number;
  /** Epoch ms of the first history step, and of the last step the filter has seen. */
  startMs: number;
  lastMs: number;
  stepSec: number;
  /** Adapted fit from the state at each day's start (back on the load scale) for every history step: what the ARIMA models the errors of. */
  fitted: Float64Array;
}

function toModelScale(scale: TermContributions['scale'], v: number): number {
  if (scale === 'identity') return v;
  return v > 0 ? Math.log(v) : Number.NaN;
}

function fromModelScale(scale: TermContributions['scale'], v: number): number {
  return scale === 'log' ? Math.exp(v) : v;
}

/** Standard deviation over the finite rows (two passes: a constant gives 0, not rounding noise); a constant term (the intercept) is divided by its own size. */
export function divisors(values: Float64Array[]): Float64Array {
  return Float64Array.from(values, (v) => {
    let n = 0;
    let s = 0;
    for (const x of v) {
      if (!Number.isFinite(x)) continue;
      n++;
      s += x;
    }
    const mean = n > 0 ? s / n : 0;
    let ss = 0;
    for (const x of v) if (Number.isFinite(x)) ss += (x - mean) ** 2;
    const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
    if (sd > 1e-8 * Math.abs(mean)) return sd;
    return Math.abs(mean) > 0 ? Math.abs(mean) : 1;
  });
}

export function regressors(t: TermContributions, scales: Float64Array): Float64Array {
  const d = scales.length;
  const n = t.values[0]?.length ?? 0;
  const X = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const v = t.values[j];
    for (let i = 0; i < n; i++) X[i * d + j] = v[i] / scales[j];
  }
  return X;
}

/** State transitions before each of `n` steps from `firstMs`, the step before being at `prevMs`. */
export function dayAdvances(prevMs: number, firstMs: number, stepSec: number, n: number): Float64Array {
  const a = new Float64Array(n);
  let prevDay = Math.floor(prevMs / DAY_MS);
  for (let i = 0; i < n; i++) {
    const day = Math.floor((firstMs + i * stepSec * 1000) / DAY_MS);
    a[i] = Math.max(0, day - prevDay);
    prevDay = day;
  }
  return a;
}

function checkTerms(t: TermContributions, steps: number, labels?: string[]): void {
  if (t.values.length === 0 || t.values.some((v) => v.length !== steps)) {
    throw new GridcastError('ONLINE_TERMS', `online adaptation: the base gave ${t.values.length} terms, not each ${steps} steps long`, { steps });
  }
  if (labels && (labels.length !== t.labels.length || labels.some((l, j) => l !== t.labels[j]))) {
    throw new GridcastError('ONLINE_TERMS', `online adaptation: the base's terms (${t.labels.join(', ')}) are not those it was adapted on (${labels.join(', ')}); refit the model`, { labels: t.labels });
  }
}

function stateOf(base: Omit<OnlineState, 'theta' | 'anchor' | 'P' | 'sigma2' | 'lastMs' | 'fitted'>, run: KalmanRun, lastMs: number, fitted: Float64Array, sigma2: number): OnlineState {
  return { ...base, theta: run.state.theta, anchor: run.state.anchor!, P: run.state.P, sigma2, lastMs, fitted };
}

/**
 * Starts the filter at the model's own fit (θ = divisors, P = I in σ² units) on the first step of
 * the history, chooses q on the grid (or uses `fixedQ`) and filters the whole history.
 */
export function startOnline(terms: TermContributions, values: Float64Array, startMs: number, stepSec: number, fixedQ?: { q: number; sigma2: number; scales: Float64Array }): OnlineState {
  const n = values.length;
  checkTerms(terms, n);
  const scales = fixedQ?.scales ?? divisors(terms.values);
  const d = scales.length;
  const X = regressors(terms, scales);
  const y = Float64Array.from(values, (v) => toModelScale(terms.scale, v));
  const advance = dayAdvances(startMs, startMs, stepSec, n);
  const start = { theta: Float64Array.from(scales), P: scaledIdentity(d, 1) };
  const { q, run } = fixedQ ? { q: fixedQ.q, run: kalmanFilter(start, X, y, scaledIdentity(d, fixedQ.q), advance) } : selectQ(start, X, y, advance, Q_GRID, 'anchor-mse');
  const sigma2 = fixedQ?.sigma2 ?? sigma2Of(run);
  const fitted = Float64Array.from(run.fromAnchor, (v) => fromModelScale(terms.scale, v));
  return stateOf({ labels: terms.labels, scale: terms.scale, scales, q, startMs, stepSec }, run, startMs + (n - 1) * stepSec * 1000, fitted, sigma2);
}

/**
 * The filter moved over the steps of a longer history after `state.lastMs` (terms: those steps'
 * contributions), q and σ² kept. A history that does not extend the one filtered (another start
 * or step, or shorter) is filtered again from the start with the same q, σ² and divisors; then
 * `terms` must cover the whole history (see fromMsFor).
 */
export function continueOnline(state: OnlineState, terms: TermContributions, values: Float64Array, startMs: number, stepSec: number): OnlineState {
  if (!extendsHistory(state, values.length, startMs, stepSec)) {
    checkTerms(terms, values.length, state.labels);
    return startOnline(terms, values, startMs, stepSec, state);
  }
  const stepMs = stepSec * 1000;
  const from = Math.round((state.lastMs - startMs) / stepMs) + 1;
  const n = values.length - from;
  checkTerms(terms, n, state.labels);
  const X = regressors(terms, state.scales);
  const y = Float64Array.from(values.subarray(from), (v) => toModelScale(state.scale, v));
  const run = kalmanFilter({ theta: state.theta, P: state.P, anchor: state.anchor }, X, y, scaledIdentity(state.scales.length, state.q), dayAdvances(state.lastMs, state.lastMs + stepMs, stepSec, n));
  const fitted = new Float64Array(values.length);
  fitted.set(state.fitted);
  for (let i = 0; i < n; i++) fitted[from + i] = fromModelScale(state.scale, run.fromAnchor[i]);
  return stateOf(state, run, startMs + (values.length - 1) * stepMs, fitted, state.sigma2);
}

function extendsHistory(state: OnlineState, length: number, startMs: number, stepSec: number): boolean {
  return startMs === state.startMs && stepSec === state.stepSec && startMs + (length - 1) * stepSec * 1000 >= state.lastMs && state.fitted.length === Math.round((state.lastMs - startMs) / (stepSec * 1000)) + 1;
}

/** The first step whose term contributions continueOnline needs: after the last one filtered, or the start for a refilter. */
export function fromMsFor(state: OnlineState, length: number, startMs: number, stepSec: number): number {
  return extendsHistory(state, length, startMs, stepSec) ? state.lastMs + stepSec * 1000 : Number.NEGATIVE_INFINITY;
}

/**
 * The adapted forecast's shift on the model's scale at each horizon step (the steps after
 * `state.lastMs`): θᵀx_t − Σ_j f_j(x_t), with θ as a forecast issued at the day's start has it — the
 * anchor for the rest of the current UTC day, the latest θ for the days after (a random walk's
 * forecast of the next days' starting states). So the forecast is built as the history's fitted
 * values the ARIMA models the errors of. Multiply a log model's forecast (mean and quantiles) by
 * exp of the shift, add it to an identity model's.
 */
export function horizonShift(state: OnlineState, terms: TermContributions): Float64Array {
  const h = terms.values[0]?.length ?? 0;
  checkTerms(terms, h, state.labels);
  const out = new Float64Array(h);
  const lastDay = Math.floor(state.lastMs / DAY_MS);
  for (let i = 0; i < h; i++) {
    const theta = Math.floor((state.lastMs + (i + 1) * state.stepSec * 1000) / DAY_MS) === lastDay ? state.anchor : state.theta;
    let adapted = 0;
    let base = 0;
    for (let j = 0; j < state.scales.length; j++) {
      const f = terms.values[j][i];
      adapted += (theta[j] * f) / state.scales[j];
      base += f;
    }
    out[i] = adapted - base;
  }
  return out;
}
