/**
 * Penalised least squares with smoothing parameters chosen by REML, from the cross-products XᵀX,
 * Xᵀy, yᵀy alone: every evaluation costs O(p³) whatever the number of rows.
 *
 * REML is maximised by the Fellner–Schall fixed point (Wood & Fasiolo 2017, Biometrics 73):
 *   λⱼ ← λⱼ · φ [tr(S_λ⁻ Sⱼ) − tr(A⁻¹ Sⱼ)] / β̂ᵀSⱼβ̂,  A = XᵀX + S_λ,
 * whose fixed point is exactly the REML optimum mgcv's Newton method finds, with φ the REML scale
 * (RSS + β̂ᵀS_λβ̂)/(n − M_p). GCV (mgcv's default) is then available by a derivative-free search
 * in log λ started from the REML solution.
 */
import { GridcastError } from '../../core/errors.ts';
import { cholInverse, cholInverseBlocks, cholSolve, choleskyJittered, symEigen } from '../../core/linalg.ts';

export interface PenaltyBlock {
  offset: number;
  size: number;
  /** size × size penalties acting on coefficients offset … offset+size. */
  penalties: Float64Array[];
}

export interface CrossProducts {
  n: number;
  p: number;
  xtx: Float64Array;
  xty: Float64Array;
  yty: number;
}

export type SmoothingCriterion = 'REML' | 'GCV';

export interface PlsFit {
  beta: Float64Array;
  /** (XᵀX + S_λ)⁻¹; Vp = ainv · sig2. */
  ainv: Float64Array;
  lambda: Float64Array;
  /** Effective degrees of freedom per coefficient (diagonal of A⁻¹XᵀX). */
  edf: Float64Array;
  rss: number;
  sig2: number;
  /** Value of the criterion at the optimum (negative log restricted likelihood, or GCV score). */
  score: number;
  iterations: number;
  converged: boolean;
}

interface Evaluation {
  beta: Float64Array;
  /** Cholesky factor of A = XᵀX + S_λ. */
  l: Float64Array;
  /** A⁻¹, or only its diagonal blocks (the penalty blocks') while λ is searched: see `complete`. */
  ainv: Float64Array;
  /** tr(A⁻¹XᵀX); NaN until A⁻¹ is whole. */
  tau: number;
  rss: number;
  penalty: number;
  logDetA: number;
}

const LOG_LAMBDA_MIN = -20;
const LOG_LAMBDA_MAX = 25;
/** See fitPls: how far inside the cold start a warm start puts a λ that was at its upper bound (in log λ). */
const BOUND_RESTART = 10;

/**
 * `whole`: A⁻¹ in full and tr(A⁻¹XᵀX) (GCV needs it at every λ). The Fellner–Schall step needs
 * only the penalty blocks of A⁻¹, which costs about half a full inverse; `complete` makes the
 * last evaluation whole.
 */
function evaluate(cp: CrossProducts, blocks: PenaltyBlock[], lambda: Float64Array, whole: boolean): Evaluation {
  const { p, xtx, xty, yty } = cp;
  const a = Float64Array.from(xtx);
  let j = 0;
  for (const b of blocks) {
    for (const s of b.penalties) {
      const lj = lambda[j++];
      for (let r = 0; r < b.size; r++) for (let c = 0; c < b.size; c++) a[(b.offset + r) * p + b.offset + c] += lj * s[r * b.size + c];
    }
  }
  const { l } = choleskyJittered(a, p);
  const beta = cholSolve(l, p, xty);
  let btXtXb = 0;
  let bty = 0;
  for (let r = 0; r < p; r++) {
    let s = 0;
    for (let c = 0; c < p; c++) s += xtx[r * p + c] * beta[c];
    btXtXb += beta[r] * s;
    bty += beta[r] * xty[r];
  }
  const rss = Math.max(0, yty - 2 * bty + btXtXb);
  let penalty = 0;
  j = 0;
  for (const b of blocks) {
    for (const s of b.penalties) {
      penalty += lambda[j++] * quad(s, b, beta);
    }
  }
  let logDetA = 0;
  for (let r = 0; r < p; r++) logDetA += 2 * Math.log(l[r * p + r]);
  const ev = { beta, l, ainv: cholInverseBlocks(l, p, blocks), tau: Number.NaN, rss, penalty, logDetA };
  return whole ? complete(cp, ev) : ev;
}

