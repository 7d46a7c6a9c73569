import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../api/auth/roles.ts';
import type { Db } from '../store/db.ts';
import { countChanges, tableRowCounts } from '../store/table-counts.repository.ts';
import { testApp } from './api-app.ts';
import { authAs } from './api-auth.ts';
import { backends, freshDb } from './db.ts';
import { MUTATION_CLASSES, mutatingOperations, requestGenerator, type Operation } from './fuzz/generate.ts';
import { fuzzEndpoints, reportTable, trackHandlers } from './fuzz/run.ts';
import { fuzzAppDeps, fuzzConfig, seedFuzzStore, type FuzzTargets } from './fuzz/store.ts';

// npm run bench:fuzz sends 10,000 per endpoint; CI a seeded sample of the same generator.
const PER_ENDPOINT = 150;
const SEED = 20261207;
const config = fuzzConfig;
/** Codes of refusals before a handler runs. */
const BEFORE_HANDLER = ['REQUEST_INVALID', 'UNAUTHENTICATED', 'FORBIDDEN', 'UNSUPPORTED_MEDIA_TYPE', 'BODY_TOO_LARGE', 'ROUTE_NOT_FOUND', 'PATH_PARAM_TOO_LONG', 'RATE_LIMITED'];
const bodyLimit = (op: Operation) => (op.consumes.includes('text/csv') ? config.api.bodyLimitBytes : config.api.commandBodyLimitBytes);

describe('the request generator', () => {
  const op: Operation = {
    method: 'POST', path: '/api/v1/things/{id}', role: 'operator', consumes: ['application/json'],
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } as never }],
    body: { type: 'object', properties: { name: { type: 'string' }, ts: { type: 'string' } }, required: ['name', 'ts'] } as never,
  };
  const gen = (seed: number) => requestGenerator(op, { seed, pathValue: () => '7', limits: { bodyLimit: () => 65_536 } });

  it('is reproducible from its seed and differs across seeds', () => {
    const a = gen(1);
    const b = gen(1);
    const c = gen(2);
    const take = (g: ReturnType<typeof gen>) => Array.from({ length: 50 }, () => g.next()).map((r) => `${r.cls} ${r.url} ${String(r.payload).slice(0, 100)}`);
    const first = take(a);
    expect(take(b)).toEqual(first);
    expect(take(c)).not.toEqual(first);
  });

  it('makes requests of every class from a body schema', () => {
    const g = gen(3);
    const seen = new Set(Array.from({ length: 600 }, () => g.next().cls));
    expect([...seen].sort()).toEqual([...MUTATION_CLASSES].sort());
  });
});

describe.each(backends)('every mutating route under generated bad requests (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  let handlers: ReturnType<typeof trackHandlers>;
  let targets: FuzzTargets;
  const keys = new Map<string, Record<string, string>>();
  beforeAll(async () => {
    db = await freshDb(kind);
    targets = await seedFuzzStore(db);
    app = await testApp(fuzzAppDeps(db));
    handlers = trackHandlers(app);
    await app.ready();
    for (const role of ['viewer', 'operator', 'data-scientist', 'admin'] as const) keys.set(role, await authAs(db, role as Role));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('refuses a CSV body the parser cannot read, or with a NUL byte, as a client error on every batch route', async () => {
    const before = await tableRowCounts(db);
    const operator = keys.get('operator')!;
    for (const url of ['/api/v1/ingest/measurements', '/api/v1/ingest/metering', '/api/v1/ingest/weather', '/api/v1/schedules', '/api/v1/planned/transfers']) {
      // JSON sent as CSV: csv-parse stops at the quote inside an unquoted field (INVALID_OPENING_QUOTE).
      const quoted = await app.inject({ method: 'POST', url, headers: { ...operator, 'content-type': 'text/csv' }, payload: '[{"series_id":"feeder.a"}]\n' });
      expect(quoted.statusCode, `${url} ${quoted.body}`).toBeGreaterThanOrEqual(400);
      expect(quoted.statusCode, `${url} ${quoted.body}`).toBeLessThan(500);
      const nul = await app.inject({ method: 'POST', url, headers: { ...operator, 'content-type': 'text/csv' }, payload: 'series_id,ts,value\nfeeder.a,2025-01-19T00:00:00Z,1\u0000\n' });
      expect(nul.statusCode, `${url} ${nul.body}`).toBe(400);
    }
    const { audit_log: _audited, ...changed } = countChanges(before, await tableRowCounts(db));
    expect(changed).toEqual({});
  });

  it('answers no 5xx, refuses with problem+json and a code, and writes nothing when it refuses', async () => {
    const operations = mutatingOperations(app.swagger());
    // Every write route of the app is fuzzed: ingest (3), schedules, transfers, runs, the registry (6), acknowledgements, keys (2).
    expect(operations.length).toBeGreaterThanOrEqual(15);
    const reports = await fuzzEndpoints({
      app, handlers, db, operations, perEndpoint: PER_ENDPOINT, seed: SEED, keyOf: (role) => keys.get(role)!, pathValue: targets.pathValues, limits: { bodyLimit },
    });
    const failures = reports.flatMap((r) => r.failures.map((f) => ({ endpoint: r.endpoint, ...f })));
    expect(failures, reportTable(reports)).toEqual([]);
    for (const r of reports) {
      expect(r.requests).toBe(PER_ENDPOINT);
      expect(r.serverErrors).toBe(0);
      expect(r.rowChanges).toBe(0);
      // The fuzzing reached past the checks before the handler: some requests were done, or refused by the service behind them.
      const pastChecks = r.ok > 0 || [...r.rejected.keys()].some((c) => !BEFORE_HANDLER.includes(c));
      expect(pastChecks, r.endpoint).toBe(true);
    }
  }, 600_000);
});
