import type { ScheduleEntry } from '../../core/schedule.ts';
import { versionLabel } from '../../core/schedule.ts';
import { isEnergyUnit } from '../../core/units.ts';
import { normalQuantile } from '../../models/gam/normal.ts';
import type { NodeForecast } from '../reconcile/index.ts';
import type { ScheduleSource } from './ports.ts';

/**
 * Forecasts of scheduled nodes (A12): over the hours a schedule in force covers, a node's forecast
 * is its schedule (held fixed through reconciliation), the model's outside them. Pure: the
 * schedules in force and as planned are read by the caller (forecast/run/ports.ts ScheduleSource).
 */

/** The flag of a daily value some of whose hours, not all, are scheduled. */
export const PARTLY_SCHEDULED = 'partly-scheduled';

/** How a scheduled hour's quantiles were made. */
export type ScheduleUncertainty = 'declared' | 'empirical' | 'model-spread';

/** What a run records of the schedules it used (settings.schedules): one entry per version and uncertainty, with the hours it covered. */
export interface ScheduleUse {
  source: string;
  issuedAt: string;
  from: string;
  to: string;
  hours: number;
  uncertainty: ScheduleUncertainty;
}

export interface ScheduledBase {
  /** Base forecasts with the scheduled hours substituted, and the ancestors' base means moved by the same amount. */
  base: Map<string, NodeForecast>;
  /** Per scheduled node, per step: 1 where the schedule holds (immutable in reconciliation). */
  fixed: Map<string, Uint8Array>;
  /** Per scheduled node, per step: the version label (source@issued_at) or null where the model holds. */
  labels: Map<string, Array<string | null>>;
  record: Record<string, ScheduleUse[]>;
  warnings: string[];
}

/** Fewest past schedule-vs-actual hours for empirical quantiles: fewer say little about the tails. */
export const MIN_SCHEDULE_ERRORS = 48;
const HOUR_MS = 3_600_000;
/** Standard normal quantile of 0.9: p10 and p90 are 1.2816 standard deviations from the value. */
const Z90 = normalQuantile(0.9);

interface Hour {
  value: number;
  version: string;
  source: string;
  issuedAt: Date;
  /** Offsets below and above the value for P10 and P90, or a standard deviation; null when not declared. */
  p10: number | null;
  p90: number | null;
  sd: number | null;
}

/**
 * The hourly schedule of one series over `steps` hours from `start`, from its pieces in force:
 * an hour is scheduled only when pieces cover all of it. A power (or any non-energy) value is
 * averaged over the hour by time; an energy value (…Wh per interval) is prorated to the hour.
 * Declared uncertainty carries over the same way (p10/p90 as offsets from the value).
 */
export function hourlySchedule(pieces: readonly ScheduleEntry[], start: Date, steps: number, unit: string): Array<Hour | null> {
  const energy = isEnergyUnit(unit);
  const out: Array<Hour | null> = new Array(steps).fill(null);
  const t0 = start.getTime();
  for (let k = 0; k < steps; k++) {
    const lo = t0 + k * HOUR_MS;
    const hi = lo + HOUR_MS;
    const parts = pieces.filter((p) => p.start.getTime() < hi && p.end.getTime() > lo);
    const covered = parts.reduce((s, p) => s + Math.min(hi, p.end.getTime()) - Math.max(lo, p.start.getTime()), 0);
    if (parts.length === 0 || covered < HOUR_MS) continue;
    let value = 0;
    let low: number | null = 0;
    let high: number | null = 0;
    let sd: number | null = 0;
    for (const p of parts) {
      const overlap = Math.min(hi, p.end.getTime()) - Math.max(lo, p.start.getTime());
      const span = p.issued ? p.issued.end.getTime() - p.issued.start.getTime() : p.end.getTime() - p.start.getTime();
      const w = energy ? overlap / span : overlap / HOUR_MS;
      value += w * p.value;
      low = low !== null && p.p10 !== null ? low + w * (p.value - p.p10) : null;
      high = high !== null && p.p90 !== null ? high + w * (p.p90 - p.value) : null;
      sd = sd !== null && p.sd !== null ? sd + w * p.sd : null;
    }
    // The hour carries the version issued last among its pieces.
    const last = parts.reduce((a, b) => (b.issuedAt > a.issuedAt ? b : a));
    out[k] = { value, version: versionLabel(last), source: last.source, issuedAt: last.issuedAt, p10: low === null ? null : value - low, p90: high === null ? null : value + high, sd };
  }
  return out;
}

/** Quantiles of a scheduled hour from its declared uncertainty: a two-piece normal through p10 and p90, else a normal with sd. */
export function declaredQuantiles(h: Hour, levels: readonly number[]): number[] | null {
  if (h.p10 !== null && h.p90 !== null) {
    const below = (h.value - h.p10) / Z90;
    const above = (h.p90 - h.value) / Z90;
    return levels.map((l) => {
      const z = normalQuantile(l);
      return h.value + z * (z < 0 ? below : above);
    });
  }
  if (h.sd !== null) return levels.map((l) => h.value + normalQuantile(l) * h.sd!);
  return null;
}

