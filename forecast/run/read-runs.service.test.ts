import { describe, expect, it } from 'vitest';
import type { Horizon } from '../../core/config.ts';
import { GridcastError } from '../../core/errors.ts';
import type { ForecastQuery } from '../../store/forecasts.repository.ts';
import type { ForecastRow, RunRecord } from '../../core/forecast-run.ts';
import { createRunReader, type RunsRepository } from './read-runs.service.ts';

const run = (id: number, origin: string, issuedAt: string, horizon: Horizon = 'day-ahead'): RunRecord =>
  ({ id, horizon, origin: new Date(origin), issuedAt: new Date(issuedAt), allocation: 'average', status: 'succeeded' }) as RunRecord;

/** An in-memory store of runs with the ordering rules of store/forecasts.repository.ts. */
function fakeRuns(runs: RunRecord[]): RunsRepository & { asked: ForecastQuery[] } {
  const asked: ForecastQuery[] = [];
  return {
    asked,
    readRun: async (id) => runs.find((r) => r.id === id) ?? Promise.reject(new GridcastError('RUN_NOT_FOUND', `no run ${id}`)),
    latestRun: async (h, before) =>
      runs
        .filter((r) => r.horizon === h && (!before || r.issuedAt < before))
        .sort((a, b) => b.origin.getTime() - a.origin.getTime() || b.id - a.id)[0] ?? null,
    listRuns: async ({ horizon, beforeId, limit }) => runs.filter((r) => (!horizon || r.horizon === horizon) && (beforeId === undefined || r.id < beforeId)).sort((a, b) => b.id - a.id).slice(0, limit),
    readForecasts: async (_id, opts) => {
      asked.push(opts);
      return [] as ForecastRow[];
    },
    runSeriesLabels: async () => [],
  };
}

const noRunYet = (h: Horizon, now: Date) => new GridcastError('RUN_NOT_FOUND', `no ${h} run yet at ${now.toISOString()}; next at 09:00`);
const RUNS = [run(1, '2026-12-01T09:00Z', '2026-12-01T09:05Z'), run(2, '2026-12-02T09:00Z', '2026-12-02T09:05Z'), run(3, '2026-12-02T08:00Z', '2026-12-02T10:00Z', 'intraday')];

describe('run reader', () => {
  const reader = (runs = RUNS) => createRunReader({ runs: fakeRuns(runs), timeZone: 'Europe/Paris', noRunYet, now: () => new Date('2026-12-03T00:00:00Z') });

  it('chooses the latest run, or the one issued before a time (a date is local midnight of the grid zone)', async () => {
    const r = reader();
    expect((await r.choose({ horizon: 'day-ahead' })).id).toBe(2);
    expect((await r.choose({ horizon: 'day-ahead', issuedBefore: { instant: new Date('2026-12-02T09:05Z') } })).id).toBe(1);
    // 2026-12-02 in Paris starts at 2026-12-01T23:00Z: run 1 was issued before it.
    expect((await r.choose({ horizon: 'day-ahead', issuedBefore: { date: '2026-12-02' } })).id).toBe(1);
    await expect(r.choose({ horizon: 'day-ahead', issuedBefore: { date: '2026-12-01' } })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND', details: { issuedBefore: '2026-11-30T23:00:00.000Z' } });
  });

  it('says when the next run is due when a horizon has none', async () => {
    await expect(reader().choose({ horizon: 'week-ahead' })).rejects.toThrow('no week-ahead run yet at 2026-12-03T00:00:00.000Z; next at 09:00');
  });

  it("views values with the run's allocation rule unless told otherwise, 'none' meaning as stored", async () => {
    const runs = fakeRuns(RUNS);
    const r = createRunReader({ runs, timeZone: 'UTC', noRunYet });
    await r.forecasts({ runId: 2 }, { seriesId: 'a', grain: '1h' });
    await r.forecasts({ runId: 2 }, { allocation: 'none' });
    await r.forecasts({ runId: 2 }, { allocation: 'worst-case' });
    expect(runs.asked).toEqual([{ seriesId: 'a', grain: '1h', allocation: 'average' }, {}, { allocation: 'worst-case' }]);
  });

  it('lists runs newest first', async () => {
    expect((await reader().list({ limit: 10 })).map((r) => r.id)).toEqual([3, 2, 1]);
    expect((await reader().list({ horizon: 'day-ahead', beforeId: 2, limit: 10 })).map((r) => r.id)).toEqual([1]);
  });

  it('with a cache, reuses the latest run for latestTtlMs and a view until evicted; a failed view is not kept', async () => {
    const stored = [...RUNS];
    const repo = fakeRuns(stored);
    let reads = 0;
    const readForecasts = repo.readForecasts;
    repo.readForecasts = async (id, opts) => {
      reads++;
      if (opts.seriesId === 'nope') throw new GridcastError('RUN_SERIES_NOT_FOUND', 'no such series');
      return readForecasts(id, opts);
    };
    let t = Date.parse('2026-12-03T00:00:00Z');
    const r = createRunReader({ runs: repo, timeZone: 'UTC', noRunYet, now: () => new Date(t), cache: { latestTtlMs: 1000, maxViews: 2 } });
    expect((await r.forecasts({ horizon: 'day-ahead' })).run.id).toBe(2);
    stored.push(run(4, '2026-12-03T09:00Z', '2026-12-03T09:05Z'));
    t += 999;
    expect((await r.forecasts({ horizon: 'day-ahead' })).run.id).toBe(2);
    expect(reads).toBe(1);
    t += 1;
    expect((await r.forecasts({ horizon: 'day-ahead' })).run.id).toBe(4);
    expect(reads).toBe(2);
    // Run 2's view was the least recently used of three: evicted, read again.
    await r.forecasts({ runId: 1 });
    await r.forecasts({ runId: 2 });
    expect(reads).toBe(4);
    await expect(r.forecasts({ runId: 4 }, { seriesId: 'nope' })).rejects.toMatchObject({ code: 'RUN_SERIES_NOT_FOUND' });
    await expect(r.forecasts({ runId: 4 }, { seriesId: 'nope' })).rejects.toMatchObject({ code: 'RUN_SERIES_NOT_FOUND' });
    expect(reads).toBe(6);
  });
});
