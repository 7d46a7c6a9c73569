import { describe, expect, it } from 'vitest';
import type { ResidualHour } from '../core/monitor-state.ts';
import { fakeEvents } from '../test/fakes/events.ts';
import { fakeMonitorState, fakeResiduals } from '../test/fakes/monitor-state.ts';
import { detectRuptures } from './rupture.service.ts';
import { normalDraws, seededRandom } from '../core/random.ts';
import type { PlannedChangeSource } from '../core/planned.ts';
import { fakeTransfers } from '../test/fakes/transfers.ts';
import { transferChanges } from './planned.ts';
import { inForce, type ScheduleEntry } from '../core/schedule.ts';
import { scheduleChanges } from './schedule-plans.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** Hourly day-ahead residual hours: a daily profile forecast, AR(1) errors of 4 % of level, an optional step and spike. */
function simulate(hours: number, opts: { stepAt?: number; step?: number; spikeAt?: number; seed: number; adaptAt?: number; common?: (t: number) => number }): ResidualHour[] {
  const draw = normalDraws(seededRandom(opts.seed));
  let e = 0;
  return Array.from({ length: hours }, (_, t) => {
    const base = 100 + 20 * Math.sin((2 * Math.PI * (t % 24)) / 24);
    const level = (from?: number) => (from !== undefined && t >= from ? 1 + (opts.step ?? 0) : 1);
    // from adaptAt on, what is published (the fallback, then the model refitted after the rupture) has the new level
    const forecast = base * level(opts.adaptAt);
    e = 0.8 * e + 0.6 * 4 * draw();
    // a shock shared by siblings (weather, a holiday): the same relative error for all of them
    let actual = base * level(opts.stepAt) * (1 + (opts.common?.(t) ?? 0)) + e;
    if (t === opts.spikeAt) actual *= 3;
    return { ts: new Date(T0 + t * HOUR), actual, forecast, modelVersion: 'load@3', fallbackReason: null };
  });
}

async function hourly(series: Map<string, ResidualHour[]>, fromHour: number, toHour: number, parent?: Map<string, string>, planned?: PlannedChangeSource[]) {
  const states = fakeMonitorState();
  const events = fakeEvents();
  for (let t = fromHour; t <= toHour; t++) {
    // the residual of hour t-1 is known at hour t
    const now = new Date(T0 + t * HOUR);
    const visible = new Map([...series].map(([id, hs]) => [id, hs.filter((h) => h.ts.getTime() < now.getTime())]));
    await detectRuptures({ states, residuals: fakeResiduals(visible, parent), events, now: () => now, ...(planned && { planned }) });
  }
  return { states, events };
}

