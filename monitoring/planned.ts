import { transferWindows, type PlannedChangeSource, type PlannedWindow, type TransferStore } from '../core/planned.ts';

/**
 * What the monitor knows of plans (issue 14 part 5): the windows of every planned change source
 * (transfers: monitoring/planned.ts; schedules: monitoring/schedule-plans.ts), read once per check.
 */
export class PlannedWindows {
  private constructor(private readonly bySeries: Map<string, PlannedWindow[]>) {}

  static none(): PlannedWindows {
    return new PlannedWindows(new Map());
  }

  /** The windows of `seriesIds` overlapping [from, to) as planned at `knownAt`, from every source. */
  static async read(sources: PlannedChangeSource[], q: { seriesIds: string[]; from: Date; to: Date; knownAt: Date }): Promise<PlannedWindow[]> {
    if (sources.length === 0 || q.seriesIds.length === 0) return [];
    return (await Promise.all(sources.map((s) => s.windows(q)))).flat();
  }

  static of(windows: PlannedWindow[]): PlannedWindows {
    const by = new Map<string, PlannedWindow[]>();
    for (const w of windows) by.set(w.seriesId, [...(by.get(w.seriesId) ?? []), w]);
    return new PlannedWindows(by);
  }

  /** Whether a plan changes the series' level at this time (its hours are the plan's, not the model's). */
  covers(seriesId: string, ts: Date): boolean {
    const t = ts.getTime();
    return (this.bySeries.get(seriesId) ?? []).some((w) => w.start.getTime() <= t && t < w.end.getTime());
  }

  /**
   * The plan explaining a level change of the series estimated at `changeAt` in direction `side`:
   * a window starting within `slackHours` of it (the level moves its way) or ending so (the level
   * moves back). A plan that does not say its direction (a schedule) explains either side.
   */
  explaining(seriesId: string, changeAt: Date, side: 'up' | 'down', slackHours: number): { window: PlannedWindow; edge: 'start' | 'end' } | null {
    const near = (d: Date) => Math.abs(d.getTime() - changeAt.getTime()) <= slackHours * 3_600_000;
    const back = (s: 'up' | 'down') => (s === 'up' ? 'down' : 'up');
    for (const w of this.bySeries.get(seriesId) ?? []) {
      if (near(w.start) && (!w.direction || w.direction === side)) return { window: w, edge: 'start' };
      if (near(w.end) && (!w.direction || back(w.direction) === side)) return { window: w, edge: 'end' };
    }
    return null;
  }
}

/** Planned transfers as a source of planned changes: each in force gives its two windows (core/planned.ts transferWindows). */
export function transferChanges(store: Pick<TransferStore, 'inForce'>): PlannedChangeSource {
  return {
    name: 'transfers',
    async windows(q) {
      const ids = new Set(q.seriesIds);
      return (await store.inForce(q)).flatMap(transferWindows).filter((w) => ids.has(w.seriesId));
    },
  };
}
