import { glsAbsorb, glsProjection } from '../gls.ts';
import type { MethodOutcome } from '../projection.ts';
import { completeResiduals } from '../residuals.ts';
import { shrinkageIntensity } from '../shrinkage.ts';
import type { Structure } from '../structure.ts';
import { wlsVar } from './wls.ts';

/**
 * Fewest complete residual steps for a covariance: corpcor's estimate.lambda refuses fewer than 3.
 * More is not demanded because λ itself answers for short samples: the fewer the steps, the noisier
 * the correlations and the closer λ gets to 1, i.e. to the diagonal.
 */
export const MIN_RESIDUAL_STEPS = 3;

/**
 * (UᵀWU)⁻¹ may amplify rounding by at most 1/MIN_PIVOT; beyond that the covariance is treated as
 * singular. λ > 0 keeps W positive definite in theory, but λ is ~0 when the correlations are
 * near ±1 with little spread, e.g. two series with identical residuals.
 */
const MIN_PIVOT = 1e-10;

/**
 * MinT (Wickramasuriya, Athanasopoulos & Hyndman 2019) with W = λ·D + (1−λ)·Σ̂: Σ̂ the sample
 * covariance of the residuals (centred, divisor T−1), D its diagonal, λ the Schäfer–Strimmer
 * intensity. W is used only through W·U = λ·D·U + (1−λ)/(T−1)·X·(XᵀU), rank T on top of a
 * diagonal, so no n × n matrix exists at any point.
 *
 * With a `window`, the covariance is that of the latest `window` complete steps; `applied` says
 * how many were used and a warning names the series lacking residuals when fewer exist.
 * Falls back to wls-var, with a warning, when fewer than MIN_RESIDUAL_STEPS steps are complete
 * or UᵀWU is not safely positive definite; the result is always finite.
 */
export function mintShrink(st: Structure, residuals: Map<string, Float64Array>, window = Infinity): MethodOutcome {
  const r = completeResiduals(st.sm, residuals, window);
  const warnings: string[] = [];
  const lacking = [...r.missing].sort((a, b) => b[1] - a[1]).map(([id, m]) => `${id} (${m})`);
  const named = lacking.length > 5 ? `${lacking.slice(0, 5).join(', ')} and ${lacking.length - 5} more` : lacking.join(', ');
  if (!Number.isFinite(window) && r.dropped > 0) {
    warnings.push(`mint-shrink: ${r.dropped} of ${r.dropped + r.steps} residual time steps dropped (some series had no residual there).`);
  } else if (Number.isFinite(window) && r.steps < window) {
    warnings.push(`mint-shrink: only ${r.steps} of the ${window} residual time steps wanted are complete; steps without a residual per series: ${named}.`);
  }
  if (r.steps < MIN_RESIDUAL_STEPS) {
    const fb = wlsVar(st, residuals, `only ${r.steps} complete residual steps`, window);
    return { ...fb, warnings: [...warnings, ...fb.warnings] };
  }
  const lambda = shrinkageIntensity(r.x, st.n, r.steps);
  const diag = r.variance.map((v) => lambda * v);
  const lowRank = lambda < 1 ? { scale: (1 - lambda) / (r.steps - 1), x: r.x, steps: r.steps } : undefined;
  const w = { diag, lowRank };
  const projection = glsProjection(st, w, MIN_PIVOT);
  if (!projection) {
    const fb = wlsVar(st, residuals, `covariance singular, lambda ${lambda.toFixed(3)}`, window);
    return { ...fb, lambda, warnings: [...warnings, ...fb.warnings] };
  }
  const used = Number.isFinite(window) ? `, ${r.steps} residual steps` : '';
  return { projection, absorb: glsAbsorb(st, w, projection), applied: `mint-shrink (lambda ${lambda.toFixed(3)}${used})`, lambda, warnings };
}