/** Sample quantile of type 7 (R's default) of sorted values. */
export function quantile7(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Past errors actual − planned of one series, per hour of its history where both are known: the
 * schedule as planned before each hour (not a revision made afterwards) against the measured value.
 */
export function scheduleErrors(planned: Array<Hour | null>, actual: Float64Array): Float64Array {
  const out: number[] = [];
  for (let k = 0; k < planned.length; k++) {
    const p = planned[k];
    if (p && Number.isFinite(actual[k])) out.push(actual[k] - p.value);
  }
  return Float64Array.from(out).sort();
}

export interface ScheduleInputs {
  /** sm.rows order. */
  ids: readonly string[];
  parentOf: ReadonlyMap<string, string | null>;
  unitOf: ReadonlyMap<string, string>;
  base: ReadonlyMap<string, NodeForecast>;
  /** Quantile levels as numbers, in the order of the NodeForecast keys' numeric values. */
  levels: readonly number[];
  windowStart: Date;
  steps: number;
  /** The pieces in force over the window at the run's knowledge time. */
  inForce: readonly ScheduleEntry[];
  /** Per series with a schedule in the window: the pieces as planned over its history, and the history (hourly, from historyStart). */
  past: ReadonlyMap<string, { planned: readonly ScheduleEntry[]; history: Float64Array; historyStart: Date }>;
}

/**
 * Substitutes the schedule in force for the base forecast of every scheduled hour: the mean is the
 * schedule; the quantiles come from its declared uncertainty, else from the empirical quantiles of
 * the node's past schedule-vs-actual errors (at least MIN_SCHEDULE_ERRORS hours), else from the
 * model's own spread moved onto the schedule (a warning says so); sorted, so they never cross.
 * The ancestors' base means (and quantiles) move by the same difference up to the first scheduled
 * ancestor, so a region's model forecast, which did not know the plan, reflects it before
 * reconciliation: the fixed node's siblings then absorb only the usual incoherence.
 */
export function substituteSchedules(x: ScheduleInputs): ScheduledBase {
  const base = new Map([...x.base].map(([id, f]) => [id, { mean: Float64Array.from(f.mean), quantiles: Object.fromEntries(Object.entries(f.quantiles).map(([l, a]) => [l, Float64Array.from(a)])) }]));
  const keys = Object.keys(x.base.get(x.ids[0])!.quantiles).sort((a, b) => Number(a) - Number(b));
  const fixed = new Map<string, Uint8Array>();
  const labels = new Map<string, Array<string | null>>();
  const record: Record<string, ScheduleUse[]> = {};
  const warnings: string[] = [];
  const hourly = new Map<string, Array<Hour | null>>();
  for (const id of x.ids) {
    const pieces = x.inForce.filter((p) => p.seriesId === id);
    if (pieces.length === 0) continue;
    const hours = hourlySchedule(pieces, x.windowStart, x.steps, x.unitOf.get(id)!);
    if (hours.every((h) => h === null)) {
      warnings.push(`${id}: its schedule covers no whole hour of the window; the model's forecast is used`);
      continue;
    }
    hourly.set(id, hours);
  }
  for (const [id, hours] of hourly) {
    const f = base.get(id)!;
    const model = x.base.get(id)!;
    const past = x.past.get(id);
    const errors = past ? scheduleErrors(hourlySchedule(past.planned, past.historyStart, past.history.length, x.unitOf.get(id)!), past.history) : new Float64Array(0);
    const empirical = errors.length >= MIN_SCHEDULE_ERRORS ? x.levels.map((l) => quantile7(errors, l)) : null;
    const fix = new Uint8Array(x.steps);
    const lab: Array<string | null> = new Array(x.steps).fill(null);
    const uses = new Map<string, ScheduleUse>();
    let spreadHours = 0;
    hours.forEach((h, k) => {
      if (!h) return;
      const delta = h.value - model.mean[k];
      const declared = declaredQuantiles(h, x.levels);
      const how: ScheduleUncertainty = declared ? 'declared' : empirical ? 'empirical' : 'model-spread';
      const q = declared ?? (empirical ? empirical.map((e) => h.value + e) : keys.map((l) => h.value + (model.quantiles[l][k] - model.mean[k])));
      if (how === 'model-spread') spreadHours++;
      q.sort((a, b) => a - b);
      f.mean[k] = h.value;
      keys.forEach((l, i) => (f.quantiles[l][k] = q[i]));
      fix[k] = 1;
      lab[k] = h.version;
      for (let up = x.parentOf.get(id) ?? null; up !== null && !hourly.get(up)?.[k] && base.has(up); up = x.parentOf.get(up) ?? null) {
        const a = base.get(up)!;
        a.mean[k] += delta;
        for (const l of keys) a.quantiles[l][k] += delta;
      }
      const key = `${h.version}\0${how}`;
      const at = new Date(x.windowStart.getTime() + k * HOUR_MS);
      const u = uses.get(key) ?? { source: h.source, issuedAt: h.issuedAt.toISOString(), from: at.toISOString(), to: at.toISOString(), hours: 0, uncertainty: how };
      u.to = new Date(at.getTime() + HOUR_MS).toISOString();
      u.hours++;
      uses.set(key, u);
    });
    if (spreadHours > 0) {
      warnings.push(`${id}: ${spreadHours} scheduled hours without declared uncertainty and with fewer than ${MIN_SCHEDULE_ERRORS} past schedule-vs-actual hours (${errors.length}): their bands are the model's spread around the schedule`);
    }
    fixed.set(id, fix);
    labels.set(id, lab);
    record[id] = [...uses.values()];
  }
  return { base, fixed, labels, record, warnings };
}

/**
 * The service step of a run: reads the schedules in force at the run's knowledge time over the
 * window and, for the nodes that have one, the schedules as planned over their history, then
 * substitutes (substituteSchedules). Without a schedule source, or no schedule in the window,
 * the base is returned as it is.
 */
export async function scheduledBase(
  source: ScheduleSource | undefined,
  x: Omit<ScheduleInputs, 'inForce' | 'past'> & { knownAt: Date; history: ReadonlyMap<string, { start: Date; values: Float64Array }> },
): Promise<ScheduledBase> {
  const empty = { base: new Map(x.base), fixed: new Map(), labels: new Map(), record: {}, warnings: [] };
  if (!source) return empty;
  const end = new Date(x.windowStart.getTime() + x.steps * HOUR_MS);
  const inForce = await source.inForce([...x.ids], x.windowStart, end, x.knownAt);
  if (inForce.length === 0) return empty;
  const ids = [...new Set(inForce.map((p) => p.seriesId))];
  const past = new Map<string, { planned: readonly ScheduleEntry[]; history: Float64Array; historyStart: Date }>();
  for (const id of ids) {
    const h = x.history.get(id);
    if (!h || h.values.length === 0) continue;
    const to = new Date(h.start.getTime() + h.values.length * HOUR_MS);
    past.set(id, { planned: await source.asPlanned([id], h.start, to, x.knownAt), history: h.values, historyStart: h.start });
  }
  return substituteSchedules({ ...x, inForce, past });
}

/** Most of a node's measured history its schedules may cover and still be taken out of its fit: beyond it, running to a schedule is how the node runs. */
const MAX_SCHEDULED_SHARE = 0.5;

/**
 * A scheduled node's history without the hours its schedule covered (NaN), for the fit only: those
 * hours are the plan's level (a plant's maintenance stop), not a pattern the model should repeat
 * after the plan is over (a 4-week profile would forecast the stop again a week later). `pieces`:
 * the schedules in force over the history. A node whose schedules cover more than half its measured
 * history keeps it whole (warned). The node's ancestors keep theirs. Pure; returns the changed series only.
 */
export function withoutScheduledHours(
  history: ReadonlyMap<string, { start: Date; values: Float64Array }>,
  pieces: readonly ScheduleEntry[],
  unitOf: ReadonlyMap<string, string>,
): { history: Map<string, Float64Array>; warnings: string[] } {
  const out = new Map<string, Float64Array>();
  const warnings: string[] = [];
  const taken: string[] = [];
  for (const id of [...new Set(pieces.map((p) => p.seriesId))].sort()) {
    const h = history.get(id);
    if (!h || h.values.length === 0) continue;
    const hours = hourlySchedule(pieces.filter((p) => p.seriesId === id), h.start, h.values.length, unitOf.get(id) ?? '');
    const values = Float64Array.from(h.values);
    let covered = 0;
    let measured = 0;
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k])) continue;
      measured++;
      if (hours[k]) (covered++, (values[k] = NaN));
    }
    if (covered === 0) continue;
    if (covered > MAX_SCHEDULED_SHARE * measured) {
      warnings.push(`${id}: schedules cover ${covered} of its ${measured} measured history hours: kept in the fit (the node runs to schedules)`);
      continue;
    }
    out.set(id, values);
    taken.push(`${id} (${covered} h)`);
  }
  if (taken.length > 0) warnings.push(`scheduled hours taken out of the fit (the plan's level, not a pattern): ${taken.join(', ')}`);
  return { history: out, warnings };
}

/** The service step: the schedules in force at the run's knowledge time over the history window, taken out of the fit (withoutScheduledHours). */
export async function fitHistoryWithoutSchedules(
  source: Pick<ScheduleSource, 'inForce'> | undefined,
  x: { ids: readonly string[]; history: ReadonlyMap<string, { start: Date; values: Float64Array }>; unitOf: ReadonlyMap<string, string>; knownAt: Date },
): Promise<{ history: Map<string, Float64Array>; warnings: string[] }> {
  const first = [...x.history.values()][0];
  if (!source || !first || first.values.length === 0) return { history: new Map(), warnings: [] };
  const to = new Date(first.start.getTime() + first.values.length * HOUR_MS);
  return withoutScheduledHours(x.history, await source.inForce([...x.ids], first.start, to, x.knownAt), x.unitOf);
}
