import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GridcastError } from '../core/errors.ts';
import { runForecast } from '../forecast/run/service.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { validateTopology } from '../core/topology/validate.ts';
import type { Db } from '../store/db.ts';
import { readRun, saveRun } from '../store/forecasts.repository.ts';
import type { ForecastValue, NewRun } from '../core/forecast-run.ts';
import { backends, freshDb } from './db.ts';
import { AS_OF_MARCH, forecastConfig, seedGrid } from './fixtures/runs/grid.ts';
import { runDeps } from '../bin/lib/run-deps.ts';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof GridcastError ? e.code : `not a GridcastError: ${String(e)}`),
  );
const count = async (db: Db, table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

describe.each(backends)('bad forecast-run input on %s', (kind) => {
  const config = forecastConfig();

  describe('topologies the loader refuses', () => {
    let db: Db;
    beforeAll(async () => {
      db = await freshDb(kind);
    });
    afterAll(() => db?.close());

    it.each([
      ['a cycle', 'TOPOLOGY_CYCLE', [{ id: 'a', parent: 'b' }, { id: 'b', parent: 'a' }, { id: 'c', parent: 'a' }]],
      ['a node with two parents', 'TOPOLOGY_DUPLICATE_NODE', [{ id: 'top' }, { id: 'r1', parent: 'top' }, { id: 'r2', parent: 'top' }, { id: 'x', parent: 'r1' }, { id: 'x', parent: 'r2' }]],
    ])('%s: coded error, nothing stored, and no run without a topology', async (_what, code, nodes) => {
      const topology = { timeZone: 'Europe/Paris', nodes: nodes.map((n) => ({ ...n, kind: 'load', unit: 'MW' })) };
      expect(await codeOf((async () => saveTopology(db, validateTopology(topology)))())).toBe(code);
      expect(await count(db, 'series')).toBe(0);
      expect(await codeOf(runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH }))).toBe('TOPOLOGY_INVALID');
      expect(await count(db, 'forecast_runs')).toBe(0);
    });

    it('a cycle written into the series table by hand: the run re-validates and refuses it', async () => {
      await db.query(`INSERT INTO series (id, kind, unit) VALUES ('a', 'load', 'MW'), ('b', 'load', 'MW')`);
      await db.query(`UPDATE series SET parent_id = CASE id WHEN 'a' THEN 'b' ELSE 'a' END`);
      expect(await codeOf(runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH }))).toBe('TOPOLOGY_CYCLE');
      expect(await count(db, 'forecast_runs')).toBe(0);
    });
  });

  describe('runs on a good store', () => {
    let db: Db;
    beforeAll(async () => {
      db = await freshDb(kind);
      await seedGrid(db, { climate: false });
    });
    afterAll(() => db?.close());
    afterEach(async () => {
      expect(await count(db, 'forecast_runs')).toBe(0);
      expect(await count(db, 'forecasts')).toBe(0);
    });

    it('a root that is not in the hierarchy', async () => {
      expect(await codeOf(runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH, root: 'nowhere' }))).toBe('HIERARCHY_UNKNOWN_ROOT');
    });

    it('a series asked for that is not under the root', async () => {
      const e = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH, root: 'south', series: ['ss3', 'ss2', 'ghost'] }).catch((x: GridcastError) => x);
      expect(e).toBeInstanceOf(GridcastError);
      expect((e as GridcastError).code).toBe('HIERARCHY_MISSING_SERIES');
      expect((e as GridcastError).details).toEqual({ root: 'south', missing: ['ss2', 'ghost'] });
    });

    it('a time with no data: RUN_NO_DATA naming the range', async () => {
      const e = await runForecast(runDeps(db, config), { horizon: 'week-ahead', asOf: new Date('2019-06-01T08:00:00Z') }).catch((x: GridcastError) => x);
      expect((e as GridcastError).code).toBe('RUN_NO_DATA');
      expect((e as GridcastError).details).toEqual({ root: 'grid', from: '2019-04-27T08:00:00.000Z', to: '2019-06-01T08:00:00.000Z' });
      expect((e as GridcastError).message).toContain('nothing was stored');
    });

    it('a cancelled run', async () => {
      const abort = new AbortController();
      abort.abort();
      expect(await codeOf(runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH, signal: abort.signal }))).toBe('RUN_ABORTED');
    });

    it('a value that cannot be stored, after many were copied: the whole run is rolled back', async () => {
      const run: NewRun = {
        issuedAt: new Date(),
        origin: AS_OF_MARCH,
        horizon: 'day-ahead',
        root: 'grid',
        windowStart: AS_OF_MARCH,
        windowEnd: AS_OF_MARCH,
        reconciliation: 'ols',
        reconciliationApplied: 'ols',
        inputsHash: 'x',
        modelVersions: {},
        allocation: 'average',
        warnings: [],
        settings: { nodes: [], quantiles: [0.5], historyDays: 1, horizonSteps: 1, windowOffset: 0, defaultModel: { kind: 'profile', params: {} }, asOf: AS_OF_MARCH.toISOString(), codeVersion: 'test' },
      };
      // More than one COPY chunk (20,000 rows), the bad value in the second.
      const values: ForecastValue[] = Array.from({ length: 25_000 }, (_, i) => ({
        seriesId: 's',
        grain: '1h',
        targetTs: new Date(AS_OF_MARCH.getTime() + i * 3_600_000),
        mean: i === 24_000 ? Number.NaN : i,
        q: [i],
        model: 'm',
        modelVersion: 'v',
        fallbackReason: null,
        baseMean: i,
      }));
      expect(await codeOf(saveRun(db, run, values))).toBe('RUN_NOT_FINITE');
      expect(await codeOf(readRun(db, 1))).toBe('RUN_NOT_FOUND');
    });
  });
});
