/**
 * Forecast values whose temperature input lies outside what the model saw in training (scenario
 * 9: a heatwave hotter than any training hour). A GAM extrapolates linearly beyond its outer
 * knots and other models less predictably, so such values are labelled rather than trusted
 * silently.
 *
 * The training range is the min/max of the observed temperature over the model version's
 * training window, taken from the run's own history (the same stations the version was trained
 * on, since a champion is fed its recorded weather; the default 3-year history covers it). A GAM's outer temperature knots hold the
 * same numbers, but only for GAMs; this works for every kind and for artifacts stored before
 * anyone looked. A model fitted in the run was trained on the whole history. Pure: arrays in,
 * flags out.
 */
import type { EventLog } from '../../core/events.ts';
import type { Log } from '../../core/log.ts';

export const OUT_OF_RANGE = 'out-of-range';

export interface TemperatureRange {
  min: number;
  max: number;
}

/** One series of a run with inputs out of range: stored as one event. */
export interface OutOfRangeSeries {
  seriesId: string;
  modelVersion: string;
  range: TemperatureRange;
  /** Hours of the stored window flagged, and the extremes of their temperatures. */
  hours: number;
  lowest: number;
  highest: number;
  first: string;
}

/**
 * min/max of the finite temperatures of an hourly history from `startMs` within the training
 * window [start, end) (the whole history for a model fitted in the run). Null without any finite
 * value there, e.g. a version trained before the run's history starts (historyDays shorter than
 * its age): its range is then unknown and nothing is flagged, rather than judged against data it
 * never saw.
 */
export function trainingRange(temperature: Float64Array, startMs: number, window?: { start: string; end: string }): TemperatureRange | null {
  const within = (from: number, to: number) => {
    let min = Infinity;
    let max = -Infinity;
    for (let k = Math.max(0, from); k < Math.min(temperature.length, to); k++) {
      const t = temperature[k];
      if (!Number.isFinite(t)) continue;
      if (t < min) min = t;
      if (t > max) max = t;
    }
    return min <= max ? { min, max } : null;
  };
  if (!window) return within(0, temperature.length);
  const from = Math.ceil((Date.parse(window.start) - startMs) / 3_600_000);
  const to = Math.ceil((Date.parse(window.end) - startMs) / 3_600_000);
  return within(from, to);
}

/** Per step: whether any of the prediction paths' temperatures (forecast, or each scenario) lies outside the range. */
export function outOfRange(paths: readonly Float64Array[], range: TemperatureRange): boolean[] {
  const n = Math.max(0, ...paths.map((p) => p.length));
  return Array.from({ length: n }, (_, k) => paths.some((p) => p[k] < range.min || p[k] > range.max));
}

/** One `out-of-range` event per series of a stored run. The run is already stored: a failing log costs a warning, not the run. */
export async function appendOutOfRangeEvents(events: EventLog | undefined, at: Date, runId: number, series: readonly OutOfRangeSeries[], log?: Log): Promise<void> {
  if (!events) return;
  for (const s of series) {
    try {
      await events.append({
        at,
        kind: 'out-of-range',
        severity: 'warning',
        seriesId: s.seriesId,
        modelVersion: s.modelVersion,
        runId,
        detail: { input: 'temperature', trainingMin: s.range.min, trainingMax: s.range.max, hours: s.hours, lowest: s.lowest, highest: s.highest, first: s.first },
      });
    } catch (e) {
      log?.warn({ runId, seriesId: s.seriesId, err: e }, 'out-of-range event not recorded');
    }
  }
}
