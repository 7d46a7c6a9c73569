import { GridcastError } from '../../core/errors.ts';

/**
 * A fitted zero-differencing ARMA model in R's sign convention:
 *   (y_t − mean) = Σ phi_i (y_{t−i} − mean) + e_t + Σ theta_j e_{t−j},  e_t ~ N(0, sigma2).
 * phi is dense up to its largest lag, so a seasonal AR term at lag 24 is phi[23].
 */
export interface ArmaCoefficients {
  phi: Float64Array;
  theta: Float64Array;
  mean: number;
}

/** Coefficients plus the state at the end of the data they were conditioned on. */
export interface ArmaState extends ArmaCoefficients {
  sigma2: number;
  /** Last phi.length deviations y − mean, oldest first. */
  tailY: Float64Array;
  /** Last theta.length innovations, oldest first. */
  tailE: Float64Array;
}

/**
 * Conditional-sum-of-squares innovations. A missing y is replaced by its one-step prediction
 * (innovation 0), which is what a Kalman filter does with a gap in an ARMA model.
 */
export function innovations(y: ArrayLike<number>, c: ArmaCoefficients): { e: Float64Array; filled: Float64Array } {
  const { phi, theta, mean } = c;
  const n = y.length;
  const e = new Float64Array(n);
  const filled = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let pred = 0;
    for (let i = 0; i < phi.length && i < t; i++) pred += phi[i] * filled[t - 1 - i];
    for (let j = 0; j < theta.length && j < t; j++) pred += theta[j] * e[t - 1 - j];
    const dev = y[t] - mean;
    if (Number.isFinite(dev)) {
      filled[t] = dev;
      e[t] = dev - pred;
    } else {
      filled[t] = pred;
      e[t] = 0;
    }
  }
  return { e, filled };
}

/** Gaussian CSS log-likelihood, skipping the first maxLag steps and the missing ones. */
export function cssLogLik(y: ArrayLike<number>, c: ArmaCoefficients): { loglik: number; sigma2: number; n: number } {
  const { e } = innovations(y, c);
  const burn = Math.max(c.phi.length, c.theta.length);
  let ss = 0;
  let n = 0;
  for (let t = burn; t < y.length; t++) {
    if (Number.isFinite(y[t])) {
      ss += e[t] * e[t];
      n++;
    }
  }
  const sigma2 = n > 0 ? ss / n : Number.NaN;
  return { loglik: -0.5 * n * (Math.log(2 * Math.PI * sigma2) + 1), sigma2, n };
}

/** AICc with k estimated parameters (coefficients, mean and variance). */
export function aicc(loglik: number, k: number, n: number): number {
  if (n - k - 1 <= 0) return Infinity;
  return -2 * loglik + 2 * k + (2 * k * (k + 1)) / (n - k - 1);
}

export function conditionOn(y: ArrayLike<number>, c: ArmaCoefficients, sigma2: number): ArmaState {
  const { e, filled } = innovations(y, c);
  const lastN = (a: Float64Array, k: number) => {
    const out = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      const j = a.length - k + i;
      out[i] = j >= 0 ? a[j] : 0;
    }
    return out;
  };
  return { phi: c.phi, theta: c.theta, mean: c.mean, sigma2, tailY: lastN(filled, c.phi.length), tailE: lastN(e, c.theta.length) };
}

/** psi weights of the MA(∞) form: the forecast error variance at step h is sigma2 Σ_{j<h} psi_j². */
export function psiWeights(c: ArmaCoefficients, n: number): Float64Array {
  const psi = new Float64Array(n);
  if (n > 0) psi[0] = 1;
  for (let j = 1; j < n; j++) {
    let v = j <= c.theta.length ? c.theta[j - 1] : 0;
    for (let i = 1; i <= Math.min(j, c.phi.length); i++) v += c.phi[i - 1] * psi[j - i];
    psi[j] = v;
  }
  return psi;
}

