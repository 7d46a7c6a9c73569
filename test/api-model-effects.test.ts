import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { writeServices } from '../bin/lib/write-services.ts';
import type { Covariates, ModelArtifact, Series } from '../core/types.ts';
import { decodeState, encodeState } from '../models/artifact.ts';
import { createForecaster } from '../models/catalog.ts';
import { simulatedLoadWithWeather } from '../models/gam/__fixtures__/simulated.ts';
import type { Db } from '../store/db.ts';
import { registryRepository } from '../store/registry.repository.ts';
import { expectProblem } from './api-problem.ts';
import { testApp } from './api-app.ts';
import { authAs } from './api-auth.ts';
import { backends, freshDb } from './db.ts';
import { forecastConfig } from './fixtures/runs/grid.ts';
import { newVersion } from './fakes/registry.ts';

// Two feeders' GAM (60 days: daily profiles, temperature × hour, thermal inertia; no annual cycle).
const days = 60;
const one = simulatedLoadWithWeather(days, 3);
const two = simulatedLoadWithWeather(days, 5);
/** f1 lost 60 % of its load on days 30 and 31 (an outage): its GAM is fitted without them. */
const OUTAGE = [30, 31];
const outage = Float64Array.from(one.series.values, (v, i) => (OUTAGE.includes(Math.floor(i / 24)) ? 0.4 * v : v));
const history: Series[] = [{ ...one.series, id: 'f1', values: outage }, { ...two.series, id: 'f2' }];
const cov = new Map<string, Covariates>([['f1', { past: { temperature: one.temperature } }], ['f2', { past: { temperature: two.temperature } }]]);
const params = { calendar: { country: 'FR' }, halfLivesHours: [24], hourKnots: 9, tempKnots: 6, tempHourKnots: 5, inertiaKnots: 5 };
const gam = (await createForecaster('gam', params).fit(history, cov)).toArtifact();

/** The same GAM as a gam state v1 would have stored it: without the centring of its by-factor curves. */
function asV1(a: ModelArtifact): ModelArtifact {
  const state = decodeState(JSON.parse(JSON.stringify(a.state))) as { series: Array<{ model: { design: { smooths: Array<{ byCentre?: unknown }> } } }> };
  for (const s of state.series) for (const b of s.model.design.smooths) delete b.byCentre;
  return { ...a, spec: { ...a.spec, version: 1 }, state: encodeState(state) };
}

describe.each(backends)('GET /api/v1/models/{name}/versions/{n}/effects (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  const get = async (url: string) => app.inject({ method: 'GET', url, headers: await authAs(db, 'viewer') });

  beforeAll(async () => {
    db = await freshDb(kind);
    await registryRepository(db).transaction(async (tx) => {
      await tx.createModel({ name: 'feeders', family: 'load' });
      // 1: the GAM of both feeders; 2: a seasonal naive; 3: the GAM stored as state v1.
      await tx.insertVersion(newVersion('feeders', ['f1', 'f2'], { kind: 'gam', spec: gam.spec, artifact: gam }));
      await tx.insertVersion(newVersion('feeders', ['f1']));
      await tx.insertVersion(newVersion('feeders', ['f1'], { kind: 'gam', spec: { ...gam.spec, version: 1 }, artifact: asV1(gam) }));
    });
    app = await testApp({ ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] }, writes: writeServices(db, forecastConfig()) });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it("answers each term's partial effect with its 95 % band, for the series asked", async () => {
    const res = await get('/api/v1/models/feeders/versions/1/effects?series=f2&points=50&surfacePoints=10');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ version: 'feeders@1', kind: 'gam', seriesId: 'f2', path: ['gam'], response: 'log(load)', criterion: 'REML', bandLevel: 0.95 });
    const names = body.terms.map((t: { name: string }) => t.name);
    expect(names).toContain('daily profile: Monday');
    expect(names).toContain('temperature response by hour of day');
    expect(names).toContain('thermal inertia by hour of day: temperature smoothed with a 24 h half-life');
    const monday = body.terms.find((t: { name: string }) => t.name === 'daily profile: Monday');
    expect(monday).toMatchObject({ kind: 'curve', label: 's(hour):hourGroup0', variable: 'hour', by: { variable: 'hourGroup', level: 0 }, axes: [{ variable: 'hour', unit: 'h' }] });
    expect(monday.x).toHaveLength(50);
    monday.effect.forEach((f: number, i: number) => {
      expect(monday.lower[i]).toBeCloseTo(f - 1.959963985 * monday.se[i], 9);
      expect(monday.upper[i]).toBeCloseTo(f + 1.959963985 * monday.se[i], 9);
    });
    const surface = body.terms.find((t: { kind: string }) => t.kind === 'surface');
    expect([surface.x.length, surface.z.length, surface.effect.length]).toEqual([10, 10, 100]);
    // Each series has its own GAM.
    const f1 = (await get('/api/v1/models/feeders/versions/1/effects?series=f1&points=50&surfacePoints=10')).json();
    expect(f1.terms.find((t: { name: string }) => t.name === 'daily profile: Monday').effect).not.toEqual(monday.effect);
    // And says which days it was fitted without.
    const outageDays = OUTAGE.map((d) => new Date(one.series.start.getTime() + d * 86_400_000).toISOString());
    expect(f1.abnormalDays).toEqual(expect.arrayContaining(outageDays));
    expect(body.abnormalDays).not.toContain(outageDays[0]);
  });

  it('needs the series when the version covers several, and one it was trained on', async () => {
    expect(expectProblem(await get('/api/v1/models/feeders/versions/1/effects'), 'EFFECTS_SERIES_REQUIRED').details).toMatchObject({ series: ['f1', 'f2'] });
    expectProblem(await get('/api/v1/models/feeders/versions/1/effects?series=f9'), 'VERSION_SERIES_NOT_FOUND');
    expectProblem(await get('/api/v1/models/feeders/versions/9/effects?series=f1'), 'VERSION_NOT_FOUND');
    expectProblem(await get('/api/v1/models/nope/versions/1/effects'), 'MODEL_NOT_FOUND');
    expectProblem(await get('/api/v1/models/feeders/versions/1/effects?series=f1&points=5'), 'REQUEST_INVALID');
  });

  it('answers 422 for a model without partial effects, 409 for a GAM to refit', async () => {
    // A single-series version needs no series parameter.
    expect(expectProblem(await get('/api/v1/models/feeders/versions/2/effects'), 'MODEL_NO_PARTIAL_EFFECTS').details).toEqual({ seriesId: 'f1', path: ['seasonal-naive'] });
    expect(expectProblem(await get('/api/v1/models/feeders/versions/3/effects'), 'EFFECTS_REFIT_REQUIRED').detail).toMatch(/refit the model/);
    expect((await app.inject({ method: 'GET', url: '/api/v1/models/feeders/versions/1/effects?series=f1' })).statusCode).toBe(401);
  });
});
