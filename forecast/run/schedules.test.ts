import { describe, expect, it } from 'vitest';
import type { ScheduleEntry } from '../../core/schedule.ts';
import { inForce } from '../../core/schedule.ts';
import { declaredQuantiles, hourlySchedule, MIN_SCHEDULE_ERRORS, scheduledBase, substituteSchedules, withoutScheduledHours } from './schedules.ts';
import type { ScheduleSource } from './ports.ts';

const t = (iso: string) => new Date(iso);
const entry = (e: Partial<ScheduleEntry> & Pick<ScheduleEntry, 'start' | 'end' | 'value'>): ScheduleEntry => ({
  seriesId: 'c',
  unit: 'MW',
  issuedAt: t('2026-01-01T00:00:00Z'),
  source: 'plant',
  reason: null,
  p10: null,
  p90: null,
  sd: null,
  receivedAt: t('2026-01-01T00:00:00Z'),
  ...e,
});
const START = t('2026-03-01T00:00:00Z');

describe('hourly schedules', () => {
  it('averages a power over the hour, prorates an energy, and leaves a partly covered hour to the model', () => {
    const pieces = inForce(
      [
        entry({ start: t('2026-03-01T00:00:00Z'), end: t('2026-03-01T00:30:00Z'), value: 10 }),
        entry({ start: t('2026-03-01T00:30:00Z'), end: t('2026-03-01T02:00:00Z'), value: 20 }),
        entry({ start: t('2026-03-01T02:00:00Z'), end: t('2026-03-01T02:45:00Z'), value: 5 }),
      ],
      START,
      t('2026-03-01T04:00:00Z'),
      t('2026-02-01T00:00:00Z'),
    );
    expect(hourlySchedule(pieces, START, 4, 'MW').map((h) => h?.value ?? null)).toEqual([15, 20, null, null]);
    // 20 MWh over 90 minutes: 2/3 of it falls in the second hour.
    const energy = hourlySchedule(pieces, START, 2, 'MWh').map((h) => h!.value);
    expect(energy[0]).toBeCloseTo(10 + 20 / 3, 12);
    expect(energy[1]).toBeCloseTo((20 * 2) / 3, 12);
  });

  it('declared uncertainty: p10 and p90 are reproduced at 0.1 and 0.9, an sd gives a normal band', () => {
    const [h] = hourlySchedule([entry({ start: START, end: t('2026-03-01T01:00:00Z'), value: 5, p10: 4, p90: 8 })], START, 1, 'MW');
    const q = declaredQuantiles(h!, [0.1, 0.5, 0.9])!;
    expect(q[0]).toBeCloseTo(4, 9);
    expect(q[1]).toBeCloseTo(5, 9);
    expect(q[2]).toBeCloseTo(8, 9);
    const [s] = hourlySchedule([entry({ start: START, end: t('2026-03-01T01:00:00Z'), value: 5, sd: 2 })], START, 1, 'MW');
    expect(declaredQuantiles(s!, [0.5, 0.975])![1]).toBeCloseTo(5 + 1.959964 * 2, 5);
  });
});

describe('substituteSchedules', () => {
  const levels = [0.1, 0.5, 0.9];
  const flat = (v: number, n: number) => ({ mean: new Float64Array(n).fill(v), quantiles: { '0.1': new Float64Array(n).fill(v - 2), '0.5': new Float64Array(n).fill(v), '0.9': new Float64Array(n).fill(v + 2) } });
  const base = new Map([['r', flat(50, 3)], ['c', flat(30, 3)], ['d', flat(20, 3)]]);
  const common = { ids: ['r', 'c', 'd'], parentOf: new Map([['r', null], ['c', 'r'], ['d', 'r']]), unitOf: new Map([['r', 'MW'], ['c', 'MW'], ['d', 'MW']]), base, levels, windowStart: START, steps: 3 };
  const plan = [entry({ start: t('2026-03-01T01:00:00Z'), end: t('2026-03-01T03:00:00Z'), value: 6 })];

  it('replaces the scheduled hours, fixes them, moves the parent by the same difference, and labels the version', () => {
    const s = substituteSchedules({ ...common, inForce: plan, past: new Map() });
    expect([...s.base.get('c')!.mean]).toEqual([30, 6, 6]);
    expect([...s.fixed.get('c')!]).toEqual([0, 1, 1]);
    expect([...s.base.get('r')!.mean]).toEqual([50, 26, 26]);
    expect([...s.base.get('d')!.mean]).toEqual([20, 20, 20]);
    expect(s.labels.get('c')).toEqual([null, 'plant@2026-01-01T00:00:00.000Z', 'plant@2026-01-01T00:00:00.000Z']);
    // No declared band, no past errors: the model's spread around the schedule, said in a warning.
    expect([...s.base.get('c')!.quantiles['0.9']]).toEqual([32, 8, 8]);
    expect(s.record.c).toEqual([{ source: 'plant', issuedAt: '2026-01-01T00:00:00.000Z', from: '2026-03-01T01:00:00.000Z', to: '2026-03-01T03:00:00.000Z', hours: 2, uncertainty: 'model-spread' }]);
    expect(s.warnings[0]).toMatch(/^c: 2 scheduled hours without declared uncertainty/);
    // The input is left as it was.
    expect(base.get('c')!.mean[1]).toBe(30);
  });

  it('takes the empirical quantiles of the past errors once there are enough of them', () => {
    const n = MIN_SCHEDULE_ERRORS;
    const historyStart = t('2026-02-20T00:00:00Z');
    const planned = [entry({ start: historyStart, end: new Date(historyStart.getTime() + n * 3_600_000), value: 10, issuedAt: t('2026-02-01T00:00:00Z') })];
    // Actual − plan runs evenly over −1 … +1.
    const history = Float64Array.from({ length: n }, (_, k) => 10 - 1 + (2 * k) / (n - 1));
    const s = substituteSchedules({ ...common, inForce: plan, past: new Map([['c', { planned, history, historyStart }]]) });
    expect(s.base.get('c')!.quantiles['0.1'][1]).toBeCloseTo(6 - 0.8, 12);
    expect(s.base.get('c')!.quantiles['0.9'][1]).toBeCloseTo(6 + 0.8, 12);
    expect(s.record.c[0].uncertainty).toBe('empirical');
    const few = substituteSchedules({ ...common, inForce: plan, past: new Map([['c', { planned, history: history.slice(0, n - 1), historyStart }]]) });
    expect(few.record.c[0].uncertainty).toBe('model-spread');
  });
});

