import { workerPool } from '../../core/worker-pool.ts';
import { meanSd } from '../timeindex.ts';
import { aicc, armaForecast, conditionOn, cssLogLik, fitArLeastSquares, isStable, type ArmaCoefficients, type ArmaState } from './arma.ts';
import type { ArmaOrder, WasmBatchInput, WasmCandidate } from './wasm-fit.ts';

export interface ResidualArimaParams {
  /** Residual steps used for the fit (the arima wasm copies its input to a 64 KB stack: ≤ 8,000). */
  windowSteps: number;
  maxP: number;
  maxQ: number;
  /** Seasonal AR lags tried (steps, e.g. 24 for a day of hourly data); [] for none. */
  seasonalLags: number[];
  timeoutMs: number;
  /** A forecast farther than boundK residual sd from the residual mean counts as exploded. */
  boundK: number;
  /** Steps checked by the bound (covers the longest horizon the model will serve). */
  boundSteps: number;
  /** false skips the wasm and fits the AR least-squares model directly. */
  useWasm: boolean;
  /**
   * The orders are searched by conditional sum of squares (CSS, the criterion they are compared
   * on), then refitted by CSS then exact maximum likelihood best-first (see refitBestFirst):
   * 'css-ml' refits any order, 'css' none, 'auto' those whose exact likelihood is cheap (see
   * refitsByMl). Its cost grows steeply with the state max(p + P·s, q + 1): a daily seasonal AR on
   * half-hourly data (50 lags) took ~4 s of CPU per fit against ~0.1 s by CSS (R's auto.arima
   * searches by CSS on long series for the same reason), on hourly data (26 lags) ~1.1 s.
   */
  estimation: 'auto' | 'css' | 'css-ml';
}

export const ESTIMATIONS = ['auto', 'css', 'css-ml'] as const;

/** Lags in the exact likelihood's state (ctsa's and R's Kalman filter) for an order. */
export const mlStateSize = (o: ArmaOrder) => Math.max(o.p + o.P * o.s, o.q + 1);

/**
 * Largest state refitted by exact ML under 'auto'. A daily seasonal AR on hourly data (24 + p ≤ 27
 * lags) is under it, on half-hourly (48 + p) and finer data above it; non-seasonal orders always are under it.
 */
export const ML_MAX_STATE = 32;

/** Whether an order is refitted by exact ML after the CSS search. */
export function refitsByMl(order: ArmaOrder, estimation: ResidualArimaParams['estimation']): boolean {
  if (estimation === 'auto') return mlStateSize(order) <= ML_MAX_STATE;
  return estimation === 'css-ml';
}

export const MAX_WASM_POINTS = 8_000;

export const DEFAULT_RESIDUAL_ARIMA: ResidualArimaParams = {
  windowSteps: 8 * 7 * 24,
  maxP: 3,
  maxQ: 2,
  seasonalLags: [24],
  timeoutMs: 60_000,
  boundK: 4,
  boundSteps: 14 * 24,
  useWasm: true,
  // CSS by default: with the exact stationarity check, the ML refits of 'auto' gained 0.05–0.09
  // MAPE points on three weather-driven hourly series and lost 0.12 on two, lost 1–5 points on
  // short weather-free ones, and tripled the hourly fit's CPU (README, Day-ahead accuracy).
  estimation: 'css',
};

export interface ResidualArimaFit {
  state: ArmaState;
  order: ArmaOrder;
  method: 'arima' | 'ar-ls' | 'none';
  aicc: number;
  /** How the wasm ARIMA's coefficients were estimated ('css-ml': the CSS-chosen order refitted by exact ML); method 'arima' only. */
  estimation?: 'css' | 'css-ml';
  /** Why the wasm ARIMA was not used, when it was not. */
  fallbackReason?: string;
}

/** ctsa's method codes (0 is exact ML from a zero start). */
const CTSA_CSS_ML = 1;
const CTSA_CSS = 2;

/** The wasm fits run in long-lived workers: starting one (tsx loader, wasm compile) costs more CPU than a search. */
const wasmWorkers = workerPool(new URL('./arima.pool-worker.ts', import.meta.url));

const toCoefficients = (c: WasmCandidate): ArmaCoefficients => ({ phi: Float64Array.from(c.phi), theta: Float64Array.from(c.theta), mean: c.mean });

/** MA invertibility is AR stability of −theta: a non-invertible MA makes the innovations blow up. */
const invertible = (theta: Float64Array) => isStable({ phi: theta.map((t) => -t), theta: new Float64Array(0), mean: 0 });

function bounded(state: ArmaState, sd: number, mean: number, p: ResidualArimaParams): boolean {
  const f = armaForecast(state, p.boundSteps);
  return f.mean.every((v) => Number.isFinite(v) && Math.abs(v - mean) <= p.boundK * sd) && f.variance.every(Number.isFinite);
}

