import type { MethodOutcome } from '../projection.ts';
import { seriesVariances } from '../residuals.ts';
import type { Structure } from '../structure.ts';
import { diagonalGls } from './diagonal.ts';

/**
 * Structural scaling (Athanasopoulos et al. 2017): W = diag(number of bottom series under each
 * row), i.e. the error variance of a node taken as proportional to how many feeders it sums.
 * Needs nothing but the tree.
 */
export function wlsStructural(st: Structure): MethodOutcome {
  const w = Float64Array.from(st.sm.rowCols, (cols) => cols.length);
  return { ...diagonalGls(st, w), applied: 'wls (structural)', warnings: [] };
}

/**
 * Variance scaling (MinT with a diagonal covariance): W = diag(residual variance of each row).
 * Also the fallback of MinT-shrink when the full covariance cannot be used; `fallbackReason`
 * says why, for `applied` and the warning.
 */
export function wlsVar(st: Structure, residuals: Map<string, Float64Array>, fallbackReason?: string, window = Infinity): MethodOutcome {
  const { variance, unknown } = seriesVariances(st.sm, residuals, window);
  const warnings = fallbackReason ? [`mint-shrink fell back to wls-var: ${fallbackReason}.`] : [];
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
    warnings.push(`No usable residual variance for ${shown}: weighted as the least certain series.`);
  }
  return { ...diagonalGls(st, variance), applied: fallbackReason ? `wls-var (${fallbackReason})` : 'wls-var', warnings };
}
