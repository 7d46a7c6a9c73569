import type { PlannedChangeSource, PlannedWindow } from '../core/planned.ts';
import { versionLabel, type ScheduleEntry } from '../core/schedule.ts';
import { hourlySchedule } from '../forecast/run/schedules.ts';
import type { PlannedValuesSource } from './planned-accuracy.service.ts';

const HOUR_MS = 3_600_000;

/** What the schedule plans read: the pieces in force at a time, and the plan as it stood before each instant. */
export interface SchedulePieces {
  inForce(ids: string[], from: Date, to: Date, asOf: Date): Promise<ScheduleEntry[]>;
  asPlanned(ids: string[], from: Date, to: Date, asOf: Date): Promise<ScheduleEntry[]>;
  /** The series with any schedule over [from, to). */
  series(from: Date, to: Date): Promise<string[]>;
}

/**
 * How far around the asked range the pieces are read: a window is the whole run of its pieces, not
 * its part inside the range. The monitor asks up to its `now`; a window clipped there would end at
 * every check, so the detector would stop skipping the plan's hours and the clipped end would
 * "explain" each further shift under the plan as the plan's end.
 */
const REACH_MS = 366 * 86_400_000;

/**
 * Schedules as a source of planned changes for the rupture monitor: each run of contiguous pieces of
 * one version is one window, with no direction (a schedule says the level, not which way it moves)
 * and its time-weighted mean as the planned value.
 */
export function scheduleChanges(pieces: Pick<SchedulePieces, 'inForce'>): PlannedChangeSource {
  return {
    name: 'schedules',
    async windows(q) {
      const windows: PlannedWindow[] = [];
      let open: { w: PlannedWindow; weighted: number } | null = null;
      const close = () => {
        if (!open) return;
        open.w.plannedValue = open.weighted / (open.w.end.getTime() - open.w.start.getTime());
        windows.push(open.w);
        open = null;
      };
      const reach = (d: Date, sign: number) => new Date(d.getTime() + sign * REACH_MS);
      for (const p of await pieces.inForce(q.seriesIds, reach(q.from, -1), reach(q.to, 1), q.knownAt)) {
        const ref = versionLabel(p);
        const span = p.end.getTime() - p.start.getTime();
        if (open && open.w.seriesId === p.seriesId && open.w.ref === ref && open.w.end.getTime() === p.start.getTime()) {
          open.w.end = p.end;
          open.weighted += p.value * span;
          continue;
        }
        close();
        open = { w: { seriesId: p.seriesId, start: p.start, end: p.end, kind: 'schedule', source: p.source, ref, version: 1 }, weighted: p.value * span };
      }
      close();
      return windows.filter((w) => w.end.getTime() > q.from.getTime() && w.start.getTime() < q.to.getTime());
    },
  };
}

/** Schedules as planned hourly values (the plan as it stood before each hour), for schedule-vs-actual accuracy per source. */
export function scheduleValues(pieces: SchedulePieces, units: (ids: string[]) => Promise<Map<string, string>>, now: () => Date = () => new Date()): PlannedValuesSource {
  return {
    name: 'schedules',
    async plannedValues(q) {
      const ids = await pieces.series(q.from, q.to);
      if (ids.length === 0) return [];
      const unitOf = await units(ids);
      const from = new Date(Math.floor(q.from.getTime() / HOUR_MS) * HOUR_MS);
      const steps = Math.max(0, Math.ceil((q.to.getTime() - from.getTime()) / HOUR_MS));
      const all = await pieces.asPlanned(ids, from, new Date(from.getTime() + steps * HOUR_MS), now());
      return ids.flatMap((id) =>
        hourlySchedule(all.filter((p) => p.seriesId === id), from, steps, unitOf.get(id) ?? '').flatMap((h, k) =>
          h ? [{ seriesId: id, ts: new Date(from.getTime() + k * HOUR_MS), planned: h.value, ref: h.version, version: 1, source: h.source }] : [],
        ),
      );
    },
  };
}