function orders(p: ResidualArimaParams): ArmaOrder[] {
  const out: ArmaOrder[] = [];
  for (let ar = 0; ar <= p.maxP; ar++) for (let ma = 0; ma <= p.maxQ; ma++) if (ar + ma > 0) out.push({ p: ar, q: ma, P: 0, s: 0 });
  // One seasonal AR term on the best-guess short order keeps the search cheap (auto SARIMA takes minutes).
  for (const s of p.seasonalLags) out.push({ p: Math.min(2, p.maxP), q: Math.min(1, p.maxQ), P: 1, s });
  return out;
}

interface Prepared {
  window: Float64Array;
  mean: number;
  sd: number;
  /** Set when the window needs no search (too short, constant). */
  done?: ResidualArimaFit;
}

function prepare(residuals: Float64Array, p: ResidualArimaParams): Prepared {
  const window = residuals.subarray(Math.max(0, residuals.length - Math.min(p.windowSteps, MAX_WASM_POINTS)));
  const { mean, sd, n } = meanSd(window);
  const zero = (reason: string, level = 0): ResidualArimaFit => ({
    state: { phi: new Float64Array(0), theta: new Float64Array(0), mean: level, sigma2: n > 1 && sd > 0 ? sd * sd : 0, tailY: new Float64Array(0), tailE: new Float64Array(0) },
    order: { p: 0, q: 0, P: 0, s: 0 },
    method: 'none',
    aicc: Number.NaN,
    fallbackReason: reason,
  });
  if (n < 50) return { window, mean, sd, done: zero(`residual window has ${n} observed values (< 50)`) };
  if (!(sd > 1e-12 * Math.max(1, Math.abs(mean)))) return { window, mean, sd, done: zero('constant residuals', mean) };
  return { window, mean, sd };
}

/** A converged, stable, invertible and bounded candidate as a fit scored by CSS AICc; undefined otherwise. */
function judge(w: Prepared, c: WasmCandidate, p: ResidualArimaParams, estimation: 'css' | 'css-ml'): ResidualArimaFit | undefined {
  if (c.retval !== 1) return undefined;
  const coef = toCoefficients(c);
  if (!coef.phi.every(Number.isFinite) || !coef.theta.every(Number.isFinite) || !Number.isFinite(coef.mean)) return undefined;
  if (!isStable(coef) || !invertible(coef.theta)) return undefined;
  const ll = cssLogLik(w.window, coef);
  const score = aicc(ll.loglik, c.order.p + c.order.q + c.order.P + 2, ll.n);
  if (!Number.isFinite(score)) return undefined;
  const state = conditionOn(w.window, coef, ll.sigma2);
  if (!bounded(state, w.sd, w.mean, p)) return undefined;
  return { state, order: c.order, method: 'arima', aicc: score, estimation };
}

/** The usable candidates, best CSS AICc first. */
function ranked(w: Prepared, candidates: WasmCandidate[], p: ResidualArimaParams): ResidualArimaFit[] {
  return candidates.flatMap((c) => judge(w, c, p, 'css') ?? []).sort((a, b) => a.aicc - b.aicc);
}

/**
 * The fit kept for each series from its usable CSS fits ranked best first (`ranks[k]`), as
 * auto.arima does after an approximate search: the orders are refitted by exact ML best-first and
 * the first usable refit is kept. A refit that fails to converge, or gives an unstable or exploding
 * model, is evidence against its order (on GEFCom2012 such a daily seasonal AR diverged to
 * φ₁ + φ₂ ≈ 1.7: the exact likelihood asks for more persistence than that order holds
 * stationary). The next orders tried are those with an AR part: a pure MA forgets the residual
 * level after q ≤ 2 steps, the opposite of what the failed refit asked for (on BigDEAL ldc3, a
 * window with a level shift, the walk ended on an MA(1), every AR order being unstable by CSS, and
 * forecast the window mean: 36.7 % MAPE that day against 4.4 % with the CSS fit). An order whose
 * state is too large for exact ML (see refitsByMl) is kept as CSS fitted it; with every refit
 * rejected, or the refit worker failed, the CSS search's best is kept.
 * `refit` fits one order for each of several series and gives each usable fit or undefined.
 */
export async function refitBestFirst(
  ranks: ResidualArimaFit[][],
  estimation: ResidualArimaParams['estimation'],
  refit: (picks: { k: number; order: ArmaOrder }[]) => Promise<(ResidualArimaFit | undefined)[]>,
): Promise<(ResidualArimaFit | undefined)[]> {
  const chosen = new Array<ResidualArimaFit | undefined>(ranks.length);
  const next = new Array<number>(ranks.length).fill(0);
  for (;;) {
    const picks = ranks.flatMap((r, k) => {
      // Past the best order, pure MA orders are skipped.
      while (next[k] > 0 && next[k] < r.length && r[next[k]].order.p + r[next[k]].order.P === 0) next[k]++;
      if (chosen[k] || next[k] >= r.length) return [];
      if (refitsByMl(r[next[k]].order, estimation)) return [{ k, order: r[next[k]].order }];
      chosen[k] = r[next[k]];
      return [];
    });
    if (picks.length === 0) break;
    let fits: (ResidualArimaFit | undefined)[];
    try {
      fits = await refit(picks);
    } catch {
      // A worker that failed or timed out says nothing against the orders.
      break;
    }
    picks.forEach(({ k }, j) => {
      if (fits[j]) chosen[k] = fits[j];
      else next[k]++;
    });
  }
  return ranks.map((r, k) => chosen[k] ?? r[0]);
}

