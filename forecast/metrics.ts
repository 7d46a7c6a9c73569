/**
 * Point and interval accuracy of forecasts against actuals. Pairs where the actual or the
 * forecast is missing (NaN) are left out and counted, so a gap in the data never turns a
 * score into NaN. MAPE is undefined as soon as one actual is zero (a division by zero, not a
 * large error): it is then null and `mapeUndefined` says why; report MAE/RMSE there.
 */

export interface Accuracy {
  /** Pairs scored (actual and mean both finite). */
  n: number;
  /** Pairs left out because the actual or the forecast was missing. */
  skipped: number;
  /** Mean absolute percentage error in %, or null when undefined (see mapeUndefined). */
  mape: number | null;
  /** Why MAPE is null: e.g. 'zero actuals (3)'. */
  mapeUndefined?: string;
  mae: number;
  rmse: number;
  /** Mean pinball loss over the quantile levels given (same unit as the series); null without quantiles. */
  pinball: number | null;
  /** Pinball divided by the mean absolute actual, in % (comparable across series of different size). */
  pinballPct: number | null;
  /** Share (in %) of actuals inside [lower, upper] of the central interval; null without those quantiles. */
  coverage: number | null;
  /** Mean absolute actual, the scale of pinballPct. */
  scale: number;
}

export function pinballLoss(actual: number, predicted: number, level: number): number {
  const d = actual - predicted;
  return d >= 0 ? level * d : (level - 1) * d;
}

/**
 * Scores mean forecasts (and optionally quantiles) against actuals. `interval` names the
 * quantile levels whose band is tested for coverage (default P10–P90).
 */
export function accuracy(
  actual: ArrayLike<number>,
  mean: ArrayLike<number>,
  quantiles: Record<string, ArrayLike<number>> = {},
  interval: [string, string] = ['0.1', '0.9'],
): Accuracy {
  if (mean.length !== actual.length) throw new RangeError(`accuracy: ${mean.length} forecasts for ${actual.length} actuals`);
  const levels = Object.keys(quantiles);
  for (const l of levels) {
    if (quantiles[l].length !== actual.length) throw new RangeError(`accuracy: quantile ${l} has ${quantiles[l].length} values for ${actual.length} actuals`);
  }
  let n = 0;
  let skipped = 0;
  let zeros = 0;
  let ape = 0;
  let ae = 0;
  let se = 0;
  let absActual = 0;
  let pin = 0;
  let pinN = 0;
  let inside = 0;
  let covN = 0;
  const lo = quantiles[interval[0]];
  const hi = quantiles[interval[1]];
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const f = mean[i];
    if (!Number.isFinite(a) || !Number.isFinite(f)) {
      skipped++;
      continue;
    }
    n++;
    const e = a - f;
    ae += Math.abs(e);
    se += e * e;
    absActual += Math.abs(a);
    if (a === 0) zeros++;
    else ape += Math.abs(e / a);
    for (const l of levels) {
      const q = quantiles[l][i];
      if (Number.isFinite(q)) {
        pin += pinballLoss(a, q, Number(l));
        pinN++;
      }
    }
    if (lo && hi && Number.isFinite(lo[i]) && Number.isFinite(hi[i])) {
      covN++;
      if (a >= lo[i] && a <= hi[i]) inside++;
    }
  }
  const scale = n > 0 ? absActual / n : 0;
  const pinball = pinN > 0 ? pin / pinN : null;
  return {
    n,
    skipped,
    mape: n > 0 && zeros === 0 ? (100 * ape) / n : null,
    ...(zeros > 0 ? { mapeUndefined: `zero actuals (${zeros})` } : n === 0 ? { mapeUndefined: 'no scored pairs' } : {}),
    mae: n > 0 ? ae / n : 0,
    rmse: n > 0 ? Math.sqrt(se / n) : 0,
    pinball,
    pinballPct: pinball !== null && scale > 0 ? (100 * pinball) / scale : null,
    coverage: covN > 0 ? (100 * inside) / covN : null,
    scale,
  };
}
