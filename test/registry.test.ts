import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forecasterFor } from '../bin/lib/models.ts';
import { ConfigSchema } from '../core/config.ts';
import { loadRunInputs } from '../forecast/inputs.ts';
import { originsAfter } from '../forecast/registry/backtest.ts';
import { registryServiceOf } from '../bin/lib/registry-service.ts';
import { trainModel, type TrainRequest } from '../forecast/registry/service.ts';
import { trainDeps } from '../bin/lib/train-deps.ts';
import { registryStatusService, type PromotionGate } from '../forecast/registry/status-changes.ts';
import { fromArtifact } from '../models/catalog.ts';
import { listAudit } from '../store/audit.repository.ts';
import type { Db } from '../store/db.ts';
import { championsFor, createModel, getVersion, insertVersion, listVersions, loadArtifact, registryRepository } from '../store/registry.repository.ts';
import { insertWeatherObs } from '../store/weather.repository.ts';
import { backends, freshDb } from './db.ts';
import { seedRegistryGrid } from './registry-grid.ts';

const START = '2025-01-06T00:00:00Z';
const DAYS = 28;
const H = 3_600_000;
const config = ConfigSchema.parse({});
const build = (kind: string, params: Record<string, unknown>) => forecasterFor(kind, params);

async function seed(db: Db): Promise<void> {
  await seedRegistryGrid(db, START, DAYS);
  const t0 = Date.parse(START);
  await insertWeatherObs(db, Array.from({ length: DAYS * 24 }, (_, i) => ({ stationId: 'ws.a', variable: 'temperature', ts: new Date(t0 + i * H), value: 5 + Math.sin(i / 4) })));
}

const request = (over: Partial<TrainRequest> = {}): TrainRequest => ({
  model: 'grid-load',
  kind: 'seasonal-naive',
  root: 'grid',
  historyDays: DAYS,
  actor: 'alice',
  codeVersion: 'test-0',
  ...over,
});