describe('rupture service', () => {
  it('detects a 30 % step down within a day, switches to the fallback with events, and returns after 14 days', async () => {
    const stepAt = 40 * 24 + 7;
    const series = new Map([
      ['a', simulate(60 * 24, { stepAt, step: -0.3, seed: 1, adaptAt: stepAt + 48 })],
      ['b', simulate(60 * 24, { seed: 2, spikeAt: 45 * 24 })],
    ]);
    const { states, events } = await hourly(series, 20 * 24, stepAt + 16 * 24);
    const ruptures = events.rows.filter((e) => e.kind === 'rupture');
    expect(ruptures.map((e) => e.seriesId)).toEqual(['a']);
    const r = ruptures[0];
    const delayHours = (r.at.getTime() - (T0 + stepAt * HOUR)) / HOUR;
    expect(delayHours).toBeLessThanOrEqual(24);
    expect(r.modelVersion).toBe('load@3');
    expect(r.detail).toMatchObject({ detector: 'window-mean', side: 'down', statistic: expect.any(Number), threshold: expect.any(Number) });
    expect(r.detail.statistic as number).toBeLessThanOrEqual(-(r.detail.threshold as number));
    expect(r.detail.threshold as number).toBeGreaterThanOrEqual(0.1);
    expect(r.detail.shift as number).toBeLessThan(-0.2);
    // the estimated change is close to the true step
    expect(Math.abs(Date.parse(r.detail.ruptureAt as string) - (T0 + stepAt * HOUR)) / HOUR).toBeLessThanOrEqual(6);
    const on = events.rows.find((e) => e.kind === 'fallback-on')!;
    expect(on).toMatchObject({ seriesId: 'a', modelVersion: 'load@3', at: r.at, detail: { reason: 'rupture' } });
    const off = events.rows.find((e) => e.kind === 'fallback-off')!;
    expect(off.seriesId).toBe('a');
    expect((off.at.getTime() - Date.parse(r.detail.ruptureAt as string)) / 86_400_000).toBeGreaterThanOrEqual(14);
    // recalibrated at once on the residuals before the rupture
    expect(states.rows.get('a')).toMatchObject({ mode: 'model', detector: { pending: null }, ruptureAt: new Date(r.detail.ruptureAt as string) });
    expect(states.rows.get('b')!.mode).toBe('model');
  });

  it('recalibrates a detector stored by the first rule (a CUSUM) at its next check, going on from the hour it had read', async () => {
    const states = fakeMonitorState();
    const hours = simulate(30 * 24, { seed: 4 });
    const legacy = { center: 0, scale: 4, k: 0.5, h: 60, calibratedAlarmsPerYear: 1, calibratedOn: 480, calibratedAt: new Date(T0 + 20 * 24 * HOUR).toISOString(), cusum: { up: 3, down: 0, upRun: 2, downRun: 0 }, lastTs: hours[25 * 24].ts.toISOString(), pending: null };
    await states.save({ seriesId: 'd', mode: 'model', since: new Date(T0), ruptureAt: null, detector: legacy, modelVersion: 'load@3' }, new Date(T0 + 25 * 24 * HOUR));
    const now = new Date(T0 + 30 * 24 * HOUR);
    await detectRuptures({ states, residuals: fakeResiduals(new Map([['d', hours]])), events: fakeEvents(), now: () => now });
    const d = states.rows.get('d')!.detector!;
    expect(d).toMatchObject({ rule: 3, peers: null, windowHours: 24, calibratedAt: now.toISOString(), lastTs: hours[hours.length - 1].ts.toISOString(), pending: null });
    // the hours after the legacy detector's last one were read into the window
    expect(d.rule === 3 && d.window.length).toBe(24);
  });

  it('reads a series against its siblings: a shock they share is no rupture, a step of its own still is', async () => {
    // Common weather-like errors: a few whole days 30 % under, plus a daily wave all siblings share.
    const shockDays = new Set([25, 31, 44, 47]);
    const common = (t: number) => (shockDays.has(Math.floor(t / 24)) ? 0.3 : 0) + 0.06 * Math.sin((2 * Math.PI * t) / (24 * 9));
    const stepAt = 44 * 24 + 5;
    const make = () =>
      new Map([
        ['a', simulate(52 * 24, { seed: 11, common, stepAt, step: -0.3, adaptAt: stepAt + 48 })],
        ['b', simulate(52 * 24, { seed: 12, common })],
        ['c', simulate(52 * 24, { seed: 13, common })],
        ['d', simulate(52 * 24, { seed: 14, common })],
      ]);
    const parent = new Map(['a', 'b', 'c', 'd'].map((id) => [id, 'top']));
    const withSiblings = await hourly(make(), 20 * 24, 51 * 24, parent);
    const ruptures = withSiblings.events.rows.filter((e) => e.kind === 'rupture');
    expect(ruptures.map((e) => e.seriesId)).toEqual(['a']);
    expect((ruptures[0].at.getTime() - (T0 + stepAt * HOUR)) / HOUR).toBeLessThanOrEqual(24);
    expect(ruptures[0].detail.peers).toMatchObject({ count: 3, lambda: expect.any(Number) });
    // the three siblings share the shocks one for one: their weights add up to about one
    const w = Object.values((ruptures[0].detail.peers as { weights: Record<string, number> }).weights);
    expect(w.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.6);
    expect(w.reduce((a, b) => a + b, 0)).toBeLessThan(1.3);
    expect(ruptures[0].detail.reason).toMatch(/beyond what its siblings moved \(\d of 3 weighed\)$/);
    // The same series as roots (no siblings): the shared shocks raise false ruptures.
    const alone = await hourly(make(), 20 * 24, 51 * 24);
    const falseOnes = alone.events.rows.filter((e) => e.kind === 'rupture' && e.seriesId !== 'a');
    expect(falseOnes.length).toBeGreaterThan(0);
  });

  it('leaves a series without enough residuals uncalibrated', async () => {
    const states = fakeMonitorState();
    const now = new Date(T0 + 5 * 24 * HOUR);
    const r = await detectRuptures({ states, residuals: fakeResiduals(new Map([['c', simulate(5 * 24, { seed: 3 })]])), events: fakeEvents(), now: () => now });
    expect(r).toMatchObject({ checked: 1, uncalibrated: ['c'], ruptures: [] });
    expect(states.rows.get('c')).toMatchObject({ mode: 'model', detector: null });
  });

  it('logs a level change a planned transfer explains as `planned`, with no rupture and no fallback switch; the same step without the plan is a rupture', async () => {
    // 30 % of a's load goes to b for 10 days from stepAt; the published forecasts do not know it (the plan came late).
    const stepAt = 40 * 24 + 7;
    const endAt = stepAt + 10 * 24;
    const during = (plain: ResidualHour[], stepped: ResidualHour[]) => plain.map((h, t) => (t >= stepAt && t < endAt ? stepped[t] : h));
    const make = () =>
      new Map([
        ['a', during(simulate(56 * 24, { seed: 21 }), simulate(56 * 24, { seed: 21, stepAt, step: -0.3 }))],
        ['b', during(simulate(56 * 24, { seed: 22 }), simulate(56 * 24, { seed: 22, stepAt, step: 0.3 }))],
      ]);
    const transfers = fakeTransfers();
    const iso = (h: number) => new Date(T0 + h * HOUR).toISOString();
    await transfers.append([{ ref: 'SW-9', source: 'dso', from_node: 'a', to_node: 'b', start: iso(stepAt), end: iso(endAt), share: 0.3, issued_at: iso(stepAt + 2), status: 'planned' }]);
    const known = await hourly(make(), 20 * 24, 55 * 24, undefined, [transferChanges(transfers)]);
    expect(known.events.rows.filter((e) => e.kind !== 'planned')).toEqual([]);
    const planned = known.events.rows.filter((e) => e.kind === 'planned');
    expect(planned.map((e) => e.seriesId).sort()).toEqual(['a', 'b']);
    const a = planned.find((e) => e.seriesId === 'a')!;
    expect(a).toMatchObject({ severity: 'info', modelVersion: 'load@3', detail: { edge: 'start', side: 'down', plan: { kind: 'transfer', source: 'dso', ref: 'SW-9', version: 1, share: 0.3, direction: 'down' } } });
    expect((a.at.getTime() - (T0 + stepAt * HOUR)) / HOUR).toBeLessThanOrEqual(24);
    expect(planned.find((e) => e.seriesId === 'b')!.detail).toMatchObject({ side: 'up', plan: { direction: 'up' } });
    for (const id of ['a', 'b']) expect(known.states.rows.get(id)!.mode).toBe('model');

    const blind = await hourly(make(), 20 * 24, 55 * 24);
    expect(blind.events.rows.filter((e) => e.kind === 'rupture').map((e) => e.seriesId).sort()).toEqual(['a', 'b']);
    expect(blind.events.rows.filter((e) => e.kind === 'fallback-on')).toHaveLength(2);
    expect(blind.events.rows.filter((e) => e.kind === 'planned')).toEqual([]);
  });

  it('logs the stop a schedule explains (a large consumer down to its auxiliaries) as `planned`, with no rupture and no fallback switch; the same stop without the schedule is a rupture', async () => {
    // a's load falls to 10 % for 3 days from stepAt; its schedule says so, issued 2 h after the stop began
    // (the published forecasts do not know it); b, its sibling, is unchanged.
    const stepAt = 40 * 24 + 6;
    const endAt = stepAt + 3 * 24;
    const stopped = (plain: ResidualHour[], low: ResidualHour[]) => plain.map((h, t) => (t >= stepAt && t < endAt ? low[t] : h));
    const make = () =>
      new Map([
        ['a', stopped(simulate(48 * 24, { seed: 31 }), simulate(48 * 24, { seed: 31, stepAt, step: -0.9 }))],
        ['b', simulate(48 * 24, { seed: 32 })],
      ]);
    const parent = new Map([['a', 'top'], ['b', 'top']]);
    const issuedAt = new Date(T0 + (stepAt + 2) * HOUR);
    const entries: ScheduleEntry[] = [
      { seriesId: 'a', start: new Date(T0 + stepAt * HOUR), end: new Date(T0 + endAt * HOUR), value: 10, unit: 'MW', issuedAt, source: 'plant', reason: 'maintenance', p10: null, p90: null, sd: null, receivedAt: issuedAt },
    ];
    // The pieces in force as the schedule repository gives them (store/schedules.repository.ts applies the same rule).
    const pieces = { inForce: async (ids: string[], from: Date, to: Date, asOf: Date) => inForce(entries.filter((e) => ids.includes(e.seriesId)), from, to, asOf) };
    const known = await hourly(make(), 20 * 24, 47 * 24, parent, [scheduleChanges(pieces)]);
    expect(known.events.rows.filter((e) => e.kind !== 'planned')).toEqual([]);
    const planned = known.events.rows.filter((e) => e.kind === 'planned');
    expect(planned.map((e) => e.seriesId)).toEqual(['a']);
    expect(planned[0]).toMatchObject({ severity: 'info', detail: { edge: 'start', side: 'down', plan: { kind: 'schedule', source: 'plant', ref: `plant@${issuedAt.toISOString()}`, plannedValue: 10 } } });
    expect(planned[0].at.getTime()).toBeGreaterThanOrEqual(issuedAt.getTime());
    expect((planned[0].at.getTime() - (T0 + stepAt * HOUR)) / HOUR).toBeLessThanOrEqual(24);
    expect(known.states.rows.get('a')!.mode).toBe('model');

    const blind = await hourly(make(), 20 * 24, 47 * 24, parent);
    expect(blind.events.rows.filter((e) => e.kind === 'rupture').map((e) => e.seriesId)).toEqual(['a']);
    expect(blind.events.rows.filter((e) => e.kind === 'fallback-on').map((e) => e.seriesId)).toEqual(['a']);
    expect(blind.events.rows.filter((e) => e.kind === 'planned')).toEqual([]);
    expect(blind.states.rows.get('a')!.mode).toBe('fallback');
  });
});