function complete(cp: CrossProducts, ev: Evaluation): Evaluation {
  if (!Number.isNaN(ev.tau)) return ev;
  const { p, xtx } = cp;
  const ainv = cholInverse(ev.l, p);
  // Both symmetric: the trace of the product is the sum of the element-wise one, read along rows.
  let tau = 0;
  for (let k = 0; k < p * p; k++) tau += ainv[k] * xtx[k];
  return { ...ev, ainv, tau };
}

function quad(s: Float64Array, b: PenaltyBlock, beta: Float64Array): number {
  let q = 0;
  for (let r = 0; r < b.size; r++) {
    let t = 0;
    for (let c = 0; c < b.size; c++) t += s[r * b.size + c] * beta[b.offset + c];
    q += beta[b.offset + r] * t;
  }
  return q;
}

function traceBlock(ainv: Float64Array, p: number, b: PenaltyBlock, s: Float64Array): number {
  let t = 0;
  for (let r = 0; r < b.size; r++) for (let c = 0; c < b.size; c++) t += ainv[(b.offset + r) * p + b.offset + c] * s[c * b.size + r];
  return t;
}

/**
 * What the smoothing-parameter search needs of a block's penalties, computed once: their rank and,
 * for several penalties on one block (te), the projector P onto the common null space. For λ > 0 the
 * null space of S_λ = Σ λⱼSⱼ is that of ΣSⱼ, so S_λ⁻ = (S_λ + P)⁻¹ − P and |S_λ|₊ = |S_λ + P|: a
 * Cholesky per iteration instead of an eigen-decomposition.
 */
interface BlockPenaltyInfo {
  rank: number;
  /** Eigenvalues of the single penalty (descending), for log|λS|₊. */
  values?: Float64Array;
  nullProjector?: Float64Array;
}

/** Per block object: a refit on the same design (see gam.ts refitGam) does not decompose again. */
const infoCache = new WeakMap<PenaltyBlock, BlockPenaltyInfo>();

function blockInfo(b: PenaltyBlock): BlockPenaltyInfo {
  let info = infoCache.get(b);
  if (!info) infoCache.set(b, (info = computeBlockInfo(b)));
  return info;
}

function computeBlockInfo(b: PenaltyBlock): BlockPenaltyInfo {
  const n = b.size;
  const sum = new Float64Array(n * n);
  for (const s of b.penalties) {
    let norm = 0;
    for (const v of s) norm = Math.max(norm, Math.abs(v));
    for (let i = 0; i < sum.length; i++) sum[i] += s[i] / norm;
  }
  const { values, vectors } = symEigen(sum, n);
  let rank = 0;
  for (const v of values) if (v > values[0] * 1e-9) rank++;
  if (b.penalties.length === 1) return { rank, values: symEigen(b.penalties[0], n).values };
  const nullProjector = new Float64Array(n * n);
  for (let k = rank; k < n; k++) for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) nullProjector[r * n + c] += vectors[r * n + k] * vectors[c * n + k];
  return { rank, nullProjector };
}

/** tr(S_λ⁻ Sⱼ) for each penalty of a block and log|S_λ|₊. */
function blockPenaltyTerms(b: PenaltyBlock, info: BlockPenaltyInfo, lambda: Float64Array, first: number): { traces: number[]; logDet: number } {
  if (info.values) {
    let logDet = 0;
    for (let i = 0; i < info.rank; i++) logDet += Math.log(lambda[first] * info.values[i]);
    return { traces: [info.rank / lambda[first]], logDet };
  }
  const n = b.size;
  const m = Float64Array.from(info.nullProjector!);
  b.penalties.forEach((s, j) => {
    for (let i = 0; i < m.length; i++) m[i] += lambda[first + j] * s[i];
  });
  const { l } = choleskyJittered(m, n);
  const inv = cholInverse(l, n);
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += 2 * Math.log(l[i * n + i]);
  const traces = b.penalties.map((s) => {
    let t = 0;
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) t += inv[r * n + c] * s[c * n + r];
    return t;
  });
  return { traces, logDet };
}

