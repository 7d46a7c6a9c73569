import { clearSkyIrradiance } from './solar.ts';

/**
 * Disaggregation (A7): where only the withdrawal is measured, the consumption behind it is
 * recovered by removing the estimated distributed PV from the net flow. The PV feeds local
 * consumption, so the metered withdrawal is consumption − PV and the consumption is
 * withdrawal + PV (REQUIREMENTS A7 writes it with the generation as a negative withdrawal).
 * Pure functions on aligned arrays (NaN = missing).
 */

/** Share of the nameplate output a PV fleet delivers at 1000 W/m² (inverter, temperature and soiling losses). */
export const PERFORMANCE_RATIO = 0.85;
/** Clearness assumed when no irradiance is measured: a climatological average, not a forecast. */
export const DEFAULT_CLEARNESS = 0.6;

/** PV output in the capacity's unit from global horizontal irradiance (W/m²). */
export function pvFromIrradiance(irradiance: ArrayLike<number>, capacity: number, performanceRatio = PERFORMANCE_RATIO): Float64Array {
  return Float64Array.from(irradiance, (g) => (Number.isNaN(g) ? NaN : (capacity * performanceRatio * Math.max(0, g)) / 1000));
}

/** PV output from a clear-sky model × a typical clearness, for sites without an irradiance sensor. */
export function pvFromClearSky(tsMs: ArrayLike<number>, latitude: number, longitude: number, capacity: number, clearness = DEFAULT_CLEARNESS): Float64Array {
  return pvFromIrradiance(Float64Array.from(tsMs, (t) => clearSkyIrradiance(t, latitude, longitude) * clearness), capacity);
}

/** consumption = withdrawal + PV (the withdrawal is net of the PV); NaN where either is missing. */
export function consumptionFromWithdrawal(withdrawal: ArrayLike<number>, pv: ArrayLike<number>): Float64Array {
  return Float64Array.from(withdrawal, (w, i) => w + pv[i]);
}

/**
 * Irradiance at each instant, linear between the two surrounding observations when they are
 * at most maxGapMs apart; NaN otherwise (a long sensor gap must not invent sunshine).
 */
export function interpolateAt(obsTs: ArrayLike<number>, obsValues: ArrayLike<number>, tsMs: ArrayLike<number>, maxGapMs: number): Float64Array {
  const out = new Float64Array(tsMs.length).fill(NaN);
  let j = 0;
  for (let i = 0; i < tsMs.length; i++) {
    const t = tsMs[i];
    while (j + 1 < obsTs.length && obsTs[j + 1] <= t) j++;
    if (obsTs.length === 0 || obsTs[j] > t) continue;
    if (obsTs[j] === t) {
      out[i] = obsValues[j];
    } else if (j + 1 < obsTs.length && obsTs[j + 1] - obsTs[j] <= maxGapMs) {
      const f = (t - obsTs[j]) / (obsTs[j + 1] - obsTs[j]);
      out[i] = obsValues[j] + f * (obsValues[j + 1] - obsValues[j]);
    }
  }
  return out;
}
