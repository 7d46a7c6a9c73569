import { describe, expect, it } from 'vitest';
import { ConfigSchema, RECONCILIATION_METHODS } from '../../core/config.ts';
import type { ForecastRow } from '../../core/forecast-run.ts';
import type { TransferInput } from '../../core/planned.ts';
import type { Topology } from '../../core/topology/schema.ts';
import { fakeRunInputs, type FakeSeries } from '../../test/fakes/run-inputs.ts';
import { fakeRunStore } from '../../test/fakes/run-store.ts';
import { inlineGroups } from './workers.ts';
import { fakeTransfers } from '../../test/fakes/transfers.ts';
import { PLANNED_TRANSFER } from './pipeline.ts';
import type { RunDeps } from './ports.ts';
import { reproduceRun, runForecast } from './service.ts';

// A run with planned transfers, against an in-memory store and generated inputs.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONE = 'Europe/Paris';
const CLOCK = new Date('2026-01-12T08:20:00Z');
// The day-ahead window of CLOCK: the Paris day 2026-01-13.
const WINDOW = { start: Date.parse('2026-01-12T23:00:00Z'), end: Date.parse('2026-01-13T23:00:00Z') };
const node = (id: string, parent: string | null) => ({ id, parent, kind: 'load' as const, unit: 'MW', timeZone: ZONE, attrs: {} });
const TOPOLOGY: Topology = { timeZone: ZONE, nodes: [node('grid', null), node('a', 'grid'), node('b', 'grid')] };
const profile = (level: number) => (ms: number) => level + 10 * Math.sin((2 * Math.PI * (ms / HOUR)) / 24) + (Math.floor(ms / DAY) % 7);
const SERIES: Record<string, FakeSeries> = { grid: { load: (t) => profile(100)(t) + profile(200)(t) }, a: { load: profile(100) }, b: { load: profile(200) } };

const config = (reconciliation: (typeof RECONCILIATION_METHODS)[number]) =>
  ConfigSchema.parse({ timeZone: ZONE, forecast: { defaultModel: { kind: 'seasonal-naive', params: { period: 'week' } }, historyDays: 21, reconciliation } });

const works = (over: Partial<TransferInput> = {}): TransferInput => ({
  ref: 'SW-17',
  source: 'dso',
  from_node: 'a',
  to_node: 'b',
  start: new Date(WINDOW.start + 6 * HOUR).toISOString(),
  end: new Date(WINDOW.start + 18 * HOUR).toISOString(),
  share: 0.3,
  issued_at: '2026-01-05T09:00:00Z',
  status: 'planned',
  ...over,
});

function setup(method: (typeof RECONCILIATION_METHODS)[number], series = SERIES, transfers = fakeTransfers()) {
  const store = fakeRunStore({ topology: TOPOLOGY });
  const deps: RunDeps = { store, inputs: fakeRunInputs(series), workers: inlineGroups, config: config(method), now: () => CLOCK, transfers };
  return { store, deps, transfers };
}

const hourly = (rows: ForecastRow[], id: string) => rows.filter((r) => r.seriesId === id && r.grain === '1h');

