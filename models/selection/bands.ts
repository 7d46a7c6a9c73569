import { logGamma, tQuantile } from '../../core/stats/t-dist.ts';
import { normalQuantile } from '../gam/normal.ts';
import { checkLevels, levelKey } from '../quantiles/empirical.ts';

/**
 * Bands of a mixture calibrated on its own out-of-sample errors (split conformal prediction with
 * normalised scores: Papadopoulos, Vovk & Gammerman 2008; Lei et al., JASA 2018, §5.2). Pure:
 * arrays in, quantiles out.
 *
 * Why not the members' quantiles averaged: the mixture's error is smaller than its average
 * member's wherever the members disagree, so averaged bands over-cover (up to 99 % for a nominal
 * 80 % on the benches). Why not raw error quantiles alone: a day-ahead error grows with the lead and
 * with the level of the day, and a few validation days cannot estimate that per step. The averaged
 * band keeps its shape (where it is wide, where narrow); the evidence sets its width and skew.
 *
 * Scores: z_i = (y_i − mean_i) / s_i, with s_i the width of the averaged P10–P90 band the mixture
 * would have served at step i (weights played then). Served quantile at level τ:
 * mean_k + κ_τ (Q_τ(z) − m) s_k, Q_τ the scores' quantile at τ, m their median.
 *
 * Centred on the mixture's mean (P50 = mean): the scores give the spread and skew, not a location.
 * The mean was learned by ML-Poly under an absolute (median-seeking) loss from members fitted on
 * the whole history; a shift by the validation days' median error is the bias of a few
 * correlated days, whose noise every served quantile would inherit. (Measured: with the shift,
 * pinball loss was worse than the averaged bands' on 9 of the 13 bench rows, centred better on 9;
 * README, `auto`'s bands.)
 *
 * κ_τ: the scores are not independent. A day's errors share that day's weather and events (on
 * GEFCom system the day means of the scores spread about as much as the scores within a day), so a
 * few validation days are a few draws, and quantiles read off them give too narrow bands (the
 * plug-in effect: a normal prediction interval from n draws needs t_{n−1} and √(1 + 1/n), not z).
 * κ_τ = t_{ν}(τ) / z(τ) × √(1 + 1/n_eff), ν = n_eff − 1, with n_eff the number of errors divided
 * by Kish's design effect 1 + (m̄ − 1) ρ (ρ the intraclass correlation of the scores by day,
 * ANOVA estimate), between the number of days and the number of errors. No constant here is fitted
 * to a data set: with independent errors κ → 1 as they grow.
 *
 * Offsets are made non-decreasing in τ and s_k > 0, so quantiles never cross; the mean is
 * untouched; any level can be read.
 */

/** The averaged band whose width scales the scores: the levels every member is asked for. */
export const SCALE_LEVELS = [0.1, 0.9] as const;

/**
 * At least this many validation days (rounds): one day's errors are one draw of that day's
 * conditions (weather, events), strongly correlated hour to hour; their spread says little about
 * another day's.
 */
export const MIN_ROUNDS = 2;

/** Width of the P10–P90 band at each step (NaN where a level is missing). */
export function bandWidth(quantiles: Record<string, ArrayLike<number>>, n: number): Float64Array {
  const lo = quantiles[levelKey(SCALE_LEVELS[0])];
  const hi = quantiles[levelKey(SCALE_LEVELS[1])];
  const out = new Float64Array(n).fill(Number.NaN);
  if (lo && hi) for (let k = 0; k < n; k++) out[k] = hi[k] - lo[k];
  return out;
}

/**
 * Quantile at level τ of sorted scores, at plotting position τ(n + 1) (Weibull, Hyndman–Fan type
 * 6): for exchangeable scores a new one falls below the k-th smallest with probability k / (n + 1),
 * so the interpolated value is below a new score with probability τ. Clamped to the extreme
 * scores outside [1/(n + 1), n/(n + 1)].
 */
export function scoreQuantile(sorted: ArrayLike<number>, tau: number): number {
  const n = sorted.length;
  const h = tau * (n + 1);
  if (h <= 1) return sorted[0];
  if (h >= n) return sorted[n - 1];
  const lo = Math.floor(h);
  return sorted[lo - 1] + (h - lo) * (sorted[lo] - sorted[lo - 1]);
}