/** Mean forecast and forecast variance for steps 1..h after the state's origin. */
export function armaForecast(s: ArmaState, h: number): { mean: Float64Array; variance: Float64Array } {
  const p = s.phi.length;
  const q = s.theta.length;
  const y = new Float64Array(p + h);
  y.set(s.tailY, 0);
  const mean = new Float64Array(h);
  for (let k = 0; k < h; k++) {
    let v = 0;
    for (let i = 0; i < p; i++) v += s.phi[i] * y[p + k - 1 - i];
    // Innovations are known only up to the origin: step k+1 sees e_{T+k-j} for j > k.
    for (let j = k; j < q; j++) v += s.theta[j] * s.tailE[q - 1 - (j - k)];
    y[p + k] = v;
    mean[k] = v + s.mean;
  }
  const psi = psiWeights(s, h);
  const variance = new Float64Array(h);
  let acc = 0;
  for (let k = 0; k < h; k++) {
    acc += psi[k] * psi[k];
    variance[k] = s.sigma2 * acc;
  }
  return { mean, variance };
}

/**
 * AR stationarity by the step-down (reverse Durbin–Levinson, Schur–Cohn) recursion: stationary iff
 * every partial autocorrelation lies strictly inside (−1, 1). Exact at any order, so an expanded
 * daily seasonal AR (26 or 50 lags) is judged as its factors are.
 */
export function isStable(c: ArmaCoefficients): boolean {
  if (!c.phi.every(Number.isFinite)) return false;
  let a = Array.from(c.phi);
  for (let k = a.length; k >= 1; k--) {
    const r = a[k - 1];
    if (!(Math.abs(r) < 1)) return false;
    const next = new Array<number>(k - 1);
    for (let i = 1; i < k; i++) next[i - 1] = (a[i - 1] + r * a[k - i - 1]) / (1 - r * r);
    a = next;
  }
  return true;
}

/**
 * Ordinary least squares AR on the given lags (1-based), rows with a missing value skipped.
 * The pure-TS fallback when the arima wasm fails, hangs or explodes.
 */
export function fitArLeastSquares(y: ArrayLike<number>, lags: number[]): { coefficients: ArmaCoefficients; sigma2: number; n: number } {
  const maxLag = lags.length ? Math.max(...lags) : 0;
  let s = 0;
  let m = 0;
  for (let t = 0; t < y.length; t++) if (Number.isFinite(y[t])) { s += y[t]; m++; }
  if (m === 0) throw new GridcastError('AR_NO_DATA', 'AR fit: no observed values in the residual window');
  const mean = s / m;
  const k = lags.length;
  const xtx = new Float64Array(k * k);
  const xty = new Float64Array(k);
  const row = new Float64Array(k);
  let n = 0;
  for (let t = maxLag; t < y.length; t++) {
    const target = y[t] - mean;
    if (!Number.isFinite(target)) continue;
    let ok = true;
    for (let i = 0; i < k; i++) {
      row[i] = y[t - lags[i]] - mean;
      if (!Number.isFinite(row[i])) { ok = false; break; }
    }
    if (!ok) continue;
    n++;
    for (let i = 0; i < k; i++) {
      xty[i] += row[i] * target;
      for (let j = 0; j <= i; j++) xtx[i * k + j] += row[i] * row[j];
    }
  }
  if (n <= k + 1) throw new GridcastError('AR_NO_DATA', `AR fit: only ${n} complete rows for ${k} lags`);
  const beta = solveSpd(xtx, xty, k);
  const phi = new Float64Array(maxLag);
  lags.forEach((lag, i) => (phi[lag - 1] = beta[i]));
  const coefficients = { phi, theta: new Float64Array(0), mean };
  const { sigma2 } = cssLogLik(y, coefficients);
  return { coefficients, sigma2, n };
}

/** Cholesky solve of a symmetric positive (semi)definite system given by its lower triangle, with a small ridge. */
function solveSpd(a: Float64Array, b: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k);
  let trace = 0;
  for (let i = 0; i < k; i++) trace += a[i * k + i];
  const ridge = 1e-10 * (trace / Math.max(1, k) || 1);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let v = a[i * k + j] + (i === j ? ridge : 0);
      for (let r = 0; r < j; r++) v -= l[i * k + r] * l[j * k + r];
      l[i * k + j] = i === j ? Math.sqrt(Math.max(v, 1e-300)) : v / l[j * k + j];
    }
  }
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let v = b[i];
    for (let r = 0; r < i; r++) v -= l[i * k + r] * z[r];
    z[i] = v / l[i * k + i];
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let v = z[i];
    for (let r = i + 1; r < k; r++) v -= l[r * k + i] * x[r];
    x[i] = v / l[i * k + i];
  }
  return x;
}