describe.each(backends)('model registry on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb(kind);
    await seed(db);
  });
  afterAll(() => db?.close());

  it('trains and registers a candidate with its window, data hash, code version, metrics and audit entry', async () => {
    // The backtest scores the actuals after the window: it ends 3 days and an hour before the data does.
    const end = Date.parse('2025-01-30T00:00:00Z');
    const { version: v } = await trainModel(trainDeps(db, config), request({ trainEnd: new Date(end), backtest: { name: 'next-3-days', origins: 3, horizon: 24 } }), build);
    expect(v.id).toBe('grid-load@1');
    expect(v.status).toBe('candidate');
    expect(v.seriesIds).toEqual(['feeder.a', 'feeder.b', 'grid']);
    expect(v.kind).toBe('seasonal-naive');
    expect(v.spec.kind).toBe('seasonal-naive');
    expect(v.features).toEqual(['calendar']);
    expect(v.codeVersion).toBe('test-0');
    expect(v.createdBy).toBe('alice');
    expect(v.trainEnd.getTime()).toBe(end);
    expect(v.trainStart.getTime()).toBe(end - DAYS * 24 * H);
    const inputs = await loadRunInputs(db, { seriesIds: v.seriesIds, origin: v.trainEnd, historyDays: DAYS, horizonSteps: 0 });
    expect(v.dataHash).toBe(inputs.hash);
    const bt = v.metrics!['next-3-days'] as { all: { mape: number; n: number; coverage: number }; series: Record<string, { mape: number }>; from: string; to: string };
    expect(bt.all.n).toBe(3 * 24 * 3);
    expect(bt.all.mape).toBeGreaterThan(0);
    expect(bt.all.mape).toBeLessThan(10);
    expect(Object.keys(bt.series).sort()).toEqual(['feeder.a', 'feeder.b', 'grid']);
    // Origins are the first local midnights after the window (the topology's Europe/Paris, UTC+1 in winter).
    expect([bt.from, bt.to]).toEqual(['2025-01-30T23:00:00.000Z', '2025-02-01T23:00:00.000Z']);
    const [entry] = await listAudit(db, { entity: 'model_version', entityId: v.id });
    expect(entry).toMatchObject({ actor: 'alice', action: 'register', fromStatus: null, toStatus: 'candidate' });
    expect(entry.details).toMatchObject({ dataHash: v.dataHash, codeVersion: 'test-0' });
    expect((await getVersion(db, v.id))!.metrics).toEqual(v.metrics);
  });

  it('refuses a backtest without enough actuals after the training window, naming the dates, and registers nothing', async () => {
    // The actuals end 2025-02-03T00:00Z; three Paris midnights after 2025-01-31 need them to 2025-02-03T23:00Z.
    const refused = trainModel(trainDeps(db, config), request({ model: 'no-room', trainEnd: new Date('2025-01-31T00:00:00Z'), backtest: { name: 'next-3-days', origins: 3, horizon: 24 } }), build);
    await expect(refused).rejects.toMatchObject({
      code: 'BACKTEST_TOO_FEW_DATA',
      message: expect.stringContaining(
        'which ends 2025-01-31T00:00:00.000Z: origins 2025-01-31T23:00:00.000Z … 2025-02-02T23:00:00.000Z, 24 h each, need actuals up to 2025-02-03T23:00:00.000Z, but the actuals of these series end 2025-02-03T00:00:00.000Z',
      ),
    });
    // By default the window ends with the actuals: nothing is left to score.
    await expect(trainModel(trainDeps(db, config), request({ model: 'no-room', backtest: { name: 'next-day', origins: 1, horizon: 24 } }), build)).rejects.toMatchObject({
      code: 'BACKTEST_TOO_FEW_DATA',
      message: expect.stringContaining('which ends 2025-02-03T00:00:00.000Z: origins 2025-02-03T23:00:00.000Z … 2025-02-03T23:00:00.000Z, 24 h each, need actuals up to 2025-02-04T23:00:00.000Z, but the actuals of these series end before it (none after it)'),
    });
    expect(await listVersions(db, { model: 'no-room' })).toEqual([]);
  });

  it('promotes with a reason, retires the previous champion, and audits who, when and why', async () => {
    const { version: v2 } = await trainModel(trainDeps(db, config), request({ kind: 'profile', params: { windowDays: 14 } }), build);
    expect(v2.id).toBe('grid-load@2');
    // Default end: the end of the hour of the latest actual.
    expect(v2.trainEnd.getTime()).toBe(Date.parse(START) + DAYS * 24 * H);
    const before = new Date(Date.now() - 1000);
    const first = await registryServiceOf(db).promote('grid-load@1', { actor: 'bob', reason: 'first model of the grid' });
    expect(first.previousChampion).toBeNull();
    expect(await registryServiceOf(db).previousChampion('grid-load')).toBeNull();
    expect(first.version.status).toBe('champion');
    const second = await registryServiceOf(db).promote('grid-load@2', { actor: 'carol', reason: 'profile beats naive on last-3-days' });
    expect(second.previousChampion!.id).toBe('grid-load@1');
    expect((await getVersion(db, 'grid-load@1'))!.status).toBe('retired');
    expect((await getVersion(db, 'grid-load@2'))!.status).toBe('champion');
    expect((await listVersions(db, { model: 'grid-load', status: 'champion' })).map((v) => v.id)).toEqual(['grid-load@2']);
    // What a one-step rollback would restore.
    expect((await registryServiceOf(db).previousChampion('grid-load'))!.id).toBe('grid-load@1');

    const audit = await listAudit(db, { entity: 'model_version', entityPrefix: 'grid-load@' });
    const changes = audit.filter((e) => e.action !== 'register').map((e) => [e.entityId, e.action, e.fromStatus, e.toStatus, e.actor, e.reason]);
    expect(changes).toEqual([
      ['grid-load@1', 'promote', 'candidate', 'champion', 'bob', 'first model of the grid'],
      ['grid-load@1', 'retire', 'champion', 'retired', 'carol', 'profile beats naive on last-3-days'],
      ['grid-load@2', 'promote', 'candidate', 'champion', 'carol', 'profile beats naive on last-3-days'],
    ]);
    const promote2 = audit.find((e) => e.entityId === 'grid-load@2' && e.action === 'promote')!;
    expect(promote2.details).toMatchObject({ previousChampion: 'grid-load@1', gate: 'none', gateDetail: 'no gate configured' });
    expect(audit.find((e) => e.entityId === 'grid-load@1' && e.action === 'retire')!.details).toEqual({ replacedBy: 'grid-load@2' });
    // The status changes of this test (registrations came earlier, in this test and the one before).
    for (const e of audit.filter((x) => x.action !== 'register')) {
      expect(e.at.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(e.at.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    }
  });

  it('refuses to promote a retired, unknown or champion version, or without a reason', async () => {
    await expect(registryServiceOf(db).promote('grid-load@1', { actor: 'bob', reason: 'back' })).rejects.toMatchObject({ code: 'VERSION_RETIRED' });
    await expect(registryServiceOf(db).promote('grid-load@9', { actor: 'bob', reason: 'x' })).rejects.toMatchObject({ code: 'VERSION_NOT_FOUND' });
    await expect(registryServiceOf(db).promote('grid-load@2', { actor: 'bob', reason: 'again' })).rejects.toMatchObject({ code: 'VERSION_ALREADY_CHAMPION' });
    await expect(registryServiceOf(db).promote('grid-load@2', { actor: 'bob', reason: '  ' })).rejects.toMatchObject({ code: 'REASON_REQUIRED' });
  });

  it('lets a gate refuse a promotion, which is audited and changes nothing', async () => {
    const { version: v3 } = await trainModel(trainDeps(db, config), request(), build);
    const gate: PromotionGate = { name: 'paired-test', check: async (c, champ) => ({ allowed: false, detail: `${c.id} not better than ${champ?.id}` }) };
    await expect(registryStatusService({ registry: registryRepository(db), gate }).promote(v3.id, { actor: 'dave', reason: 'try' })).rejects.toMatchObject({ code: 'PROMOTION_REFUSED' });
    expect((await getVersion(db, v3.id))!.status).toBe('candidate');
    expect((await getVersion(db, 'grid-load@2'))!.status).toBe('champion');
    const last = (await listAudit(db, { entityId: v3.id })).at(-1)!;
    expect(last).toMatchObject({ action: 'promote-refused', actor: 'dave', reason: 'try' });
    expect(last.details).toMatchObject({ gate: 'paired-test', gateDetail: 'grid-load@3 not better than grid-load@2' });
    await expect(registryServiceOf(db).shadow('grid-load@2', { actor: 'dave', reason: 'x' })).rejects.toMatchObject({ code: 'VERSION_STATUS_INVALID' });
    expect((await registryServiceOf(db).shadow(v3.id, { actor: 'dave', reason: 'score it beside the champion' })).status).toBe('shadow');
    expect((await registryServiceOf(db).retire(v3.id, { actor: 'dave', reason: 'enough' })).status).toBe('retired');
  });

  it('keeps the audit log and the versions append-only', async () => {
    await expect(db.query(`UPDATE audit_log SET reason = 'rewritten'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    await expect(db.query(`UPDATE model_versions SET data_hash = 'x' WHERE id = 'grid-load@2'`)).rejects.toThrow(/immutable/);
    await expect(db.query(`DELETE FROM model_versions WHERE id = 'grid-load@1'`)).rejects.toThrow(/cannot be deleted/);
    expect((await listAudit(db)).every((e) => e.reason !== 'rewritten')).toBe(true);
  });

  it('reloads an artifact that predicts bit-identically to a fresh fit on the same data', async () => {
    const v = (await getVersion(db, 'grid-load@2'))!;
    const inputs = await loadRunInputs(db, { seriesIds: v.seriesIds, origin: v.trainEnd, historyDays: DAYS, horizonSteps: 0 });
    const fresh = await build('profile', { windowDays: 14 }).fit([...inputs.history.values()]);
    const stored = fromArtifact(await loadArtifact(db, v.id));
    const [a, b] = [await fresh.predict(48), await stored.predict(48)];
    expect(b.map((f) => f.seriesId)).toEqual(v.seriesIds);
    for (let i = 0; i < a.length; i++) {
      expect(b[i].mean).toEqual(a[i].mean);
      expect(b[i].quantiles).toEqual(a[i].quantiles);
    }
  });

  it('detects a corrupted artifact', async () => {
    await db.exec(`ALTER TABLE model_versions DISABLE TRIGGER model_versions_immutable`);
    await db.query(`UPDATE model_versions SET artifact_sha256 = repeat('0', 64) WHERE id = 'grid-load@1'`);
    await db.query(`UPDATE model_versions SET artifact = '\\x00ff'::bytea WHERE id = 'grid-load@3'`);
    await db.exec(`ALTER TABLE model_versions ENABLE TRIGGER model_versions_immutable`);
    await expect(loadArtifact(db, 'grid-load@1')).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
    await expect(loadArtifact(db, 'grid-load@3')).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
    await expect(loadArtifact(db, 'nope@1')).rejects.toMatchObject({ code: 'VERSION_NOT_FOUND' });
  });

  it('refuses a champion over series another champion serves, unless told it replaces it there (audited)', async () => {
    const { version: a } = await trainModel(trainDeps(db, config), request({ model: 'feeder-a', seriesIds: ['feeder.a'], root: undefined }), build);
    expect((await championsFor(db, ['feeder.a'])).get('feeder.a')!.id).toBe('grid-load@2');
    await expect(registryServiceOf(db).promote(a.id, { actor: 'erin', reason: 'dedicated model' })).rejects.toMatchObject({
      code: 'CHAMPION_OVERLAP',
      details: { id: a.id, overlaps: [{ id: 'grid-load@2', series: ['feeder.a'] }] },
    });
    expect((await getVersion(db, a.id))!.status).toBe('candidate');
    expect((await championsFor(db, ['feeder.a'])).get('feeder.a')!.id).toBe('grid-load@2');
    const [refused] = (await listAudit(db, { entity: 'model_version', entityId: a.id })).filter((e) => e.action === 'promote-refused');
    expect(refused).toMatchObject({ actor: 'erin', details: { code: 'CHAMPION_OVERLAP', overlaps: [{ id: 'grid-load@2', series: ['feeder.a'] }] } });

    const promoted = await registryServiceOf(db).promote(a.id, { actor: 'erin', reason: 'dedicated model', replaceOverlap: true });
    expect(promoted.overlaps).toEqual([{ id: 'grid-load@2', series: ['feeder.a'] }]);
    const [entry] = (await listAudit(db, { entity: 'model_version', entityId: a.id })).filter((e) => e.action === 'promote');
    expect(entry.details).toMatchObject({ replacesOverlap: [{ id: 'grid-load@2', series: ['feeder.a'] }] });
    const champions = await championsFor(db, ['feeder.a', 'feeder.b', 'grid', 'elsewhere']);
    expect(Object.fromEntries([...champions].map(([k, v]) => [k, v.id]))).toEqual({ 'feeder.a': 'feeder-a@1', 'feeder.b': 'grid-load@2', grid: 'grid-load@2' });
  });

  it('numbers concurrent registrations without collisions and refuses a model of another family', async () => {
    await createModel(db, { name: 'numbering', family: 'load' });
    const base = (await getVersion(db, 'grid-load@2'))!;
    const artifact = await loadArtifact(db, base.id);
    const versions = await Promise.all(
      [0, 1, 2].map(() => insertVersion(db, { ...base, model: 'numbering', artifact, metrics: null, createdBy: 'frank' })),
    );
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 3]);
    await expect(createModel(db, { name: 'numbering', family: 'generation' })).rejects.toMatchObject({ code: 'MODEL_FAMILY_MISMATCH' });
    await expect(createModel(db, { name: 'bad name', family: 'load' })).rejects.toMatchObject({ code: 'MODEL_NAME_INVALID' });
    await expect(insertVersion(db, { ...base, model: 'ghost', artifact, metrics: null, createdBy: 'frank' })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});

it('places named-backtest origins at the first local midnights at or after the end of training, across DST', () => {
  const at = (t: string, n: number) => originsAfter(new Date(t), n, 'Europe/Paris').map((ms) => new Date(ms).toISOString());
  // An origin at the end of training itself sees exactly the training window.
  expect(at('2025-01-29T23:00:00Z', 2)).toEqual(['2025-01-29T23:00:00.000Z', '2025-01-30T23:00:00.000Z']);
  expect(at('2025-01-30T00:00:00Z', 1)).toEqual(['2025-01-30T23:00:00.000Z']);
  expect(at('2025-03-29T12:00:00Z', 2)).toEqual(['2025-03-29T23:00:00.000Z', '2025-03-30T22:00:00.000Z']);
});
