import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { readServices } from '../bin/lib/read-services.ts';
import { writeServices } from '../bin/lib/write-services.ts';
import { validateTopology } from '../core/topology/validate.ts';
import type { Db } from '../store/db.ts';
import { saveTopology } from '../store/topology.repository.ts';
import { expectProblem } from './api-problem.ts';
import { testApp } from './api-app.ts';
import { authAs } from './api-auth.ts';
import { backends, freshDb } from './db.ts';
import { forecastConfig } from './fixtures/runs/grid.ts';

const row = (over: Record<string, unknown> = {}) => ({
  ref: 'SW-7',
  source: 'dso',
  from_node: 'ss1',
  to_node: 'ss2',
  start: '2026-04-01T06:00:00Z',
  end: '2026-04-10T18:00:00Z',
  share: 0.35,
  issued_at: '2026-03-20T08:00:00Z',
  reason: 'cable works on feeder F3',
  ...over,
});

describe.each(backends)('/api/v1/planned (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  const post = async (payload: unknown, role: 'viewer' | 'operator' = 'operator', csv = false) =>
    app.inject({ method: 'POST', url: '/api/v1/planned/transfers', headers: { ...(await authAs(db, role)), ...(csv && { 'content-type': 'text/csv' }) }, payload: payload as string });
  const get = async (url: string) => app.inject({ method: 'GET', url, headers: await authAs(db, 'viewer') });

  beforeAll(async () => {
    db = await freshDb(kind);
    await saveTopology(db, validateTopology({ timeZone: 'Europe/Paris', nodes: [{ id: 'north', kind: 'load', unit: 'MW' }, { id: 'ss1', parent: 'north', kind: 'load', unit: 'MW' }, { id: 'ss2', parent: 'north', kind: 'load', unit: 'MW' }] }));
    const config = forecastConfig();
    app = await testApp({ ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] }, reads: readServices(db, config), writes: writeServices(db, config) });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('takes transfer versions from an operator as JSON or CSV, refuses a viewer, and reads them back as in force at a time', async () => {
    expectProblem(await post([row()], 'viewer'), 'FORBIDDEN');
    const first = await post([row()]);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ rows: 1, unchanged: 0, added: [{ source: 'dso', ref: 'SW-7', version: 1, fromNode: 'ss1', toNode: 'ss2', share: 0.35, status: 'planned', reason: 'cable works on feeder F3', start: '2026-04-01T06:00:00.000Z' }] });
    const csv = 'ref,source,from_node,to_node,start,end,share,issued_at,status\nSW-7,dso,ss1,ss2,2026-04-01T06:00:00Z,2026-04-10T18:00:00Z,0.35,2026-03-25T08:00:00Z,cancelled\n';
    const second = await post(csv, 'operator', true);
    expect(second.statusCode).toBe(201);
    expect(second.json().added).toMatchObject([{ version: 2, status: 'cancelled' }]);
    expect((await post([row()])).json()).toMatchObject({ added: [], unchanged: 1 });
    expect((await get('/api/v1/planned/transfers?series=ss2')).json().transfers.map((t: { version: number }) => t.version)).toEqual([2, 1]);
    expect((await get('/api/v1/planned/transfers?asOf=2026-03-21T00:00:00Z')).json().transfers.map((t: { version: number }) => t.version)).toEqual([1]);
    expect((await get('/api/v1/planned/transfers?asOf=2026-03-26T00:00:00Z')).json().transfers).toEqual([]);
  });

  it('answers bad rows, unknown nodes and a conflicting version with problem+json, storing nothing', async () => {
    const bad = expectProblem(await post([row({ ref: 'SW-8', share: 0 }), row({ ref: 'SW-9', to_node: 'ghost' })]), 'TRANSFER_REJECTED');
    expect((bad.details as { issues: Array<{ line: number; code: string }> }).issues.map((i) => [i.line, i.code])).toEqual([[1, 'TRANSFER_INVALID'], [2, 'UNKNOWN_SERIES']]);
    expectProblem(await post([row({ share: 0.5 })]), 'TRANSFER_VERSION_CONFLICT');
    expectProblem(await post('ref,source\nx,y\n', 'operator', true), 'CSV_HEADER_INVALID');
    expect((await get('/api/v1/planned/transfers?ref=SW-8')).json().transfers).toEqual([]);
  });

  it('reads schedule-vs-actual accuracy per source, the least trustworthy first, against the schedule as it stood before each hour', async () => {
    expect((await get('/api/v1/planned/accuracy?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z')).json()).toEqual({ sources: [] });
    const operator = await authAs(db, 'operator');
    const schedule = (over: Record<string, unknown>) => ({ unit: 'MW', interval_start: '2026-03-02T00:00:00Z', interval_end: '2026-03-02T04:00:00Z', issued_at: '2026-03-01T08:00:00Z', ...over });
    const stored = await app.inject({
      method: 'POST',
      url: '/api/v1/schedules',
      headers: operator,
      payload: [
        schedule({ series_id: 'ss1', value: 10, source: 'plant-a' }),
        schedule({ series_id: 'ss2', value: 20, source: 'plant-b' }),
        // Revised after its hours: the error is measured against the plan as it stood before them.
        schedule({ series_id: 'ss2', value: 5, source: 'plant-b', issued_at: '2026-03-03T00:00:00Z' }),
      ],
    });
    expect(stored.statusCode).toBe(201);
    const actuals = [0, 1, 2, 3].flatMap((h) => [
      { series_id: 'ss1', ts: `2026-03-02T0${h}:00:00Z`, value: 11 },
      { series_id: 'ss2', ts: `2026-03-02T0${h}:00:00Z`, value: h < 2 ? 10 : 30 },
    ]);
    expect((await app.inject({ method: 'POST', url: '/api/v1/ingest/measurements', headers: operator, payload: actuals })).statusCode).toBe(201);
    const read = (await get('/api/v1/planned/accuracy?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z')).json();
    expect(read.sources.map((s: { kind: string; source: string; hours: number; mae: number; bias: number }) => [s.kind, s.source, s.hours, s.mae, s.bias])).toEqual([
      ['schedules', 'plant-b', 4, 10, 0],
      ['schedules', 'plant-a', 4, 1, 1],
    ]);
    expect(read.sources[0].series).toMatchObject([{ seriesId: 'ss2', hours: 4 }]);
    expectProblem(await get('/api/v1/planned/accuracy?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z'), 'QUERY_RANGE_INVALID');
  });
});