function remlScore(cp: CrossProducts, ev: Evaluation, logDetS: number, mp: number): number {
  const phi = (ev.rss + ev.penalty) / (cp.n - mp);
  // −2 × restricted log likelihood up to a constant, with φ profiled out.
  return (cp.n - mp) * Math.log(phi) + ev.logDetA - logDetS;
}

function gcvScore(cp: CrossProducts, ev: Evaluation): number {
  return (cp.n * ev.rss) / (cp.n - ev.tau) ** 2;
}

/**
 * `start`: smoothing parameters to start the search from (a previous fit on most of the same rows:
 * a refit then takes a few iterations instead of dozens); the optimum is the same fixed point.
 */
export function fitPls(cp: CrossProducts, blocks: PenaltyBlock[], criterion: SmoothingCriterion = 'REML', maxIterations = 200, start?: Float64Array): PlsFit {
  const m = blocks.reduce((a, b) => a + b.penalties.length, 0);
  const infos = blocks.map(blockInfo);
  const mp = cp.p - infos.reduce((a, b) => a + b.rank, 0);
  if (cp.n - mp <= 0) {
    throw new GridcastError('GAM_TOO_FEW_ROWS', `the GAM has ${cp.p} coefficients but only ${cp.n} usable rows; use a longer history or a smaller formula`, { rows: cp.n, coefficients: cp.p });
  }
  // Start where the penalty and the data carry comparable weight in each block (as mgcv's initial.sp).
  const lambda = new Float64Array(m);
  {
    let j = 0;
    for (const b of blocks) {
      let dx = 0;
      for (let r = 0; r < b.size; r++) dx += cp.xtx[(b.offset + r) * cp.p + b.offset + r];
      for (const s of b.penalties) {
        let ds = 0;
        for (let r = 0; r < b.size; r++) ds += s[r * b.size + r];
        lambda[j++] = clampLambda(ds > 0 ? dx / ds : 1);
      }
    }
  }
  if (start && start.length === m && start.every((l) => l > 0)) {
    // A λ at its bound stays: at λ → ∞ both traces of the update are rank/λ and their difference
    // is lost to rounding, so the step always pushes on. One at the upper bound starts well inside
    // (the cold start × e^BOUND_RESTART: its smooth already close to its null space, where a cold
    // fit's steps pass on their way to the bound, and where a step can still turn back); starting
    // it at the cold start would move every other λ while it walks back out, and cost a refit
    // most of a cold fit's iterations. One at the lower bound starts where a cold fit starts.
    for (let j = 0; j < m; j++) {
      if (!atBound(start[j])) lambda[j] = clampLambda(start[j]);
      else if (Math.log(start[j]) > 0) lambda[j] = clampLambda(lambda[j] * Math.exp(BOUND_RESTART));
    }
  }
  const penaltyTerms = () => {
    let j = 0;
    let logDet = 0;
    const traces: number[] = [];
    blocks.forEach((b, bi) => {
      const t = blockPenaltyTerms(b, infos[bi], lambda, j);
      logDet += t.logDet;
      traces.push(...t.traces);
      j += b.penalties.length;
    });
    return { logDet, traces };
  };
  let ev = evaluate(cp, blocks, lambda, false);
  let iterations = 0;
  let converged = m === 0;
  // The fixed-point steps creep when a λ moves far in one direction (towards a near-linear smooth):
  // while its steps keep their sign the step is amplified (×2, ×4, … up to ×8), and reset at the
  // first reversal. The fixed point, hence the optimum, is unchanged.
  const lastSign = new Float64Array(m);
  const gain = new Float64Array(m).fill(1);
  for (; iterations < maxIterations && !converged; iterations++) {
    const phi = (ev.rss + ev.penalty) / (cp.n - mp);
    const { traces } = penaltyTerms();
    let j = 0;
    let maxStep = 0;
    for (const b of blocks) {
      for (const s of b.penalties) {
        const q = quad(s, b, ev.beta);
        const num = phi * (traces[j] - traceBlock(ev.ainv, cp.p, b, s));
        const old = lambda[j];
        // A non-positive numerator or a vanishing β̂ᵀSβ̂ means the smooth wants to be in its null space.
        const step = q > 0 && num > 0 ? Math.log(num / q) : Math.log(1e3);
        const sign = Math.sign(step);
        gain[j] = sign === lastSign[j] && Math.abs(step) > 1e-3 ? Math.min(8, gain[j] * 2) : 1;
        lastSign[j] = sign;
        const next = clampLambda(old * Math.exp(gain[j] * step));
        maxStep = Math.max(maxStep, Math.abs(Math.log(next) - Math.log(old)) * (atBound(next) && atBound(old) ? 0 : 1));
        lambda[j++] = next;
      }
    }
    ev = evaluate(cp, blocks, lambda, false);
    converged = maxStep < 1e-4;
  }
  ev = complete(cp, ev);
  if (criterion === 'GCV' && m > 0) {
    const r = minimiseLogLambda((ll) => gcvScore(cp, evaluate(cp, blocks, Float64Array.from(ll, Math.exp), true)), Float64Array.from(lambda, Math.log));
    lambda.set(Float64Array.from(r.x, Math.exp));
    ev = evaluate(cp, blocks, lambda, true);
    iterations += r.evaluations;
    converged = r.converged;
  }
  const edf = new Float64Array(cp.p);
  for (let r = 0; r < cp.p; r++) {
    let s = 0;
    for (let c = 0; c < cp.p; c++) s += ev.ainv[r * cp.p + c] * cp.xtx[r * cp.p + c];
    edf[r] = s;
  }
  const dfResid = Math.max(1, cp.n - ev.tau);
  const score = criterion === 'REML' ? remlScore(cp, ev, penaltyTerms().logDet, mp) : gcvScore(cp, ev);
  return { beta: ev.beta, ainv: ev.ainv, lambda, edf, rss: ev.rss, sig2: ev.rss / dfResid, score, iterations, converged };
}

