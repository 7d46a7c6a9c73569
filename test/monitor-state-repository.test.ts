import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CusumDetectorState, DetectorState, MonitorStateStore } from '../core/monitor-state.ts';
import type { Db } from '../store/db.ts';
import { monitorStateRepository } from '../store/monitor-state.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeMonitorState } from './fakes/monitor-state.ts';

const detector: DetectorState = {
  rule: 3,
  peers: { weights: { b: 0.5, c: 0.25 }, lambda: 0.0012, count: 4 },
  center: 0.5,
  level: 812.5,
  windowHours: 24,
  threshold: 0.215,
  calibratedAlarmsPerYear: 0.95,
  calibratedOn: 8016,
  calibratedAt: '2026-03-01T00:00:00.000Z',
  window: [0.01, -0.125, -0.25],
  lastTs: '2026-03-02T10:00:00.000Z',
  pending: { at: '2026-03-02T10:00:00.000Z', side: 'down', statistic: -0.22, changeAt: '2026-03-02T01:00:00.000Z' },
};

/** A row written by the first rule (migration 092's original JSON): still read as stored. */
const cusumDetector: CusumDetectorState = {
  center: 0.5,
  scale: 12.25,
  k: 0.5,
  h: 41.7,
  calibratedAlarmsPerYear: 0.95,
  calibratedOn: 2016,
  calibratedAt: '2026-03-01T00:00:00.000Z',
  cusum: { up: 1.25, down: 0, upRun: 3, downRun: 0 },
  lastTs: '2026-03-02T10:00:00.000Z',
  pending: { at: '2026-03-02T10:00:00.000Z', side: 'down', statistic: 42, changeAt: '2026-03-02T01:00:00.000Z' },
};

// The same contract for the repository on each backend and for the rupture service's fake.
describe.each([...backends, 'fake' as const])('monitor state repository (%s)', (kind) => {
  let db: Db | undefined;
  let repo: MonitorStateStore;
  beforeAll(async () => {
    if (kind === 'fake') repo = fakeMonitorState();
    else {
      db = await freshDb(kind);
      repo = monitorStateRepository(db);
    }
  });
  afterAll(() => db?.close());

  it('stores a state per series, overwrites it, and reads some or all', async () => {
    const t1 = new Date('2026-03-02T10:05:00Z');
    expect((await repo.states()).size).toBe(0);
    await repo.save({ seriesId: 'a', mode: 'model', since: new Date('2026-01-01T00:00:00Z'), ruptureAt: null, detector, modelVersion: 'load@2' }, t1);
    await repo.save({ seriesId: 'b', mode: 'model', since: new Date('2026-01-01T00:00:00Z'), ruptureAt: null, detector: null, modelVersion: null }, t1);
    expect((await repo.states(['a'])).get('a')).toEqual({
      seriesId: 'a', mode: 'model', since: new Date('2026-01-01T00:00:00Z'), ruptureAt: null, detector, modelVersion: 'load@2', updatedAt: t1,
    });
    const t2 = new Date('2026-03-02T11:05:00Z');
    const rupture = new Date('2026-03-02T01:00:00Z');
    await repo.save({ seriesId: 'a', mode: 'fallback', since: t2, ruptureAt: rupture, detector: { ...detector, pending: null }, modelVersion: 'load@2' }, t2);
    const all = await repo.states();
    expect([...all.keys()].sort()).toEqual(['a', 'b']);
    expect(all.get('a')).toMatchObject({ mode: 'fallback', since: t2, ruptureAt: rupture, detector: { pending: null, threshold: 0.215 }, updatedAt: t2 });
    expect(all.get('b')!.detector).toBeNull();
    expect((await repo.states(['c'])).size).toBe(0);
    await repo.save({ seriesId: 'old', mode: 'model', since: t1, ruptureAt: null, detector: cusumDetector, modelVersion: 'load@1' }, t1);
    expect((await repo.states(['old'])).get('old')!.detector).toEqual(cusumDetector);
  });
});