describe('a run with a planned transfer', () => {
  it.each(RECONCILIATION_METHODS)('moves share·(from-node forecast) from a to b over the transfer, leaves their parent unchanged, labels the values (%s)', async (method) => {
    const plain = setup(method);
    const without = await plain.store.readValues((await runForecast(plain.deps, { horizon: 'day-ahead' })).runId);
    const planned = setup(method);
    await planned.transfers.append([works()]);
    const s = await runForecast(planned.deps, { horizon: 'day-ahead' });
    const withT = await planned.store.readValues(s.runId);
    const [a0, b0, g0, a1, b1, g1] = [hourly(without, 'a'), hourly(without, 'b'), hourly(without, 'grid'), hourly(withT, 'a'), hourly(withT, 'b'), hourly(withT, 'grid')];
    expect(a1).toHaveLength(24);
    for (let k = 0; k < 24; k++) {
      const on = k >= 6 && k < 18;
      const moved = on ? 0.3 * a0[k].mean : 0;
      expect(a1[k].mean).toBeCloseTo(a0[k].mean - moved, 9);
      expect(b1[k].mean).toBeCloseTo(b0[k].mean + moved, 9);
      expect(g1[k].mean).toBeCloseTo(g0[k].mean, 9);
      for (const l of ['0.1', '0.9']) {
        expect(a1[k].quantiles[l]).toBeCloseTo(a0[k].quantiles[l] * (on ? 0.7 : 1), 9);
        expect(g1[k].quantiles[l]).toBeCloseTo(g0[k].quantiles[l], 9);
        expect(a1[k].quantiles[l] + b1[k].quantiles[l]).toBeCloseTo(g1[k].quantiles[l], 6);
      }
      expect(a1[k].flags.includes(PLANNED_TRANSFER)).toBe(on);
      expect(b1[k].flags.includes(PLANNED_TRANSFER)).toBe(on);
      expect(g1[k].flags).toEqual([]);
    }
    const days = withT.filter((r) => r.grain === '1d' && r.seriesId === 'a');
    expect(days.every((d) => d.flags.includes(PLANNED_TRANSFER))).toBe(true);
    const run = await planned.store.readRun(s.runId);
    expect(run.settings.transfers).toEqual([{ source: 'dso', ref: 'SW-17', version: 1, fromNode: 'a', toNode: 'b', start: works().start, end: works().end, share: 0.3 }]);
  });

  it('uses the version in force at its issue time: a revision issued later does not change the run, nor its reproduction', async () => {
    const { store, deps, transfers } = setup('bottom-up');
    await transfers.append([works(), works({ issued_at: '2026-01-20T00:00:00Z', share: 0.9 }), works({ ref: 'SW-18', issued_at: '2026-01-01T00:00:00Z' }), works({ ref: 'SW-18', issued_at: '2026-01-10T00:00:00Z', status: 'cancelled' })]);
    const s = await runForecast(deps, { horizon: 'day-ahead' });
    const run = await store.readRun(s.runId);
    expect(run.settings.transfers?.map((t) => [t.ref, t.version, t.share])).toEqual([['SW-17', 1, 0.3]]);
    const r = await reproduceRun(deps, s.runId);
    expect(r.identical).toBe(true);
  });

  it('takes a past transfer out of the training history, so seasonal naive does not repeat it a week later', async () => {
    // Last week (a week before the transfer planned above), 30 % of a was on b from 06:00 to 18:00.
    const past = { start: WINDOW.start - 7 * DAY + 6 * HOUR, end: WINDOW.start - 7 * DAY + 18 * HOUR };
    const moved = (t: number) => (t >= past.start && t < past.end ? 0.3 * profile(100)(t) : 0);
    const switched: Record<string, FakeSeries> = { grid: SERIES.grid, a: { load: (t) => profile(100)(t) - moved(t) }, b: { load: (t) => profile(200)(t) + moved(t) } };
    const reference = setup('bottom-up');
    const truth = await reference.store.readValues((await runForecast(reference.deps, { horizon: 'day-ahead' })).runId);
    const blind = setup('bottom-up', switched);
    const learnt = await blind.store.readValues((await runForecast(blind.deps, { horizon: 'day-ahead' })).runId);
    const known = setup('bottom-up', switched);
    await known.transfers.append([works({ start: new Date(past.start).toISOString(), end: new Date(past.end).toISOString() })]);
    const s = await runForecast(known.deps, { horizon: 'day-ahead' });
    const cleaned = await known.store.readValues(s.runId);
    // Without the record, the forecast repeats the switching; with it, it is the no-transfer forecast.
    expect(Math.abs(hourly(learnt, 'a')[10].mean - hourly(truth, 'a')[10].mean)).toBeGreaterThan(20);
    for (const id of ['a', 'b', 'grid']) {
      hourly(cleaned, id).forEach((r, k) => expect(r.mean).toBeCloseTo(hourly(truth, id)[k].mean, 9));
      expect(hourly(cleaned, id).every((r) => r.flags.length === 0)).toBe(true);
    }
    expect((await known.store.readRun(s.runId)).warnings.some((w) => w.startsWith('planned transfers taken out of the training history over 12 hour(s)'))).toBe(true);
  });
});