/** Normalised scores of steps with a finite error and a positive finite width, in their order. */
export function normalisedScores(errors: ArrayLike<number>, widths: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < errors.length; i++) {
    const s = widths[i];
    if (Number.isFinite(errors[i]) && Number.isFinite(s) && s > 0) out.push(errors[i] / s);
  }
  return out;
}

/** What the mixture's bands are: calibrated from scores, or the members' averaged (and why). */
export type BandState =
  | {
      method: 'scaled';
      /** Normalised validation (then served) errors, oldest first; the newest replace the oldest at each online round. */
      scores: number[];
      /** Effective number of independent scores (the window keeps its size, so this is kept as validated). */
      effective: number;
    }
  | { method: 'averaged'; reason: string };

/** Normalised scores of each round (the validation origins' steps, `rounds` long each), rounds without one left out. */
function scoresByRound(errors: ArrayLike<number>, widths: ArrayLike<number>, rounds: number[]): number[][] {
  const groups: number[][] = [];
  let i0 = 0;
  for (const n of rounds) {
    const g = normalisedScores(Array.prototype.slice.call(errors, i0, i0 + n), Array.prototype.slice.call(widths, i0, i0 + n));
    if (g.length) groups.push(g);
    i0 += n;
  }
  return groups;
}

/**
 * The calibration from the mixture's validation errors (actual − online mixture mean), the widths
 * of the averaged band it would have served, and the steps of each round; averaged bands, with the
 * reason, when the evidence is too thin: fewer than MIN_ROUNDS rounds with a score, or too few
 * scores to place the SCALE_LEVELS strictly inside them (τ(n + 1) ≥ 1).
 */
export function bandCalibration(errors: ArrayLike<number>, widths: ArrayLike<number>, rounds: number[]): BandState {
  const groups = scoresByRound(errors, widths, rounds);
  const withScore = groups.length;
  const scores = normalisedScores(errors, widths);
  const need = Math.ceil(1 / Math.min(SCALE_LEVELS[0], 1 - SCALE_LEVELS[1]) - 1e-9) - 1;
  if (withScore < MIN_ROUNDS || scores.length < need) {
    return { method: 'averaged', reason: `members' quantiles averaged: ${scores.length} validation error${scores.length === 1 ? '' : 's'} with a band over ${withScore} day${withScore === 1 ? '' : 's'} (calibration needs ${MIN_ROUNDS} days and ${need} errors)` };
  }
  return { method: 'scaled', scores, effective: effectiveOf(groups) };
}

/**
 * Errors divided by Kish's design effect 1 + (n₀ − 1) ρ, ρ the one-way ANOVA intraclass correlation
 * of the scores grouped by round (n₀ the groups' adjusted mean size), clamped to [0, 1]; the result
 * lies between the number of rounds with a score and the number of scores.
 */
export function effectiveCount(errors: ArrayLike<number>, widths: ArrayLike<number>, rounds: number[]): number {
  return effectiveOf(scoresByRound(errors, widths, rounds));
}

function effectiveOf(groups: number[][]): number {
  const N = groups.reduce((a, g) => a + g.length, 0);
  const k = groups.length;
  if (k < 2 || N <= k) return N;
  const grand = groups.reduce((a, g) => a + g.reduce((x, y) => x + y, 0), 0) / N;
  let ssb = 0;
  let ssw = 0;
  for (const g of groups) {
    const m = g.reduce((x, y) => x + y, 0) / g.length;
    ssb += g.length * (m - grand) ** 2;
    for (const v of g) ssw += (v - m) ** 2;
  }
  const msb = ssb / (k - 1);
  const msw = ssw / (N - k);
  const n0 = (N - groups.reduce((a, g) => a + g.length ** 2, 0) / N) / (k - 1);
  const den = msb + (n0 - 1) * msw;
  const rho = den > 0 ? Math.min(1, Math.max(0, (msb - msw) / den)) : 0;
  return Math.min(N, Math.max(k, N / (1 + (n0 - 1) * rho)));
}

