/**
 * The drift decision calibrated on the champion's own training data (pure: arrays in, numbers out).
 *
 * What the alarm has to tell apart from drift is the ordinary difference between a fortnight and
 * the same dates of the training: weather regimes last days, so 14 daily means are a handful of
 * independent values, and a fortnight routinely sits a reference standard deviation away from
 * the same dates a year earlier. A p-value that takes the days as independent fires on a third of
 * the days of unmodified real series (README, Benchmarks, "Input drift"). So the training data
 * shows its own ordinary differences: every window of `windowDays` consecutive training days is
 * compared, exactly as a recent window is (standardised difference of daily means), with a
 * season-matched reference from the rest of the training — the days at the same dates within
 * windowDays + GAP_DAYS, less the window and GAP_DAYS either side of it. The gap stands in for
 * the year between a recent window and its reference: daily weather anomalies are close to
 * uncorrelated a week apart, whereas days next to the window share its weather and would make
 * the differences look smaller than those between years.
 *
 * From that daily series of effects, per feature: its spread (RMS about zero) and day-to-day
 * correlation give the expected number of alarm episodes a year at any threshold, as for a
 * stationary Gaussian series (stats/excursions.ts); the threshold is the one that meets the
 * feature's share of the series' budget `alarmsPerYear`, and at least the in-sample one (no more
 * excursions on the training windows than that budget allows, one fewer than its share of the
 * sample's years, as the rupture thresholds in stats/calibrate.ts), so heavy tails the Gaussian
 * would miss still count. The budget is split over the effective number of features,
 * the correction across features: the temperature and its lag, maximum and minimum move
 * together and count about once (Galwey's effective number of tests, stats/effective-tests.ts).
 *
 * What it cannot see: a difference between years that no window of the training shows (a whole
 * winter milder than the training's, load growth). With one training year that is left to the
 * budget's margin; a training window of several years puts the same dates of other years into
 * each window's reference, and the calibration sees it.
 */
import { seasonMatched } from './drift-features.ts';
import { standardisedDifference } from './stats/effect.ts';
import { effectiveTests, correlationMatrix } from './stats/effective-tests.ts';
import { gaussianExcursionThreshold, inSampleThreshold, spreadAndPersistence } from './stats/excursions.ts';

/** Days left out on either side of a calibration window before its reference starts (a week: weather regimes last days). */
export const GAP_DAYS = 7;
/** The alarm is evaluated once a day. */
const STEPS_PER_YEAR = 365;

export interface FeatureCalibration {
  /** |effect| at or above which the feature is in drift: the larger of `gaussian` and `inSample`. */
  threshold: number;
  /** Threshold meeting `alarmsPerYear` for a Gaussian series with this spread and day-to-day correlation. */
  gaussian: number;
  /** Threshold allowing at most the budget's share of excursions on the training windows themselves. */
  inSample: number;
  /** RMS of the effect over the training windows (its spread under no drift). */
  sd: number;
  /** Correlation of the effect from one day's window to the next. */
  rho: number;
  /** Training windows with an effect. */
  windows: number;
  /** This feature's share of the series' budget: alarmsPerYear / effectiveFeatures. */
  alarmsPerYear: number;
}

export interface DriftCalibration {
  /** Features calibrated (numeric, with enough training windows), and those not, with why. */
  features: Record<string, FeatureCalibration>;
  notCalibrated: Record<string, string>;
  /** Effective number of independent features the budget is split over (Galwey). */
  effectiveFeatures: number;
  /** The series' budget of false alarm episodes a year (drift.alarmsPerYear). */
  alarmsPerYear: number;
  gapDays: number;
}

export interface CalibrationSettings {
  windowDays: number;
  minReferenceDays: number;
  alarmsPerYear: number;
  /** Fewer finite values in a window than this: no effect for it (as a recent window). */
  minWindowValues: number;
}

/**
 * The effect of every window of `windowDays` consecutive days of the training (`days`: local day
 * numbers, ascending; `values`: daily means per feature) against its season-matched reference
 * from the rest of the training, indexed by the window's last day; NaN where the window is
 * incomplete or its reference too small. The references depend only on the days, so they are
 * found once for all features.
 */
export function calibrationEffects(days: readonly number[], values: Record<string, readonly number[]>, s: Pick<CalibrationSettings, 'windowDays' | 'minReferenceDays' | 'minWindowValues'>): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = Object.fromEntries(Object.keys(values).map((f) => [f, new Float64Array(days.length).fill(Number.NaN)]));
  for (let k = s.windowDays - 1; k < days.length; k++) {
    const first = k - s.windowDays + 1;
    if (days[k] - days[first] !== s.windowDays - 1) continue; // a day is missing from the window
    const window = days.slice(first, k + 1);
    const kept: number[] = [];
    for (let i = 0; i < days.length; i++) if (days[i] < days[first] - GAP_DAYS || days[i] > days[k] + GAP_DAYS) kept.push(i);
    const match = seasonMatched(
      kept.map((i) => days[i]),
      window,
      s.windowDays + GAP_DAYS,
      s.minReferenceDays,
    );
    if (match.indices.length === 0) continue;
    const refIdx = match.indices.map((j) => kept[j]);
    for (const [f, v] of Object.entries(values)) {
      const recent = v.slice(first, k + 1).filter(Number.isFinite);
      const reference = refIdx.map((i) => v[i]).filter(Number.isFinite);
      if (recent.length < s.minWindowValues || reference.length < s.minReferenceDays) continue;
      out[f][k] = standardisedDifference(reference, recent);
    }
  }
  return out;
}

/** Thresholds from the training windows' effects (`calibrationEffects`); a feature with fewer than `minWindows` finite effects is not calibrated. */
export function calibrateDrift(effects: Record<string, ArrayLike<number>>, alarmsPerYear: number, minWindows: number): DriftCalibration {
  const notCalibrated: Record<string, string> = {};
  const usable: string[] = [];
  for (const [f, e] of Object.entries(effects)) {
    const n = Array.from(e).filter(Number.isFinite).length;
    if (n >= minWindows) usable.push(f);
    else notCalibrated[f] = `${n} training windows with a season-matched reference, fewer than ${minWindows}`;
  }
  let effectiveFeatures = usable.length;
  if (usable.length > 1) {
    const { corr, n } = correlationMatrix(usable.map((f) => effects[f]));
    // Without enough windows common to all features, or with a constant one, Bonferroni (every feature counts).
    if (n >= minWindows && corr.every(Number.isFinite)) effectiveFeatures = Math.max(1, effectiveTests(corr, usable.length));
  }
  const share = usable.length > 0 ? alarmsPerYear / effectiveFeatures : alarmsPerYear;
  const features: Record<string, FeatureCalibration> = {};
  for (const f of usable) {
    const e = effects[f];
    const spread = spreadAndPersistence(e);
    const { rms, n } = spread;
    // Windows too scattered for a day-to-day pair: as if uncorrelated, the most crossings.
    const rho = Number.isFinite(spread.rho) ? spread.rho : 0;
    const gaussian = gaussianExcursionThreshold(share, rms, rho, STEPS_PER_YEAR);
    const allowed = Math.max(0, Math.floor((share * n) / STEPS_PER_YEAR) - 1);
    const inSample = inSampleThreshold(e, allowed);
    features[f] = { threshold: Math.max(gaussian, inSample), gaussian, inSample, sd: rms, rho, windows: n, alarmsPerYear: share };
  }
  return { features, notCalibrated, effectiveFeatures, alarmsPerYear, gapDays: GAP_DAYS };
}