describe('scheduledBase (the run step, over a fake schedule source)', () => {
  const base = new Map([['r', { mean: Float64Array.of(9, 9), quantiles: { '0.5': Float64Array.of(9, 9) } }], ['c', { mean: Float64Array.of(4, 4), quantiles: { '0.5': Float64Array.of(4, 4) } }]]);
  const x = {
    ids: ['r', 'c'],
    parentOf: new Map([['r', null], ['c', 'r']]),
    unitOf: new Map([['r', 'MW'], ['c', 'MW']]),
    base,
    levels: [0.5],
    windowStart: START,
    steps: 2,
    knownAt: t('2026-02-28T12:00:00Z'),
    history: new Map([['c', { start: t('2026-02-27T00:00:00Z'), values: new Float64Array(24).fill(4) }]]),
  };

  it('asks for the schedules in force at the knowledge time over the window, and the past plans only of scheduled series', async () => {
    const calls: string[] = [];
    const source: ScheduleSource = {
      inForce: async (ids, from, to, asOf) => {
        calls.push(`inForce ${ids.join(',')} ${from.toISOString()} ${to.toISOString()} ${asOf.toISOString()}`);
        return [entry({ start: START, end: t('2026-03-01T01:00:00Z'), value: 1 })];
      },
      asPlanned: async (ids, from, to, asOf) => {
        calls.push(`asPlanned ${ids.join(',')} ${from.toISOString()} ${to.toISOString()} ${asOf.toISOString()}`);
        return [];
      },
    };
    const s = await scheduledBase(source, x);
    expect(calls).toEqual([
      'inForce r,c 2026-03-01T00:00:00.000Z 2026-03-01T02:00:00.000Z 2026-02-28T12:00:00.000Z',
      'asPlanned c 2026-02-27T00:00:00.000Z 2026-02-28T00:00:00.000Z 2026-02-28T12:00:00.000Z',
    ]);
    expect([...s.base.get('c')!.mean]).toEqual([1, 4]);
    expect([...s.base.get('r')!.mean]).toEqual([6, 9]);
  });

  it('leaves the base as it is without a source or without a schedule in the window', async () => {
    expect((await scheduledBase(undefined, x)).fixed.size).toBe(0);
    const none: ScheduleSource = { inForce: async () => [], asPlanned: async () => { throw new Error('not asked'); } };
    const s = await scheduledBase(none, x);
    expect(s.base.get('c')).toBe(base.get('c'));
    expect(s.record).toEqual({});
  });
});

describe('withoutScheduledHours (the fit history of a scheduled node)', () => {
  const H = 3_600_000;
  const at = (h: number) => new Date(START.getTime() + h * H);
  const series = (n: number, f: (k: number) => number) => ({ start: START, values: Float64Array.from({ length: n }, (_, k) => f(k)) });

  it('takes the hours a schedule covered out of the node\'s fit, leaves its ancestors and the hours around, and says so', () => {
    // c stops for hours 24–47 of 96 (its schedule says 5 MW); p is its parent.
    const history = new Map([
      ['c', series(96, (k) => (k >= 24 && k < 48 ? 4 : 150))],
      ['p', series(96, (k) => (k >= 24 && k < 48 ? 504 : 650))],
    ]);
    const pieces = inForce([entry({ start: at(24), end: at(48), value: 5 }), entry({ start: at(200), end: at(210), value: 1 })], START, at(96), at(30));
    const r = withoutScheduledHours(history, pieces, new Map([['c', 'MW'], ['p', 'MW']]));
    expect([...r.history.keys()]).toEqual(['c']);
    const c = r.history.get('c')!;
    expect([...c].map((v, k) => [k, Number.isNaN(v)]).filter(([, nan]) => nan).map(([k]) => k)).toEqual(Array.from({ length: 24 }, (_, i) => 24 + i));
    expect(c[23]).toBe(150);
    expect(c[48]).toBe(150);
    // The stored history is not changed (the schedule's empirical bands read it).
    expect(history.get('c')!.values[30]).toBe(4);
    expect(r.warnings).toEqual(["scheduled hours taken out of the fit (the plan's level, not a pattern): c (24 h)"]);
  });

  it('keeps the history of a node that runs to schedules most of the time', () => {
    const history = new Map([['c', series(48, () => 80)]]);
    const r = withoutScheduledHours(history, inForce([entry({ start: at(0), end: at(30), value: 80 })], START, at(48), at(48)), new Map([['c', 'MW']]));
    expect(r.history.size).toBe(0);
    expect(r.warnings).toEqual(['c: schedules cover 30 of its 48 measured history hours: kept in the fit (the node runs to schedules)']);
  });
});
