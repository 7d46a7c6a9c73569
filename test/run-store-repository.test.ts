import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GridcastError } from '../core/errors.ts';
import type { ForecastValue, NewRun } from '../core/forecast-run.ts';
import type { RunStore } from '../core/run-store.ts';
import { validateTopology } from '../core/topology/validate.ts';
import type { Db } from '../store/db.ts';
import { runStoreRepository } from '../store/run-store.repository.ts';
import { latestRun, listRuns } from '../store/forecasts.repository.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeRunStore } from './fakes/run-store.ts';

// The same contract for the real run store on each backend and for the fake of the run service's unit tests.

const TOPOLOGY = validateTopology({
  timeZone: 'Europe/Paris',
  nodes: [
    { id: 'grid', kind: 'load', unit: 'MW' },
    { id: 'b', parent: 'grid', kind: 'load', unit: 'MW' },
    { id: 'a', parent: 'grid', kind: 'load', unit: 'MW' },
  ],
});

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 12, 23);

const run = (): NewRun => ({
  issuedAt: new Date('2026-01-12T08:20:00Z'),
  origin: new Date('2026-01-12T08:00:00Z'),
  horizon: 'day-ahead',
  root: 'grid',
  windowStart: new Date(T0),
  windowEnd: new Date(T0 + 2 * H),
  reconciliation: 'ols',
  reconciliationApplied: 'ols',
  inputsHash: 'h',
  modelVersions: { grid: 'fit:x:1', a: 'load@1', b: 'none' },
  allocation: 'average',
  warnings: ['w1'],
  settings: {
    nodes: TOPOLOGY.nodes.map((n) => ({ id: n.id, parent: n.parent, unit: n.unit, timeZone: n.timeZone })),
    quantiles: [0.1, 0.9],
    historyDays: 7,
    horizonSteps: 17,
    windowOffset: 15,
    defaultModel: { kind: 'seasonal-naive', params: {} },
    asOf: '2026-01-12T08:20:00.000Z',
    codeVersion: 'test',
  },
});

const value = (seriesId: string, k: number, mean: number): ForecastValue => ({
  seriesId,
  grain: '1h',
  targetTs: new Date(T0 + k * H),
  mean,
  q: [mean - 1, mean + 1],
  model: 'seasonal-naive',
  modelVersion: seriesId === 'a' ? 'load@1' : 'fit:x:1',
  fallbackReason: seriesId === 'b' ? 'model-failed (x)' : null,
  baseMean: mean + 0.25,
});

describe.each([...backends, 'fake' as const])('run store (%s)', (kind) => {
  let db: Db | undefined;
  let store: RunStore;
  beforeAll(async () => {
    if (kind === 'fake') store = fakeRunStore({ topology: TOPOLOGY });
    else {
      db = await freshDb(kind);
      await saveTopology(db, TOPOLOGY);
      store = runStoreRepository(db);
    }
  });
  afterAll(() => db?.close());

  it('reads the stored topology, parents first', async () => {
    const t = await store.topology('UTC');
    expect(t.nodes.map((n) => [n.id, n.parent, n.unit, n.timeZone])).toEqual([
      ['grid', null, 'MW', 'Europe/Paris'],
      ['a', 'grid', 'MW', 'Europe/Paris'],
      ['b', 'grid', 'MW', 'Europe/Paris'],
    ]);
  });

  it('saves a run with its values and reads them back keyed by quantile level, ordered by series, grain and time', async () => {
    const values = [value('b', 1, 20), { ...value('a', 1, 11), flags: ['out-of-range'] }, value('grid', 0, 30), value('a', 0, 10), value('b', 0, 19.5), value('grid', 1, 31)];
    const id = await store.saveRun(run(), values);
    expect(await store.readRun(id)).toEqual({ ...run(), id, status: 'succeeded' });
    const rows = await store.readValues(id);
    expect(rows.map((r) => [r.seriesId, r.targetTs.getTime() - T0])).toEqual([['a', 0], ['a', H], ['b', 0], ['b', H], ['grid', 0], ['grid', H]]);
    expect(rows[2]).toEqual({ seriesId: 'b', grain: '1h', targetTs: new Date(T0), mean: 19.5, quantiles: { '0.1': 18.5, '0.9': 20.5 }, model: 'seasonal-naive', modelVersion: 'fit:x:1', fallbackReason: 'model-failed (x)', baseMean: 19.75, flags: [] });
    // Flags come back as stored (migration 093); a value stored without any reads as unflagged.
    expect(rows.map((r) => r.flags)).toEqual([[], ['out-of-range'], [], [], [], []]);
  });

  it('answers RUN_NOT_FOUND for an unknown run, and knows no version or champion in an empty registry', async () => {
    for (const read of [() => store.readRun(9999), () => store.readValues(9999)]) {
      await expect(read()).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    }
    expect(await store.version('load@1')).toBeNull();
    await expect(store.artifact('load@1')).rejects.toBeInstanceOf(GridcastError);
    await expect(store.artifact('load@1')).rejects.toMatchObject({ code: 'VERSION_NOT_FOUND' });
    await expect(store.companion('load@1')).rejects.toMatchObject({ code: 'VERSION_NOT_FOUND' });
    expect(await store.champions(['grid', 'a'])).toEqual(new Map());
    expect(await store.shadows(['grid', 'a'])).toEqual([]);
  });

  it('keeps a shadow run apart: linked to its published run, never the latest nor listed', async () => {
    const published = await store.saveRun({ ...run(), origin: new Date('2026-01-13T08:00:00Z') }, [value('a', 0, 10)]);
    const shadow = await store.saveRun({ ...run(), origin: new Date('2026-01-13T08:00:00Z'), shadowOf: { runId: published, version: 'load@2' } }, [value('a', 0, 12)]);
    expect((await store.readRun(shadow)).shadowOf).toEqual({ runId: published, version: 'load@2' });
    expect((await store.readRun(published)).shadowOf).toBeUndefined();
    if (!db) return;
    expect((await latestRun(db, 'day-ahead'))!.id).toBe(published);
    expect((await latestRun(db, 'day-ahead', new Date('2026-01-12T09:00:00Z')))!.id).toBe(published);
    expect((await listRuns(db, { limit: 10 })).map((r) => r.id)).not.toContain(shadow);
  });
});