/**
 * ARIMA(p,0,q)(P,0,0)[s] on the recent residual window, orders chosen by AICc on a small grid.
 * The wasm fit runs in a worker with a timeout; if it fails, times out or gives an unstable or
 * exploding model, an AR fitted by least squares takes over, and failing that a constant forecast.
 */
export async function fitResidualArima(residuals: Float64Array, params: Partial<ResidualArimaParams> = {}): Promise<ResidualArimaFit> {
  return (await fitResidualArimaMany([residuals], params))[0];
}

/**
 * The same for many series, `batchSize` series per worker (timeout scaled by the batch): a failed
 * or timed-out batch sends each of its series to the AR least-squares fallback, labelled.
 */
export async function fitResidualArimaMany(residuals: Float64Array[], params: Partial<ResidualArimaParams> & { batchSize?: number } = {}): Promise<ResidualArimaFit[]> {
  const p = { ...DEFAULT_RESIDUAL_ARIMA, ...params };
  const batchSize = Math.max(1, params.batchSize ?? 16);
  const prepared = residuals.map((r) => prepare(r, p));
  const out: ResidualArimaFit[] = prepared.map((w) => w.done as ResidualArimaFit);
  const todo = prepared.map((w, i) => i).filter((i) => !prepared[i].done);
  for (let b = 0; b < todo.length; b += batchSize) {
    const batch = todo.slice(b, b + batchSize);
    const series = batch.map((i) => Array.from(prepared[i].window, (v) => (Number.isFinite(v) ? v : prepared[i].mean)));
    const fitBatch = (idx: number[], ordersOf: ArmaOrder[][], method: number) =>
      wasmWorkers.run<WasmCandidate[][]>({ series: idx.map((k) => series[k]), orders: ordersOf, method, optimizer: 6 } satisfies WasmBatchInput, p.timeoutMs * idx.length);
    let candidates: WasmCandidate[][] | undefined;
    let reason = 'arima disabled';
    if (p.useWasm) {
      try {
        candidates = await fitBatch(batch.map((_, k) => k), batch.map(() => orders(p)), CTSA_CSS);
      } catch (e) {
        reason = `arima: ${(e as Error).message}`;
      }
    }
    const ranks = batch.map((i, k) => (candidates ? ranked(prepared[i], candidates[k], p) : []));
    const chosen = await refitBestFirst(ranks, p.estimation, async (picks) => {
      const ml = await fitBatch(picks.map((x) => x.k), picks.map((x) => [x.order]), CTSA_CSS_ML);
      return picks.map((x, j) => judge(prepared[batch[x.k]], ml[j][0], p, 'css-ml'));
    });
    batch.forEach((i, k) => {
      const w = prepared[i];
      out[i] = chosen[k] ?? fitArFallback(w.window, w.sd, w.mean, p, candidates ? 'arima: no converged, stable and bounded order' : reason);
    });
  }
  return out;
}

function fitArFallback(window: Float64Array, sd: number, mean: number, p: ResidualArimaParams, reason: string): ResidualArimaFit {
  let best: ResidualArimaFit | undefined;
  for (let ar = 1; ar <= Math.max(1, p.maxP); ar++) {
    for (const seasonal of [[], ...p.seasonalLags.map((s) => [s])]) {
      const lags = [...Array.from({ length: ar }, (_, i) => i + 1), ...seasonal.filter((s) => s > ar)];
      if (lags.length >= window.length / 4) continue;
      let fit: ReturnType<typeof fitArLeastSquares>;
      try {
        fit = fitArLeastSquares(window, lags);
      } catch {
        continue; // too few complete rows for these lags (a gappy window): try the next order
      }
      if (!isStable(fit.coefficients)) continue;
      const ll = cssLogLik(window, fit.coefficients);
      const score = aicc(ll.loglik, lags.length + 2, ll.n);
      if (!Number.isFinite(score) || (best && best.aicc <= score)) continue;
      const state = conditionOn(window, fit.coefficients, ll.sigma2);
      if (!bounded(state, sd, mean, p)) continue;
      best = { state, order: { p: ar, q: 0, P: seasonal.length, s: seasonal[0] ?? 0 }, method: 'ar-ls', aicc: score, fallbackReason: `${reason}; AR least squares used` };
    }
  }
  if (best) return best;
  return {
    state: { phi: new Float64Array(0), theta: new Float64Array(0), mean, sigma2: sd * sd, tailY: new Float64Array(0), tailE: new Float64Array(0) },
    order: { p: 0, q: 0, P: 0, s: 0 },
    method: 'none',
    aicc: Number.NaN,
    fallbackReason: `${reason}; no stable AR least-squares fit, residual forecast set to its mean`,
  };
}
