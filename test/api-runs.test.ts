import type { FastifyInstance } from 'fastify';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { writeServices } from '../bin/lib/write-services.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './api-app.ts';
import { RunCreated } from '../api/routes/v1/run-trigger.ts';
import { runForecast } from '../forecast/run/service.ts';
import type { Db } from '../store/db.ts';
import { readForecasts, readRun } from '../store/forecasts.repository.ts';
import { authAs } from './api-auth.ts';
import { expectProblem } from './api-problem.ts';
import { backends, freshDb } from './db.ts';
import { AS_OF_MARCH, forecastConfig, seedGrid } from './fixtures/runs/grid.ts';
import { runDeps } from '../bin/lib/run-deps.ts';

const health = { dbKind: 'pglite' as const, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] };

describe.each(backends)('POST /api/v1/runs (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  let operator: Record<string, string>;
  const config = forecastConfig();
  beforeAll(async () => {
    db = await freshDb(kind);
    await seedGrid(db, { climate: false });
    app = await testApp({ ...storeAppDeps(db), health, writes: writeServices(db, config) });
    operator = await authAs(db, 'operator');
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/runs', headers: operator, payload: payload as object });
  const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM forecast_runs')).rows[0].n;

  it('makes a run as of a past time, stores it, and points to it; its numbers are those of the service the job calls', async () => {
    const res = await post({ horizon: 'day-ahead', asOf: '2025-03-29T11:00:00+01:00', method: 'bottom-up' });
    expect(res.statusCode, res.body).toBe(201);
    const body = RunCreated.parse(res.json());
    expect(res.headers.location).toBe(`/api/v1/runs/${body.runId}`);
    expect(body).toMatchObject({ horizon: 'day-ahead', origin: '2025-03-29T10:00:00.000Z', series: 7 });
    expect(body.method).toMatch(/^bottom-up; bands: joint residuals \(\d+ paths of \d+ residual steps\)$/);
    const run = await readRun(db, body.runId);
    expect(run.inputsHash).toBe(body.inputsHash);

    const direct = await runForecast(runDeps(db, config), { horizon: 'day-ahead', asOf: AS_OF_MARCH, method: 'bottom-up' });
    expect(direct.inputsHash).toBe(body.inputsHash);
    const numbers = async (id: number) => (await readForecasts(db, id)).map((r) => [r.seriesId, r.grain, r.targetTs.toISOString(), r.mean, r.quantiles, r.model, r.fallbackReason]);
    expect(await numbers(body.runId)).toEqual(await numbers(direct.runId));
    expect((await numbers(body.runId)).length).toBeGreaterThan(0);
  });

  it('refuses a bad request with a coded problem and stores nothing', async () => {
    const before = await count();
    expectProblem(await post({ horizon: 'next-year' }), 'REQUEST_INVALID');
    expectProblem(await post({}), 'REQUEST_INVALID');
    expectProblem(await post({ horizon: 'day-ahead', colour: 'red' }), 'REQUEST_INVALID');
    expectProblem(await post({ horizon: 'day-ahead', asOf: '2025-03-29T10:00:00' }), 'AS_OF_INVALID');
    expectProblem(await post({ horizon: 'day-ahead', asOf: AS_OF_MARCH.toISOString(), root: 'atlantis' }), 'HIERARCHY_UNKNOWN_ROOT');
    expectProblem(await post({ horizon: 'day-ahead', asOf: AS_OF_MARCH.toISOString(), series: ['ss2', 'nowhere'] }), 'HIERARCHY_MISSING_SERIES');
    expect(await count()).toBe(before);
  });
});
