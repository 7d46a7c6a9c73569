import { describe, expect, it } from 'vitest';
import { inForce, type ScheduleEntry } from '../../core/schedule.ts';
import type { SeriesRow } from '../../core/series.ts';
import { fakeTrainingInputs } from '../../test/fakes/training-inputs.ts';
import { trainingWithoutSchedules } from './schedules.ts';

const H = 3_600_000;
const UNTIL = new Date('2026-02-01T00:00:00Z');
const row = (id: string, parent: string | null): SeriesRow => ({ id, parent, kind: 'load', unit: 'MW', timeZone: 'UTC', attrs: {} }) as SeriesRow;
// The plant behind a stops for three days of January; its schedule was issued on the 2nd.
const STOP = { start: Date.parse('2026-01-10T00:00:00Z'), end: Date.parse('2026-01-13T00:00:00Z') };
const stopped = (t: number) => t >= STOP.start && t < STOP.end;
const issuedAt = new Date('2026-01-02T00:00:00Z');
const entries: ScheduleEntry[] = [
  { seriesId: 'a', start: new Date(STOP.start), end: new Date(STOP.end), value: 5, unit: 'MW', issuedAt, source: 'plant', reason: 'maintenance', p10: null, p90: null, sd: null, receivedAt: issuedAt },
];
const schedules = { inForce: async (ids: string[], from: Date, to: Date, asOf: Date) => inForce(entries.filter((e) => ids.includes(e.seriesId)), from, to, asOf) };

describe('training without scheduled hours', () => {
  it('leaves the hours a schedule covered out of the scheduled node’s history, not its parent’s, and says so', async () => {
    const source = fakeTrainingInputs({
      rows: [row('grid', null), row('a', 'grid'), row('b', 'grid')],
      series: { a: { load: (t) => (stopped(t) ? 5 : 100) }, b: { load: () => 60 }, grid: { load: (t) => (stopped(t) ? 65 : 160) } },
      until: UNTIL,
    });
    const req = { seriesIds: ['a', 'b', 'grid'], origin: UNTIL, historyDays: 28, horizonSteps: 0 };
    const raw = await source.load(req);
    const clean = await trainingWithoutSchedules(source, schedules, () => UNTIL).load(req);
    const start = clean.history.get('a')!.start.getTime();
    const gone: number[] = [];
    for (let k = 0; k < 28 * 24; k++) {
      const v = clean.history.get('a')!.values[k];
      if (Number.isNaN(v)) gone.push(start + k * H);
      else expect(v).toBe(raw.history.get('a')!.values[k]);
      expect(clean.history.get('grid')!.values[k]).toBe(raw.history.get('grid')!.values[k]);
      expect(clean.history.get('b')!.values[k]).toBe(raw.history.get('b')!.values[k]);
    }
    expect(gone).toEqual(Array.from({ length: 72 }, (_, i) => STOP.start + i * H));
    expect(clean.warnings).toContain("scheduled hours taken out of the fit (the plan's level, not a pattern): a (72 h)");
    // A training as of before the schedule was issued sees the stop as it was.
    const before = await trainingWithoutSchedules(source, schedules, () => new Date('2026-01-01T00:00:00Z')).load(req);
    expect(before.history.get('a')!.values).toEqual(raw.history.get('a')!.values);
  });
});
