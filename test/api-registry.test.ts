import { storeAppDeps } from '../bin/lib/app-deps.ts';
import { writeServices } from '../bin/lib/write-services.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './api-app.ts';
import { AuditView, ModelSummaryView, VersionView } from '../api/routes/v1/registry.ts';
import { forecasterFor } from '../bin/lib/models.ts';
import { ConfigSchema } from '../core/config.ts';
import { trainModel, type TrainRequest } from '../forecast/registry/service.ts';
import { trainDeps } from '../bin/lib/train-deps.ts';
import { listAudit } from '../store/audit.repository.ts';
import type { Db } from '../store/db.ts';
import { getVersion, registryRepository } from '../store/registry.repository.ts';
import { registryStatusService } from '../forecast/registry/status-changes.ts';
import { authAs } from './api-auth.ts';
import { expectProblem } from './api-problem.ts';
import { backends, freshDb } from './db.ts';
import { seedRegistryGrid } from './registry-grid.ts';

const health = { dbKind: 'pglite' as const, pingDb: async () => {}, lastIngestAt: () => null, sources: () => [] };
const START = '2025-01-06T00:00:00Z';
const DAYS = 14;
const config = ConfigSchema.parse({});

const train = (db: Db, over: Partial<TrainRequest> = {}) =>
  trainModel(trainDeps(db, config), { model: 'grid-load', kind: 'seasonal-naive', root: 'grid', historyDays: DAYS, actor: 'alice', codeVersion: 'test-0', ...over }, (k, p) => forecasterFor(k, p));

