import { describe, expect, it } from 'vitest';
import { inForce, type ScheduleEntry } from '../core/schedule.ts';
import { PlannedWindows } from './planned.ts';
import { scheduleChanges, scheduleValues } from './schedule-plans.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const piece = (seriesId: string, fromH: number, toH: number, value: number, issued = '2026-03-01T08:00:00Z', source = 'plant'): ScheduleEntry => ({
  seriesId,
  start: new Date(T0 + fromH * H),
  end: new Date(T0 + toH * H),
  value,
  unit: 'MW',
  issuedAt: new Date(issued),
  source,
  reason: null,
  p10: null,
  p90: null,
  sd: null,
  receivedAt: new Date(issued),
});

describe('schedules as planned changes for the rupture monitor', () => {
  it('makes one window per run of contiguous pieces of one version, with its time-weighted value and no direction', async () => {
    const pieces = [piece('a', 0, 2, 10), piece('a', 2, 6, 4), piece('a', 8, 9, 1), piece('a', 9, 10, 1, '2026-03-01T09:00:00Z'), piece('b', 0, 1, 3)];
    let asked: unknown;
    const source = scheduleChanges({ inForce: async (...args) => ((asked = args), pieces) });
    const q = { seriesIds: ['a', 'b'], from: new Date(T0), to: new Date(T0 + 24 * H), knownAt: new Date(T0 - H) };
    const windows = await source.windows(q);
    const [ids, from, to, knownAt] = asked as [string[], Date, Date, Date];
    expect([ids, knownAt]).toEqual([q.seriesIds, q.knownAt]);
    expect(from.getTime() <= q.from.getTime() && to.getTime() >= q.to.getTime()).toBe(true);
    expect(windows.map((w) => [w.seriesId, (w.start.getTime() - T0) / H, (w.end.getTime() - T0) / H, w.plannedValue, w.ref, w.kind, w.direction])).toEqual([
      ['a', 0, 6, (2 * 10 + 4 * 4) / 6, 'plant@2026-03-01T08:00:00.000Z', 'schedule', undefined],
      ['a', 8, 9, 1, 'plant@2026-03-01T08:00:00.000Z', 'schedule', undefined],
      ['a', 9, 10, 1, 'plant@2026-03-01T09:00:00.000Z', 'schedule', undefined],
      ['b', 0, 1, 3, 'plant@2026-03-01T08:00:00.000Z', 'schedule', undefined],
    ]);
    // Without a direction a schedule explains a level change either way at its start or its end.
    const known = PlannedWindows.of(windows);
    expect(known.explaining('a', new Date(T0 + 3 * H), 'down', 6)?.edge).toBe('start');
    expect(known.explaining('a', new Date(T0 + 3 * H), 'up', 6)?.edge).toBe('start');
    expect(known.explaining('a', new Date(T0 + 30 * H), 'up', 6)).toBeNull();
  });

  it('gives a window its whole span, not its part inside the asked range (the monitor asks up to its now)', async () => {
    // A 72-hour stop issued before it began, asked about 6 hours into it: the window ends where the schedule does.
    const entries = [piece('a', 0, 72, 5), piece('b', -100, -50, 1), piece('b', 200, 300, 1)];
    const source = scheduleChanges({ inForce: async (ids, from, to, asOf) => inForce(entries.filter((e) => ids.includes(e.seriesId)), from, to, asOf) });
    const windows = await source.windows({ seriesIds: ['a', 'b'], from: new Date(T0 - 24 * H), to: new Date(T0 + 6 * H), knownAt: new Date(T0 + 6 * H) });
    // b's pieces are outside the asked range: no window.
    expect(windows.map((w) => [w.seriesId, (w.start.getTime() - T0) / H, (w.end.getTime() - T0) / H])).toEqual([['a', 0, 72]]);
    // So a shift later under the stop is not taken for its end.
    expect(PlannedWindows.of(windows).explaining('a', new Date(T0 + 30 * H), 'down', 24)).toBeNull();
  });
});

describe('schedules as planned values for schedule-vs-actual accuracy', () => {
  it('gives each scheduled hour of each scheduled series, with its source and version, from the plan as it stood', async () => {
    const values = scheduleValues(
      {
        inForce: async () => [],
        asPlanned: async (ids, from, to) => {
          expect([ids, from.getTime(), to.getTime()]).toEqual([['a'], T0, T0 + 3 * H]);
          return [piece('a', 0, 1.5, 10), piece('a', 1.5, 2, 4, '2026-03-01T09:00:00Z', 'plant')];
        },
        series: async () => ['a'],
      },
      async () => new Map([['a', 'MW']]),
    );
    // A range starting mid-hour is read from the start of its hour; hour 2 has no schedule.
    const got = await values.plannedValues({ from: new Date(T0 + 0.5 * H), to: new Date(T0 + 3 * H) });
    expect(got.map((v) => [(v.ts.getTime() - T0) / H, v.planned, v.source, v.ref])).toEqual([
      [0, 10, 'plant', 'plant@2026-03-01T08:00:00.000Z'],
      [1, 7, 'plant', 'plant@2026-03-01T09:00:00.000Z'],
    ]);
  });
});
