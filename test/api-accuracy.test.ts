import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { readServices } from '../bin/lib/read-services.ts';
import { accuracyService } from '../monitoring/accuracy.service.ts';
import { insertMeteringVersions } from '../store/metering.repository.ts';
import type { Db } from '../store/db.ts';
import { expectProblem } from './api-problem.ts';
import { testApp } from './api-app.ts';
import { authAs } from './api-auth.ts';
import { backends, freshDb } from './db.ts';
import { forecastConfig } from './fixtures/runs/grid.ts';
import { createSeries } from './aggregates-fixtures.ts';
import { insertRun } from './fixtures/scored-run.ts';

const H = 3_600_000;
const DAY = new Date('2026-01-10T00:00:00Z');

describe.each(backends)('GET /api/v1/accuracy (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  const config = { ...forecastConfig(), timeZone: 'UTC' };
  const get = async (url: string) => app.inject({ method: 'GET', url, headers: await authAs(db, 'viewer') });

  beforeAll(async () => {
    db = await freshDb(kind);
    await createSeries(db, [{ id: 'm1', unit: 'MWh' }]);
    // Forecast 100 every hour; hourly actual 80 (4 × 20): error +20, APE 25 %, P10–P90 = 90…110 misses. The day: 2400 against 1920.
    await insertRun(db, { seriesId: 'm1', issuedAt: new Date(DAY.getTime() - 14 * H), start: DAY, means: Array(24).fill(100), daily: { timeZone: 'UTC', unit: 'MWh' } });
    await insertMeteringVersions(db, Array.from({ length: 96 }, (_, i) => ({
      seriesId: 'm1', intervalStart: new Date(DAY.getTime() + i * 900_000), intervalSec: 900, value: 20, status: 'validated' as const, receivedAt: new Date('2026-01-11T00:30:00Z'),
    })));
    expect(await accuracyService(db, config).scoreNew(new Date('2026-01-11T01:00:00Z'))).toEqual({ scored: 24 + 1 });
    app = await testApp({ ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] }, reads: readServices(db, config) });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('answers the accuracy of the window per series, lead bucket and day', async () => {
    const res = await get('/api/v1/accuracy?from=2026-01-10&to=2026-01-11&grain=1h');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ from: '2026-01-10T00:00:00.000Z', to: '2026-01-11T00:00:00.000Z', by: 'series' });
    expect(body.rows).toHaveLength(1);
    const r = body.rows[0];
    expect(r).toMatchObject({ seriesId: 'm1', horizon: 'day-ahead', grain: '1h', n: 24, nApe: 24, maeNearZero: null, coverage: 0, leadFrom: null, day: null });
    expect(r.mape).toBeCloseTo(25, 9);
    expect(r.bias).toBeCloseTo(20, 9);
    expect(r.mae).toBeCloseTo(20, 9);
    // Pinball at y = 80: P10 = 90 → 0.9·10, P50 = 100 → 0.5·20, P90 = 110 → 0.1·30; mean 22/3.
    expect(r.pinball).toBeCloseTo((9 + 10 + 3) / 3, 9);
    // Both grains by default, hours first; the day has its own row, lead 14 h.
    const both = (await get('/api/v1/accuracy?from=2026-01-10&to=2026-01-11')).json().rows;
    expect(both.map((x: { grain: string; n: number }) => [x.grain, x.n])).toEqual([['1h', 24], ['1d', 1]]);
    expect(both[1]).toMatchObject({ meanActual: 1920, mae: 480 });
    expect(both[1].mape).toBeCloseTo(25, 9);
    expect((await get('/api/v1/accuracy?from=2026-01-10&to=2026-01-11&grain=1d&by=lead')).json().rows.map((x: { leadFrom: number; n: number }) => [x.leadFrom, x.n])).toEqual([[0, 1]]);
    expect((await get('/api/v1/accuracy?from=2026-01-10&to=2026-01-11&grain=1h&by=lead')).json().rows.map((x: { leadFrom: number; n: number }) => [x.leadFrom, x.n])).toEqual([[0, 10], [24, 14]]);
    expect((await get('/api/v1/accuracy?from=2026-01-10&to=2026-01-11&by=day&series=m1&horizon=day-ahead')).json().rows.map((x: { grain: string; day: string }) => [x.grain, x.day])).toEqual([['1h', '2026-01-10'], ['1d', '2026-01-10']]);
    expect((await get('/api/v1/accuracy?from=2026-01-10&to=2026-01-11&horizon=intraday')).json().rows).toEqual([]);
  });

  it('refuses an empty range, an unknown grouping and an unknown grain', async () => {
    expectProblem(await get('/api/v1/accuracy?from=2026-01-11&to=2026-01-10'), 'QUERY_RANGE_INVALID');
    expectProblem(await get('/api/v1/accuracy?by=week'), 'REQUEST_INVALID');
    expectProblem(await get('/api/v1/accuracy?grain=5m'), 'REQUEST_INVALID');
  });
});