function clampLambda(l: number): number {
  return Math.exp(Math.min(LOG_LAMBDA_MAX, Math.max(LOG_LAMBDA_MIN, Math.log(l))));
}

function atBound(l: number): boolean {
  const ll = Math.log(l);
  return ll >= LOG_LAMBDA_MAX - 1e-9 || ll <= LOG_LAMBDA_MIN + 1e-9;
}

/**
 * Coordinate-wise golden-section search in log λ, repeated until a sweep moves nothing: robust
 * for the few dozen smoothing parameters of a load model, and needs no derivatives.
 */
function minimiseLogLambda(f: (x: Float64Array) => number, x0: Float64Array): { x: Float64Array; evaluations: number; converged: boolean } {
  const x = Float64Array.from(x0);
  let fx = f(x);
  let evaluations = 1;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let sweep = 0; sweep < 8; sweep++) {
    let moved = 0;
    for (let j = 0; j < x.length; j++) {
      const at = (v: number) => {
        const y = Float64Array.from(x);
        y[j] = v;
        evaluations++;
        return f(y);
      };
      let lo = Math.max(LOG_LAMBDA_MIN, x[j] - 6);
      let hi = Math.min(LOG_LAMBDA_MAX, x[j] + 6);
      let c = hi - g * (hi - lo);
      let d = lo + g * (hi - lo);
      let fc = at(c);
      let fd = at(d);
      while (hi - lo > 0.02) {
        if (fc < fd) {
          hi = d;
          d = c;
          fd = fc;
          c = hi - g * (hi - lo);
          fc = at(c);
        } else {
          lo = c;
          c = d;
          fc = fd;
          d = lo + g * (hi - lo);
          fd = at(d);
        }
      }
      const best = fc < fd ? c : d;
      const fb = Math.min(fc, fd);
      if (fb < fx) {
        moved = Math.max(moved, Math.abs(best - x[j]));
        x[j] = best;
        fx = fb;
      }
    }
    if (moved < 0.05) return { x, evaluations, converged: true };
  }
  return { x, evaluations, converged: false };
}