/**
 * t_ν(τ) / z(τ), the exact t quantile (core/stats/t-dist.ts, R's qt) over the normal one; at
 * τ = ½ its limit, the ratio of the densities at 0: √(ν/2) Γ(ν/2) / Γ((ν+1)/2). Real ν ≥ 1.
 * Above ν = 10⁵ the incomplete beta behind qt loses digits (1e-6 at 10⁹) while the expansion
 * 1 + (z² + 1)/(4ν) is exact to O(ν⁻²) < 1e-10: it serves there (the two meet there within 2e-9).
 */
export function tOverZ(tau: number, nu: number): number {
  const z = normalQuantile(tau);
  if (nu > 1e5) return 1 + (z * z + 1) / (4 * nu);
  if (Math.abs(z) < 1e-9) return Math.sqrt(nu / 2) * Math.exp(logGamma(nu / 2) - logGamma((nu + 1) / 2));
  return tQuantile(tau, nu) / z;
}

/** Offsets κ_τ (Q_τ(z) − m) at the levels (sorted), made non-decreasing. */
export function scoreOffsets(b: Extract<BandState, { method: 'scaled' }>, levels: readonly number[]): Map<number, number> {
  const sorted = Float64Array.from(b.scores).sort();
  const mid = scoreQuantile(sorted, 0.5);
  const nu = Math.max(1, b.effective - 1);
  const inflate = Math.sqrt(1 + 1 / Math.max(1, b.effective));
  const out = new Map<number, number>();
  let last = -Infinity;
  for (const tau of checkLevels(levels)) {
    last = Math.max(last, tOverZ(tau, nu) * inflate * (scoreQuantile(sorted, tau) - mid));
    out.set(tau, last);
  }
  return out;
}

/** The state after one more round: its scores appended, as many of the oldest dropped (a rolling window of the same size). */
export function rollBands(b: BandState, errors: ArrayLike<number>, widths: ArrayLike<number>): BandState {
  if (b.method !== 'scaled') return b;
  const fresh = normalisedScores(errors, widths);
  if (fresh.length === 0) return b;
  const all = [...b.scores, ...fresh];
  return { ...b, scores: all.slice(all.length - b.scores.length) };
}

/**
 * Quantiles mean + offset(τ) × width at each requested level. A step whose width is not positive and
 * finite keeps the averaged quantiles given (`fallback`), all its levels from the one method so
 * they stay ordered.
 */
export function scaledQuantiles(mean: ArrayLike<number>, widths: ArrayLike<number>, b: Extract<BandState, { method: 'scaled' }>, levels: readonly number[], fallback: Record<string, ArrayLike<number>>): Record<string, Float64Array> {
  const offsets = scoreOffsets(b, levels);
  const out: Record<string, Float64Array> = {};
  for (const [tau, z] of offsets) {
    const key = levelKey(tau);
    const q = new Float64Array(mean.length);
    for (let k = 0; k < mean.length; k++) {
      const s = widths[k];
      q[k] = Number.isFinite(s) && s > 0 ? mean[k] + z * s : (fallback[key]?.[k] ?? Number.NaN);
    }
    out[key] = q;
  }
  return out;
}

/** The calibrated P10–P90 width as a multiple of the averaged one (what the label says). */
export function widthRatio(b: Extract<BandState, { method: 'scaled' }>): number {
  const o = scoreOffsets(b, SCALE_LEVELS);
  return o.get(SCALE_LEVELS[1])! - o.get(SCALE_LEVELS[0])!;
}

/**
 * e.g. 'bands: averaged P10–P90 × 0.71 from 96 validation errors (≈ 8.4 independent)', with `on`
 * (what the errors were measured on) 'bands: … from N validation errors on temperature + 1 °C
 * forecast-like errors (≈ n independent)'.
 */
export function bandsText(b: BandState, on?: string): string {
  return b.method === 'scaled' ? `bands: averaged P10–P90 × ${widthRatio(b).toFixed(2)} from ${b.scores.length} validation errors${on ? ` on ${on}` : ''} (≈ ${b.effective.toFixed(1)} independent)` : `bands: ${b.reason}`;
}
