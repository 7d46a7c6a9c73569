import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Validator } from '@seriousme/openapi-schema-validator';
import { backends, freshDb } from '../test/db.ts';
import { authAs } from '../test/api-auth.ts';
import type { Db } from '../store/db.ts';
import { listAudit } from '../store/audit.repository.ts';
import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { GridcastError } from '../core/errors.ts';
import { covers, ROLES } from './auth/roles.ts';
import { testApp } from '../test/api-app.ts';
import { Problem } from './problem.ts';

/** The app over `db`, plus test-only routes: a mutating operator route whose handler can fail on demand. */
async function appOver(db: Db, opts: { rateLimitPerMinute?: number } = {}): Promise<FastifyInstance> {
  const app = await testApp({
    ...storeAppDeps(db),
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 10_000,
    health: { dbKind: db.kind, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] },
  });
  await app.register(
    async (v1) => {
      v1.post(
        '/things/:id',
        {
          config: { role: 'operator' },
          schema: {
            summary: 'Test-only mutation', tags: ['test'],
            params: z.object({ id: z.string() }),
            body: z.object({ n: z.number(), fail: z.string().optional() }),
            response: { 200: z.object({ id: z.string(), n: z.number() }), 404: Problem, 409: Problem },
          },
        },
        async (req) => {
          const { id } = req.params as { id: string };
          const { n, fail } = req.body as { n: number; fail?: string };
          if (fail) throw new GridcastError(fail, `failing as asked (${fail})`, { secret: 'internal-path' });
          return { id, n };
        },
      );
    },
    { prefix: '/api/v1' },
  );
  return app;
}

const problemJson = /^application\/problem\+json/;

