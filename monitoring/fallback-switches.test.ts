import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../core/forecast-run.ts';
import { fakeEvents } from '../test/fakes/events.ts';
import { fallbackSwitches, recordFallbackSwitches, type SeriesSource } from './fallback-switches.ts';

const model = (seriesId: string): SeriesSource => ({ seriesId, model: 'gam', modelVersion: 'load@2', fallbackReason: null });
const fallback = (seriesId: string, reason: string): SeriesSource => ({ seriesId, model: 'shallow-history', modelVersion: 'fit:shallow-history:abc', fallbackReason: reason });
const run = { id: 7, horizon: 'day-ahead' as const, issuedAt: new Date('2025-03-29T08:00:00Z') };

describe('fallback switches between two published runs', () => {
  it('raises fallback-on for a series that left its model and fallback-off for one back on it', () => {
    const events = fallbackSwitches([model('a'), fallback('b', 'short-history'), model('c'), fallback('d', 'rupture')], [fallback('a', 'model-failed'), model('b'), model('c'), fallback('d', 'short-history')], run);
    expect(events).toEqual([
      { at: run.issuedAt, kind: 'fallback-on', severity: 'warning', seriesId: 'a', modelVersion: 'fit:shallow-history:abc', runId: 7, detail: { horizon: 'day-ahead', model: 'shallow-history', reason: 'model-failed' } },
      { at: run.issuedAt, kind: 'fallback-off', severity: 'info', seriesId: 'b', modelVersion: 'load@2', runId: 7, detail: { horizon: 'day-ahead', model: 'gam', previousFallback: 'shallow-history', previousReason: 'short-history' } },
    ]);
  });

  it('on the first run of a horizon, every series on a fallback is switched on; a series new to the run is not a switch', () => {
    expect(fallbackSwitches(null, [model('a'), fallback('b', 'short-history')], run).map((e) => [e.kind, e.seriesId])).toEqual([['fallback-on', 'b']]);
    expect(fallbackSwitches([model('a')], [model('a'), fallback('new', 'short-history')], run)).toEqual([]);
  });

  it('compares a stored run with the run of its horizon published before it and appends the switches', async () => {
    const record = (id: number, issuedAt: string, fallbackReason?: string) => ({ id, horizon: 'day-ahead', issuedAt: new Date(issuedAt), settings: { ...(fallbackReason && { fallbackReason }) } }) as RunRecord;
    const runs = new Map([
      [1, { run: record(1, '2025-03-28T08:00:00Z'), labels: [model('a'), fallback('b', 'short-history')] }],
      [2, { run: record(2, '2025-03-29T08:00:00Z'), labels: [fallback('a', 'rupture'), model('b')] }],
      [3, { run: record(3, '2025-03-30T08:00:00Z', 'deadline: inputs late'), labels: [fallback('a', 'deadline: inputs late'), fallback('b', 'deadline: inputs late')] }],
      [4, { run: record(4, '2025-03-31T08:00:00Z'), labels: [fallback('a', 'rupture'), fallback('b', 'short-history')] }],
    ]);
    const events = fakeEvents();
    const deps = {
      events,
      runs: {
        readRun: async (id: number) => runs.get(id)!.run,
        latestRun: async (_h: string, before?: Date) => [...runs.values()].map((r) => r.run).filter((r) => !before || r.issuedAt < before).at(-1) ?? null,
        runSeriesLabels: async (id: number) => runs.get(id)!.labels,
      },
    };
    expect((await recordFallbackSwitches(deps, 1)).map((e) => [e.kind, e.seriesId])).toEqual([['fallback-on', 'b']]);
    expect((await recordFallbackSwitches(deps, 2)).map((e) => [e.kind, e.seriesId, e.runId])).toEqual([
      ['fallback-on', 'a', 2],
      ['fallback-off', 'b', 2],
    ]);
    // A deadline fallback run switches nothing; the run after it is compared with run 2.
    expect(await recordFallbackSwitches(deps, 3)).toEqual([]);
    expect((await recordFallbackSwitches(deps, 4)).map((e) => [e.kind, e.seriesId, e.runId])).toEqual([['fallback-on', 'b', 4]]);
    expect(events.rows).toHaveLength(4);
  });
});
