import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { readServices } from '../bin/lib/read-services.ts';
import { writeServices } from '../bin/lib/write-services.ts';
import type { Role } from '../api/auth/roles.ts';
import { eventsRepository } from '../store/events.repository.ts';
import { listAudit } from '../store/audit.repository.ts';
import type { Db } from '../store/db.ts';
import { expectProblem } from './api-problem.ts';
import { testApp } from './api-app.ts';
import { authAs } from './api-auth.ts';
import { backends, freshDb } from './db.ts';
import { forecastConfig } from './fixtures/runs/grid.ts';

describe.each(backends)('POST /api/v1/events/{id}/ack (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  const ids: Record<string, number> = {};
  const ack = async (id: number | string, role: Role, body?: unknown) =>
    app.inject({ method: 'POST', url: `/api/v1/events/${id}/ack`, headers: await authAs(db, role), ...(body !== undefined && { payload: body as object }) });
  const get = async (url: string) => app.inject({ method: 'GET', url, headers: await authAs(db, 'viewer') });
  const kindsOf = (r: { json(): { events: Array<{ kind: string }> } }) => r.json().events.map((e) => e.kind);

  beforeAll(async () => {
    db = await freshDb(kind);
    const log = eventsRepository(db);
    ids.rupture = (await log.append({ at: new Date('2026-03-01T10:00:00Z'), kind: 'rupture', severity: 'alarm', seriesId: 'a', modelVersion: 'grid@1', detail: { shift: -0.3 } })).id;
    ids.fallbackOn = (await log.append({ at: new Date('2026-03-01T10:00:01Z'), kind: 'fallback-on', severity: 'warning', seriesId: 'a', modelVersion: 'grid@1' })).id;
    ids.runLate = (await log.append({ at: new Date('2026-03-02T08:50:00Z'), kind: 'run-late', severity: 'alarm', detail: { horizon: 'day-ahead' } })).id;
    ids.promotion = (await log.append({ at: new Date('2026-03-03T10:00:00Z'), kind: 'promotion', severity: 'info', modelVersion: 'grid@2' })).id;
    const config = forecastConfig();
    app = await testApp({
      ...storeAppDeps(db), health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] },
      reads: readServices(db, config), writes: writeServices(db, config),
    });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('is refused to a viewer with a code, and records nothing', async () => {
    expect(expectProblem(await ack(ids.rupture, 'viewer', { comment: 'seen' }), 'FORBIDDEN').details).toEqual({ role: 'viewer', needed: 'operator' });
    expect(kindsOf(await get('/api/v1/events?kind=alarm-acknowledged'))).toEqual([]);
  });

  it('lists the warnings and alarms nobody acknowledged', async () => {
    const open = (await get('/api/v1/events?acknowledged=false')).json().events;
    expect(open.map((e: { kind: string; acknowledged: boolean | null }) => [e.kind, e.acknowledged])).toEqual([['run-late', false], ['fallback-on', false], ['rupture', false]]);
    const all = (await get('/api/v1/events')).json().events;
    expect(all.find((e: { kind: string }) => e.kind === 'promotion')).toMatchObject({ acknowledged: null, acknowledgement: null });
    expect((await get('/api/v1/events?acknowledged=true')).json().events).toEqual([]);
  });

  it('records an acknowledgement once (201), answers a repeat with the first (200), audits both', async () => {
    const first = await ack(ids.rupture, 'operator', { comment: '  consumer shut down, known  ' });
    expect(first.statusCode).toBe(201);
    const body = first.json();
    expect(body).toMatchObject({
      alreadyAcknowledged: false,
      acknowledgement: { id: expect.any(Number), at: expect.any(String), by: 'apikey:test-operator', comment: 'consumer shut down, known' },
      event: { id: ids.rupture, kind: 'rupture', acknowledged: true },
    });
    expect(body.event.acknowledgement).toEqual(body.acknowledgement);

    const again = await ack(ids.rupture, 'admin', { comment: 'me too' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ alreadyAcknowledged: true, acknowledgement: body.acknowledgement });

    // The acknowledgement is an event of the log beside the one it acknowledges.
    const acks = (await get('/api/v1/events?kind=alarm-acknowledged')).json().events;
    expect(acks).toMatchObject([{
      id: body.acknowledgement.id, severity: 'info', seriesId: 'a', modelVersion: 'grid@1', acknowledged: null,
      detail: { eventId: ids.rupture, kind: 'rupture', severity: 'alarm', by: 'apikey:test-operator', comment: 'consumer shut down, known' },
    }]);
    const audit = (await listAudit(db, { entity: 'api-request' })).filter((e) => e.action === 'POST /api/v1/events/:id/ack');
    expect(audit.map((e) => [e.actor, e.entityId, e.details.status])).toEqual([
      ['test-operator', `/api/v1/events/${ids.rupture}/ack`, 201],
      ['test-admin', `/api/v1/events/${ids.rupture}/ack`, 200],
    ]);
  });

  it('takes no body, and filters the list by acknowledgement', async () => {
    const res = await ack(ids.runLate, 'admin');
    expect(res.statusCode).toBe(201);
    expect(res.json().acknowledgement).toMatchObject({ by: 'apikey:test-admin', comment: null });
    expect(kindsOf(await get('/api/v1/events?acknowledged=false'))).toEqual(['fallback-on']);
    expect(kindsOf(await get('/api/v1/events?acknowledged=true'))).toEqual(['run-late', 'rupture']);
    expect(kindsOf(await get('/api/v1/events?acknowledged=true&kind=rupture,fallback-on'))).toEqual(['rupture']);
    const page = (await get('/api/v1/events?acknowledged=true&limit=1')).json();
    expect(page.nextBeforeId).toBe(ids.runLate);
    expect(kindsOf(await get(`/api/v1/events?acknowledged=true&limit=1&beforeId=${page.nextBeforeId}`))).toEqual(['rupture']);
  });

  it('keeps one acknowledgement when two arrive at once', async () => {
    const both = await Promise.all([ack(ids.fallbackOn, 'operator', { comment: 'a' }), ack(ids.fallbackOn, 'admin', { comment: 'b' })]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 201]);
    expect(new Set(both.map((r) => r.json().acknowledgement.id)).size).toBe(1);
    const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE kind = 'alarm-acknowledged' AND detail ->> 'eventId' = $1`, [String(ids.fallbackOn)]);
    expect(rows.rows[0].n).toBe(1);
  });

  it('refuses an info event, an unknown event, a bad id and an unknown body field with codes', async () => {
    expect(expectProblem(await ack(ids.promotion, 'operator'), 'EVENT_NOT_ACKNOWLEDGEABLE').details).toEqual({ eventId: ids.promotion, kind: 'promotion', severity: 'info' });
    expectProblem(await ack(999_999, 'operator'), 'EVENT_NOT_FOUND');
    expectProblem(await ack('abc', 'operator'), 'REQUEST_INVALID');
    expectProblem(await ack(ids.rupture, 'operator', { note: 'x' }), 'REQUEST_INVALID');
    expectProblem(await ack(ids.rupture, 'operator', { comment: 'x'.repeat(2001) }), 'REQUEST_INVALID');
    expect(expectProblem(await ack(ids.rupture, 'data-scientist'), 'FORBIDDEN').details).toEqual({ role: 'data-scientist', needed: 'operator' });
  });

  it('is in an OpenAPI document that validates with every read and write route', async () => {
    await app.ready();
    const doc = app.swagger() as { paths: Record<string, Record<string, { 'x-role'?: string; requestBody?: unknown }>> };
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    expect(doc.paths['/api/v1/events/{id}/ack'].post['x-role']).toBe('operator');
    expect(doc.paths['/api/v1/node-status'].get['x-role']).toBe('viewer');
  });
});
