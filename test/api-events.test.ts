import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { readServices } from '../bin/lib/read-services.ts';
import { eventsRepository } from '../store/events.repository.ts';
import type { Db } from '../store/db.ts';
import { expectProblem } from './api-problem.ts';
import { testApp } from './api-app.ts';
import { authAs } from './api-auth.ts';
import { backends, freshDb } from './db.ts';
import { forecastConfig } from './fixtures/runs/grid.ts';
import { registryRepository } from '../store/registry.repository.ts';
import { newVersion } from './fakes/registry.ts';

describe.each(backends)('GET /api/v1/events (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  const get = async (url: string, role: 'viewer' | 'operator' = 'viewer') => app.inject({ method: 'GET', url, headers: await authAs(db, role) });

  beforeAll(async () => {
    db = await freshDb(kind);
    const log = eventsRepository(db);
    await log.append({ at: new Date('2026-03-01T10:00:00Z'), kind: 'rupture', severity: 'warning', seriesId: 'a', modelVersion: 'grid@1', detail: { statistic: 7.5 } });
    await log.append({ at: new Date('2026-03-02T10:00:00Z'), kind: 'fallback-on', seriesId: 'a', runId: 3 });
    await log.append({ at: new Date('2026-03-03T10:00:00Z'), kind: 'retrain-proposal', modelVersion: 'grid@1', detail: { windowMape: 0.2 } });
    app = await testApp({ ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] }, reads: readServices(db, forecastConfig()) });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('lists events newest first, filtered by kinds, series and a half-open range, paged by beforeId', async () => {
    const all = await get('/api/v1/events');
    expect(all.statusCode).toBe(200);
    expect(all.json().events.map((e: { kind: string }) => e.kind)).toEqual(['retrain-proposal', 'fallback-on', 'rupture']);
    expect(all.json().events[2]).toEqual({
      id: expect.any(Number), at: '2026-03-01T10:00:00.000Z', kind: 'rupture', severity: 'warning', seriesId: 'a', modelVersion: 'grid@1', runId: null,
      detail: { statistic: 7.5 }, recordedAt: expect.any(String), acknowledged: false, acknowledgement: null,
    });
    const kinds = (await get('/api/v1/events?kind=rupture,retrain-proposal')).json();
    expect(kinds.events.map((e: { kind: string }) => e.kind)).toEqual(['retrain-proposal', 'rupture']);
    expect((await get('/api/v1/events?series=a&from=2026-03-01T10:00:00Z&to=2026-03-02T10:00:00Z')).json().events.map((e: { kind: string }) => e.kind)).toEqual(['rupture']);
    const first = (await get('/api/v1/events?limit=2')).json();
    expect(first.events).toHaveLength(2);
    const rest = (await get(`/api/v1/events?limit=2&beforeId=${first.nextBeforeId}`)).json();
    expect(rest).toMatchObject({ events: [{ kind: 'rupture' }], nextBeforeId: null });
  });

  it('lists the open retraining proposals: of current champions, not acknowledged', async () => {
    expect((await get('/api/v1/proposals')).json()).toEqual({ proposals: [] });
    const registry = registryRepository(db);
    await registry.transaction(async (tx) => {
      await tx.createModel({ name: 'grid', family: 'load' });
      await tx.insertVersion(newVersion('grid', ['a']));
      await tx.setStatus('grid@1', 'champion', { actor: 'bob', reason: 'first' });
    });
    const open = (await get('/api/v1/proposals')).json();
    expect(open.proposals).toMatchObject([{ kind: 'retrain-proposal', modelVersion: 'grid@1', detail: { windowMape: 0.2 } }]);
    await eventsRepository(db).append({ at: new Date('2026-03-04T10:00:00Z'), kind: 'alarm-acknowledged', detail: { eventId: open.proposals[0].id } });
    expect((await get('/api/v1/proposals')).json()).toEqual({ proposals: [] });
  });

  it('refuses an unknown kind, an unreadable time and an empty range', async () => {
    expect(expectProblem(await get('/api/v1/events?kind=rupture,nonsense'), 'REQUEST_INVALID').detail).toMatch(/unknown event kind nonsense/);
    expectProblem(await get('/api/v1/events?from=2026-03-01T10:00'), 'TS_NO_OFFSET');
    expectProblem(await get('/api/v1/events?from=2026-03-02&to=2026-03-01'), 'QUERY_RANGE_INVALID');
    expect((await app.inject({ method: 'GET', url: '/api/v1/events' })).statusCode).toBe(401);
  });
});