describe.each(backends)('registry routes of /api/v1 (%s)', (kind) => {
  let db: Db;
  let app: FastifyInstance;
  let viewer: Record<string, string>;
  let scientist: Record<string, string>;
  let admin: Record<string, string>;
  let operator: Record<string, string>;
  beforeAll(async () => {
    db = await freshDb(kind);
    await seedRegistryGrid(db, START, DAYS);
    for (let i = 0; i < 3; i++) await train(db);
    await train(db, { model: 'feeder-a', seriesIds: ['feeder.a'], root: undefined });
    app = await testApp({ ...storeAppDeps(db), health, writes: writeServices(db, config) });
    viewer = await authAs(db, 'viewer');
    scientist = await authAs(db, 'data-scientist');
    admin = await authAs(db, 'admin');
    operator = await authAs(db, 'operator');
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url: `/api/v1${url}`, headers: viewer });
  const post = (url: string, payload: object, headers = scientist) => app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload });
  // Proposing and signing off in one call is an admin's sign-off.
  const promote = (url: string, payload: object) => post(url, payload, admin);
  const status = async (id: string) => (await getVersion(db, id))?.status;

  it('lists models with their champion and version counts, and shows a model with its versions', async () => {
    const list = await get('/models');
    expect(list.statusCode).toBe(200);
    const items = list.json().items.map((m: unknown) => ModelSummaryView.parse(m));
    expect(items.map((m: { name: string; champion: string | null; versions: Record<string, number> }) => [m.name, m.champion, m.versions.candidate])).toEqual([
      ['feeder-a', null, 1],
      ['grid-load', null, 3],
    ]);
    const one = await get('/models/grid-load');
    expect(one.statusCode).toBe(200);
    const versions = one.json().versions.map((v: unknown) => VersionView.parse(v));
    expect(versions.map((v: { id: string; status: string }) => [v.id, v.status])).toEqual([
      ['grid-load@3', 'candidate'],
      ['grid-load@2', 'candidate'],
      ['grid-load@1', 'candidate'],
    ]);
    expect(versions[0]).toMatchObject({ kind: 'seasonal-naive', seriesIds: ['feeder.a', 'feeder.b', 'grid'], createdBy: 'alice', metrics: null, weather: {} });
    expectProblem(await get('/models/nope'), 'MODEL_NOT_FOUND');
    expectProblem(await get('/models/bad%20name'), 'REQUEST_INVALID');
  });

  it('promotes a first champion, gates the next on the paired test with sign-off, rolls back one step and retires, naming the API key in the audit log', async () => {
    expectProblem(await post('/models/grid-load/versions/1/promote', { reason: 'first model' }), 'FORBIDDEN');
    const first = await promote('/models/grid-load/versions/1/promote', { reason: 'first model' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ version: { id: 'grid-load@1', status: 'champion' }, previousChampion: null, overlaps: [] });
    expectProblem(await promote('/models/grid-load/versions/1/promote', { reason: 'again' }), 'VERSION_ALREADY_CHAMPION');
    expectProblem(await promote('/models/grid-load/versions/9/promote', { reason: 'none such' }), 'VERSION_NOT_FOUND');
    expectProblem(await promote('/models/grid-load/versions/2/promote', {}), 'REQUEST_INVALID');
    expectProblem(await promote('/models/grid-load/versions/2/promote', { reason: '  ' }), 'REQUEST_INVALID');
    expectProblem(await promote('/models/grid-load/versions/two/promote', { reason: 'x' }), 'REQUEST_INVALID');

    const shadow = await post('/models/grid-load/versions/2/shadow', { reason: 'score it' });
    expect(shadow.json()).toMatchObject({ version: { id: 'grid-load@2', status: 'shadow' } });
    expectProblem(await post('/models/grid-load/versions/2/shadow', { reason: 'again' }), 'VERSION_STATUS_INVALID');
    // No shadow run was made: no paired errors, the test cannot pass.
    expect(expectProblem(await promote('/models/grid-load/versions/2/promote', { reason: 'better in shadow' }), 'PROMOTION_REFUSED').test).toMatchObject({ passed: false, n: 0 });
    const proposed = await post('/models/grid-load/versions/2/proposals', { reason: 'better in shadow' }, operator);
    expect(proposed.statusCode, proposed.body).toBe(201);
    expect(proposed.json()).toMatchObject({ version: 'grid-load@2', champion: 'grid-load@1', proposedBy: 'apikey:test-operator', test: { passed: false, compared: true }, decision: null });
    const id = proposed.json().id as number;
    expectProblem(await post(`/models/grid-load/proposals/${id}/signoff`, {}, operator), 'FORBIDDEN');
    expectProblem(await post(`/models/feeder-a/proposals/${id}/signoff`, {}, admin), 'PROPOSAL_NOT_FOUND');
    expectProblem(await post(`/models/grid-load/proposals/${id}/signoff`, {}, admin), 'PROMOTION_REFUSED');
    expectProblem(await post(`/models/grid-load/proposals/${id}/signoff`, {}, admin), 'PROPOSAL_DECIDED');
    const proposals = (await get('/models/grid-load/proposals')).json().items;
    expect(proposals.map((p: { version: string; decision: { outcome: string } | null }) => [p.version, p.decision?.outcome])).toEqual([['grid-load@2', 'refused'], ['grid-load@2', 'refused'], ['grid-load@1', 'promoted']]);
    expect(await status('grid-load@2')).toBe('shadow');

    // A promotion made before the gate existed, so that the API's one-step rollback has a step to take.
    await registryStatusService({ registry: registryRepository(db) }).promote('grid-load@2', { actor: 'apikey:seed', reason: 'better in shadow' });
    const back = await post('/models/grid-load/rollback', { reason: 'worse in production' });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ version: { id: 'grid-load@1', status: 'champion' }, replaced: { id: 'grid-load@2' } });
    expect([await status('grid-load@1'), await status('grid-load@2')]).toEqual(['champion', 'retired']);
    // grid-load@1 replaced no champion: one step further back there is nothing.
    expectProblem(await post('/models/grid-load/rollback', { reason: 'again' }), 'NO_PREVIOUS_CHAMPION');
    expectProblem(await post('/models/feeder-a/rollback', { reason: 'no champion' }), 'NO_PREVIOUS_CHAMPION');
    expectProblem(await post('/models/nope/rollback', { reason: 'x' }), 'MODEL_NOT_FOUND');

    const history = (await get('/models/grid-load/history')).json().items;
    expect(history.map((p: { version: string; how: string; to: string | null }) => [p.version, p.how, p.to === null])).toEqual([
      ['grid-load@1', 'promote', false],
      ['grid-load@2', 'promote', false],
      ['grid-load@1', 'rollback', true],
    ]);
    expect(history[0]).toMatchObject({ proposedBy: 'apikey:test-admin', signedBy: 'apikey:test-admin', test: { compared: false, passed: true } });

    expect((await post('/models/grid-load/versions/3/retire', { reason: 'superseded' })).json()).toMatchObject({ version: { status: 'retired' } });
    expectProblem(await promote('/models/grid-load/versions/3/promote', { reason: 'x' }), 'VERSION_RETIRED');
    expectProblem(await post('/models/grid-load/versions/3/retire', { reason: 'x' }), 'VERSION_RETIRED');

    const audit = await listAudit(db, { entityPrefix: 'grid-load@' });
    const changes = audit.filter((e) => e.action !== 'register');
    expect(changes.map((e) => [e.action, e.entityId])).toEqual([
      ['propose', 'grid-load@1'],
      ['promote', 'grid-load@1'],
      ['shadow', 'grid-load@2'],
      ['propose', 'grid-load@2'],
      ['promote-refused', 'grid-load@2'],
      ['propose', 'grid-load@2'],
      ['promote-refused', 'grid-load@2'],
      ['retire', 'grid-load@1'],
      ['promote', 'grid-load@2'],
      ['retire', 'grid-load@2'],
      ['rollback', 'grid-load@1'],
      ['retire', 'grid-load@3'],
    ]);
    // The key that made the change (its name once API keys authenticate requests).
    for (const e of changes) expect(e.actor).toMatch(/^apikey:/);
  });

  it("refuses a promotion over another model's champion unless replaceOverlap says so", async () => {
    const refused = await promote('/models/feeder-a/versions/1/promote', { reason: 'feeder model' });
    expect(expectProblem(refused, 'CHAMPION_OVERLAP')).toMatchObject({ overlaps: [{ id: 'grid-load@1', series: ['feeder.a'] }] });
    expect(await status('feeder-a@1')).toBe('candidate');
    const taken = await promote('/models/feeder-a/versions/1/promote', { reason: 'feeder model', replaceOverlap: true });
    expect(taken.statusCode).toBe(200);
    expect(taken.json()).toMatchObject({ version: { id: 'feeder-a@1', status: 'champion' }, overlaps: [{ id: 'grid-load@1', series: ['feeder.a'] }] });
  });

  it('pages the audit log newest first by cursor, filtered by model or entity', async () => {
    const all = (await listAudit(db, { entityPrefix: 'grid-load@' })).reverse();
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/audit?model=grid-load&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: unknown[]; nextCursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(4);
      seen.push(...body.items.map((e) => AuditView.parse(e).id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
    expect(seen.length).toBeGreaterThan(8);
    const one = await get('/audit?entityId=feeder-a@1&entity=model_version');
    expect(one.json().items.map((e: { action: string }) => e.action)).toEqual(['promote', 'propose', 'promote-refused', 'propose', 'register']);
    expect(one.json().nextCursor).toBeNull();
    for (const bad of ['limit=0', 'limit=501', 'cursor=x', 'colour=red']) expectProblem(await get(`/audit?${bad}`), 'REQUEST_INVALID');
  });

  it('names the API key behind the request in the audit entry', async () => {
    const keyed = await testApp({ ...storeAppDeps(db), health, writes: writeServices(db, config) });
    // What the auth hook does for a request with a valid key.
    keyed.addHook('onRequest', async (req) => {
      req.principal = { keyId: 'k-17', name: 'ops-bot', role: 'data-scientist' };
    });
    try {
      const res = await keyed.inject({ method: 'POST', url: '/api/v1/models/feeder-a/versions/1/retire', headers: scientist, payload: { reason: 'feeder model withdrawn' } });
      expect(res.statusCode, res.body).toBe(200);
    } finally {
      await keyed.close();
    }
    const [entry] = await listAudit(db, { entityId: 'feeder-a@1', limit: 1 });
    expect(entry).toMatchObject({ action: 'retire', actor: 'apikey:ops-bot', reason: 'feeder model withdrawn' });
  });
});
