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

/** Past the last observation (the next one not in yet), its value is held this long. */
export const IRRADIANCE_HOLD_MS = 15 * 60_000;

/**
 * PV at each instant: from the measured irradiance, interpolated between observations at most
 * maxGapMs apart, or held up to IRRADIANCE_HOLD_MS after the last one; where there is none, from
 * clear sky × the typical clearness at the station's position (`clearSky` marks those points);
 * NaN where neither is possible (no position).
 */
export function estimatePv(
  tsMs: ArrayLike<number>,
  irradiance: { ts: ArrayLike<number>; values: ArrayLike<number> },
  capacity: number,
  position: { latitude: number; longitude: number } | undefined,
  maxGapMs: number,
): { pv: Float64Array; clearSky: Uint8Array } {
  const g = interpolateAt(irradiance.ts, irradiance.values, tsMs, maxGapMs);
  const last = irradiance.ts.length - 1;
  for (let i = 0; i < g.length; i++) {
    if (Number.isNaN(g[i]) && last >= 0 && tsMs[i] > irradiance.ts[last] && tsMs[i] - irradiance.ts[last] <= IRRADIANCE_HOLD_MS) g[i] = irradiance.values[last];
  }
  const pv = pvFromIrradiance(g, capacity);
  const clearSky = new Uint8Array(pv.length);
  for (let i = 0; i < pv.length; i++) {
    if (!Number.isNaN(pv[i]) || !position) continue;
    pv[i] = pvFromClearSky([tsMs[i]], position.latitude, position.longitude, capacity)[0];
    clearSky[i] = 1;
  }
  return { pv, clearSky };
}