describe.each(backends)('API core: auth, errors, audit, OpenAPI, metrics (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  let doc: Record<string, unknown> & { paths: Record<string, Record<string, { 'x-role'?: string; security?: unknown[] }>> };
  beforeAll(async () => {
    db = await freshDb(kind);
    app = await appOver(db);
    const res = await app.inject({ url: '/api/v1/openapi.json', headers: await authAs(db, 'viewer') });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('answers a request without a key 401 problem+json with WWW-Authenticate: Bearer', async () => {
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(problemJson);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="gridcast"');
    expect(res.json()).toMatchObject({ type: '/docs#problem-UNAUTHENTICATED', title: 'Unauthorized', status: 401, code: 'UNAUTHENTICATED', instance: '/metrics' });
    const bad = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer gck_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('keeps /health and /docs open', async () => {
    const health = await app.inject({ url: '/health' });
    expect(health.statusCode).toBe(200);
    const docs = await app.inject({ url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/^text\/html/);
    expect(docs.body).toContain('id="problem-RUN_NOT_FOUND"');
    expect(docs.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const asset of ['/docs/docs.js', '/docs/docs.css']) expect((await app.inject({ url: asset })).statusCode).toBe(200);
  });

  it('serves an OpenAPI 3.1 document that validates against the official schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(doc).toMatchObject({ openapi: '3.1.0', components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } } });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/metrics', '/api/v1/openapi.json', '/api/v1/apikeys', '/api/v1/apikeys/{key}', '/api/v1/things/{id}']));
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/things/{id}'].post['x-role']).toBe('operator');
  });

  // Walks every documented operation, so each route added to the app is checked without a test of its own.
  it('refuses every non-public route without a key (401) and with a too-weak role (403)', async () => {
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (op.security?.length === 0) continue;
        const url = path.replace(/\{(\w+)\}/g, 'x');
        const none = await app.inject({ method: method.toUpperCase() as 'GET', url });
        expect(none.statusCode, `${method} ${path} without a key`).toBe(401);
        expect(none.headers['content-type']).toMatch(problemJson);
        const needed = op['x-role'] as (typeof ROLES)[number];
        expect(ROLES).toContain(needed);
        for (const role of ROLES.filter((r) => !covers(r, needed))) {
          const res = await app.inject({ method: method.toUpperCase() as 'GET', url, headers: await authAs(db, role) });
          expect(res.statusCode, `${method} ${path} as ${role}`).toBe(403);
          expect(res.json()).toMatchObject({ code: 'FORBIDDEN', details: { role, needed } });
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it('audits a mutation that reached its handler, with who, what and the status', async () => {
    const ok = await app.inject({ method: 'POST', url: '/api/v1/things/t1?dry=no', payload: { n: 1 }, headers: await authAs(db, 'operator') });
    expect(ok.statusCode).toBe(200);
    const conflict = await app.inject({ method: 'POST', url: '/api/v1/things/t2', payload: { n: 2, fail: 'VERSION_RETIRED' }, headers: await authAs(db, 'admin') });
    expect(conflict.statusCode).toBe(409);
    // Refused before the handler: nothing to audit.
    const invalid = await app.inject({ method: 'POST', url: '/api/v1/things/t3', payload: { n: 'x' }, headers: await authAs(db, 'operator') });
    expect(invalid.statusCode).toBe(400);
    await app.inject({ method: 'POST', url: '/api/v1/things/t4', payload: { n: 4 }, headers: await authAs(db, 'viewer') });

    const entries = await listAudit(db, { entity: 'api-request' });
    expect(entries.map((e) => [e.actor, e.action, e.entityId, e.details.status])).toEqual([
      ['test-operator', 'POST /api/v1/things/:id', '/api/v1/things/t1', 200],
      ['test-admin', 'POST /api/v1/things/:id', '/api/v1/things/t2', 409],
    ]);
    expect(entries[0].details).toMatchObject({ role: 'operator', method: 'POST', params: { id: 't1' }, query: { dry: 'no' }, keyId: expect.any(String) });
    expect(entries[0].at).toBeInstanceOf(Date);
  });

  it('lets an admin create, list and revoke keys over the API, the key shown once and revoked at once', async () => {
    const admin = await authAs(db, 'admin');
    const created = await app.inject({ method: 'POST', url: '/api/v1/apikeys', payload: { name: 'dashboard', role: 'viewer' }, headers: admin });
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json() as { key: string; id: string };
    const bearer = { authorization: `Bearer ${key}` };
    expect((await app.inject({ url: '/metrics', headers: bearer })).statusCode).toBe(200);
    const taken = await app.inject({ method: 'POST', url: '/api/v1/apikeys', payload: { name: 'dashboard', role: 'admin' }, headers: admin });
    expect(taken.statusCode).toBe(409);
    const list = await app.inject({ url: '/api/v1/apikeys', headers: admin });
    expect(list.json()).toContainEqual(expect.objectContaining({ id, name: 'dashboard', role: 'viewer', lastUsedAt: expect.any(String), revokedAt: null }));
    expect(list.body).not.toContain(key);
    const revoked = await app.inject({ method: 'DELETE', url: '/api/v1/apikeys/dashboard', headers: admin });
    expect(revoked.statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics', headers: bearer })).statusCode).toBe(401);
    const gone = await app.inject({ method: 'DELETE', url: '/api/v1/apikeys/dashboard', headers: admin });
    expect(gone.statusCode).toBe(404);
    const audit = (await listAudit(db, { entity: 'api-request' })).filter((e) => e.action.includes('/apikeys'));
    expect(audit.map((e) => [e.action, e.details.status])).toEqual([
      ['POST /api/v1/apikeys', 201], ['POST /api/v1/apikeys', 409], ['DELETE /api/v1/apikeys/:key', 200], ['DELETE /api/v1/apikeys/:key', 404],
    ]);
    expect(JSON.stringify(audit)).not.toContain(key);
  });

  it('answers coded errors with their status, and hides server-fault details', async () => {
    const h = await authAs(db, 'operator');
    const fault = await app.inject({ method: 'POST', url: '/api/v1/things/t', payload: { n: 1, fail: 'WORKER_TIMEOUT' }, headers: h });
    expect(fault.statusCode).toBe(503);
    expect(fault.json()).toEqual({
      type: '/docs#problem-WORKER_TIMEOUT', title: 'Service Unavailable', status: 503, code: 'WORKER_TIMEOUT', detail: 'failing as asked (WORKER_TIMEOUT)', instance: '/api/v1/things/t',
    });
    const notFound = await app.inject({ method: 'POST', url: '/api/v1/things/t', payload: { n: 1, fail: 'RUN_NOT_FOUND' }, headers: h });
    expect(notFound.json()).toMatchObject({ status: 404, code: 'RUN_NOT_FOUND', details: { secret: 'internal-path' } });
    expect(notFound.headers['content-type']).toMatch(problemJson);
    // A route's own `404: Problem` is documented as problem+json too.
    expect(Object.keys((doc.paths['/api/v1/things/{id}'].post as { responses: Record<string, { content: object }> }).responses['404'].content)).toEqual(['application/problem+json']);
    const badJson = await app.inject({ method: 'POST', url: '/api/v1/things/t', payload: '{"n":', headers: { ...h, 'content-type': 'application/json' } });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ code: 'REQUEST_INVALID' });
    const huge = await app.inject({ method: 'POST', url: '/api/v1/things/t', payload: JSON.stringify({ n: 1, pad: 'x'.repeat(2 * 1024 * 1024) }), headers: { ...h, 'content-type': 'application/json' } });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'BODY_TOO_LARGE', type: '/docs#problem-BODY_TOO_LARGE' });
    const csv = await app.inject({ method: 'POST', url: '/api/v1/things/t', payload: 'n\n1\n', headers: { ...h, 'content-type': 'text/csv' } });
    expect(csv.statusCode).toBe(415);
    expect(csv.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const unknown = await app.inject({ url: '/api/v1/nothing-here' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND', instance: '/api/v1/nothing-here' });
  });

  it('exposes HTTP latency and store numbers in Prometheus text', async () => {
    await db.query(`INSERT INTO ingest_batches (source, batch_key, kind, status, row_count) VALUES ('csv', 'k1', 'measurements', 'committed', 120), ('csv', 'k2', 'measurements', 'rejected', 0)`);
    await db.query(`INSERT INTO job_runs (job, scheduled_at, instance, started_at, finished_at, status)
                    VALUES ('forecast-day-ahead', now() - interval '1 hour', 'i', now() - interval '1 hour', now() - interval '1 hour' + interval '42 seconds', 'succeeded')`);
    const { rows } = await db.query<{ id: number }>(
      `INSERT INTO forecast_runs (issued_at, origin, horizon, root, window_start, window_end, reconciliation, reconciliation_applied, status, inputs_hash, model_versions, allocation, settings)
       VALUES (now(), now() - interval '1 hour', 'day-ahead', 'grid', now(), now() + interval '1 day', 'bottom-up', 'bottom-up', 'succeeded', 'h', '{}', 'average', '{}') RETURNING id`,
    );
    await db.query(
      `INSERT INTO forecasts (run_id, series_id, grain, target_ts, mean, q, model, model_version, fallback_reason, base_mean)
       VALUES ($1, 'a', '1h', now(), 1, '{}', 'm', 'v', 'HISTORY_MISSING', 1), ($1, 'a', '1h', now() + interval '1 hour', 1, '{}', 'm', 'v', 'HISTORY_MISSING', 1),
              ($1, 'b', '1h', now(), 1, '{}', 'm', 'v', NULL, 1)`,
      [rows[0].id],
    );
    await db.query(`INSERT INTO events (at, kind) VALUES (now(), 'rupture'), (now(), 'rupture'), (now(), 'drift')`);
    await db.query(
      `INSERT INTO forecast_runs (issued_at, origin, horizon, root, window_start, window_end, reconciliation, reconciliation_applied, status, inputs_hash, model_versions, allocation, settings)
       VALUES (now() - interval '2 hours', now() - interval '2 hours', 'intraday', 'grid', now(), now() + interval '1 hour', 'bottom-up', 'bottom-up', 'succeeded', 'h', '{}', 'average', '{"fallbackReason": "deadline: inputs late (weather-forecast)"}')`,
    );
    await app.inject({ url: '/health' });
    const res = await app.inject({ url: '/metrics', headers: await authAs(db, 'viewer') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/health",status="200"\} \d+$/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/metrics",status="401"\} \d+$/m);
    expect(text).toContain('gridcast_ingest_batches{source="csv",kind="measurements",status="rejected"} 1');
    expect(text).toContain('gridcast_ingest_rows{source="csv",kind="measurements",status="committed"} 120');
    expect(text).toContain('gridcast_job_runs{job="forecast-day-ahead",status="succeeded"} 1');
    expect(text).toContain('gridcast_job_last_run_duration_seconds{job="forecast-day-ahead",status="succeeded"} 42');
    expect(text).toContain('gridcast_forecast_runs{horizon="day-ahead",status="succeeded"} 1');
    expect(text).toContain(`gridcast_forecast_fallback_series{horizon="day-ahead",run_id="${rows[0].id}"} 1`);
    expect(text).toContain('# TYPE gridcast_events_total counter');
    expect(text).toContain('gridcast_events_total{kind="rupture"} 2');
    expect(text).toContain('gridcast_events_total{kind="drift"} 1');
    expect(text).toContain('gridcast_events_total{kind="rollback"} 0');
    expect(text).toContain('gridcast_forecast_deadline_fallback_runs{horizon="intraday"} 1');
    expect(text).not.toContain('gridcast_forecast_deadline_fallback_runs{horizon="day-ahead"}');
    expect(text).toContain(`gridcast_store_info{kind="${kind}"} 1`);
    if (kind === 'pg') expect(text).toMatch(/^gridcast_store_connections\{state="total"\} \d+$/m);
    else expect(text).not.toContain('gridcast_store_connections{');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers 429 to a client IP that keeps presenting invalid keys, before checking them', async () => {
    const guarded = await appOver(db);
    const viewer = await authAs(db, 'viewer');
    // Verified in this app before the flood: a known key keeps working.
    expect((await guarded.inject({ url: '/metrics', headers: viewer })).statusCode).toBe(200);
    const guess = (i: number) => ({ authorization: `Bearer gck_${'0'.repeat(12)}_${String(i).padStart(43, 'A')}` });
    const codes = [];
    for (let i = 0; i < 21; i++) codes.push((await guarded.inject({ url: '/metrics', headers: guess(i) })).statusCode);
    expect(codes).toEqual([...Array(20).fill(401), 429]);
    const blocked = await guarded.inject({ url: '/metrics', headers: await authAs(db, 'operator') });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toMatch(/^\d+$/);
    expect(blocked.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await guarded.inject({ url: '/metrics', headers: viewer })).statusCode).toBe(200);
    await guarded.close();
  });

  it('limits each key to its requests per minute, answering 429 with Retry-After', async () => {
    const limited = await appOver(db, { rateLimitPerMinute: 2 });
    const viewer = await authAs(db, 'viewer');
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await limited.inject({ url: '/metrics', headers: viewer })).statusCode);
    expect(codes).toEqual([200, 200, 429]);
    const res = await limited.inject({ url: '/metrics', headers: viewer });
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.headers['content-type']).toMatch(problemJson);
    expect(res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED', details: { limitPerMinute: 2 } });
    // Another key has its own budget; a mutation refused by the limit reached no handler and is not audited.
    const admin = await authAs(db, 'admin');
    const posts = [];
    for (let i = 0; i < 3; i++) posts.push((await limited.inject({ method: 'POST', url: '/api/v1/things/limited', payload: { n: i }, headers: admin })).statusCode);
    expect(posts).toEqual([200, 200, 429]);
    const audited = (await listAudit(db, { entity: 'api-request' })).filter((e) => e.entityId === '/api/v1/things/limited');
    expect(audited.map((e) => e.details.status)).toEqual([200, 200]);
    await limited.close();
  });
});
