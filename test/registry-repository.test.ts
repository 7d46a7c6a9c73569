import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryRepository } from '../core/registry.ts';
import type { Db } from '../store/db.ts';
import { registryRepository } from '../store/registry.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeRegistry, newVersion } from './fakes/registry.ts';

// The same contract for the real repository on each backend and for the unit tests' fake.
describe.each([...backends, 'fake' as const])('registry repository (%s)', (kind) => {
  let db: Db | undefined;
  let repo: RegistryRepository;
  beforeAll(async () => {
    if (kind === 'fake') repo = fakeRegistry();
    else {
      db = await freshDb(kind);
      repo = registryRepository(db);
    }
  });
  afterAll(() => db?.close());

  it('creates models once per family and numbers their versions', async () => {
    const [grid, again, v1, v2, f1] = await repo.transaction(async (tx) => [
      await tx.createModel({ name: 'grid', family: 'load', description: 'whole grid' }),
      await tx.createModel({ name: 'grid', family: 'load' }),
      await tx.insertVersion(newVersion('grid', ['a', 'b'])),
      await tx.insertVersion(newVersion('grid', ['a', 'b'], { companion: newVersion('grid', []).artifact })),
      await tx.createModel({ name: 'feeder', family: 'load' }).then(() => tx.insertVersion(newVersion('feeder', ['b', 'c']))),
    ] as const);
    expect(grid).toMatchObject({ name: 'grid', family: 'load', description: 'whole grid', createdAt: expect.any(Date) });
    expect(again).toEqual(grid);
    expect([v1, v2, f1].map((v) => [v.id, v.model, v.version, v.status, v.hasCompanion])).toEqual([
      ['grid@1', 'grid', 1, 'candidate', false],
      ['grid@2', 'grid', 2, 'candidate', true],
      ['feeder@1', 'feeder', 1, 'candidate', false],
    ]);
    expect(v1).toMatchObject({ seriesIds: ['a', 'b'], kind: 'seasonal-naive', spec: { kind: 'seasonal-naive' }, dataHash: 'hash', createdBy: 'alice', weather: {}, warnings: [], metrics: null });
    expect(await repo.version('grid@1')).toEqual(v1);
    expect(await repo.version('grid@9')).toBeNull();
    expect((await repo.models()).map((m) => m.name)).toEqual(['feeder', 'grid']);
    expect(await repo.model('grid')).toEqual(grid);
    expect(await repo.model('nope')).toBeNull();
    expect((await repo.versions({ model: 'grid' })).map((v) => v.id)).toEqual(['grid@2', 'grid@1']);
    expect((await repo.versions({ status: 'champion' }))).toEqual([]);
    await expect(repo.transaction((tx) => tx.createModel({ name: 'grid', family: 'generation' }))).rejects.toMatchObject({ code: 'MODEL_FAMILY_MISMATCH' });
    await expect(repo.transaction((tx) => tx.createModel({ name: '-bad name', family: 'load' }))).rejects.toMatchObject({ code: 'MODEL_NAME_INVALID' });
    await expect(repo.transaction((tx) => tx.insertVersion(newVersion('nope', ['a'])))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('changes a status with its audit entry, and finds champions, overlaps and the champion a promotion replaced', async () => {
    await repo.transaction(async (tx) => {
      expect(await tx.lockModel('grid')).toBe(true);
      expect(await tx.lockModel('nope')).toBe(false);
      const v = await tx.setStatus('grid@1', 'champion', { actor: 'bob', reason: 'first', action: 'promote', details: { previousChampion: null } });
      expect(v).toMatchObject({ id: 'grid@1', status: 'champion', statusAt: expect.any(Date) });
      await tx.setStatus('feeder@1', 'shadow', { actor: 'erin', reason: 'score it' });
    });
    expect((await repo.champion('grid'))?.id).toBe('grid@1');
    expect(await repo.champion('feeder')).toBeNull();
    let overlaps: unknown[][] = [];
    await expect(
      repo.transaction(async (tx) => {
        await tx.setStatus('grid@1', 'retired', { actor: 'carol', reason: 'better', action: 'retire', details: { replacedBy: 'grid@2' } });
        await tx.setStatus('grid@2', 'champion', { actor: 'carol', reason: 'better', action: 'promote', details: { previousChampion: 'grid@1' } });
        overlaps = [await tx.overlappingChampions('feeder', ['c', 'b', 'z']), await tx.overlappingChampions('grid', ['a', 'b'])];
        await tx.setStatus('grid@9', 'retired', { actor: 'x', reason: 'x' });
      }),
    ).rejects.toMatchObject({ code: 'VERSION_NOT_FOUND' });
    expect(overlaps).toEqual([[{ id: 'grid@2', series: ['b'] }], []]);
    // The unknown version threw inside: nothing of that transaction was kept.
    expect((await repo.champion('grid'))?.id).toBe('grid@1');
    await repo.transaction(async (tx) => {
      await tx.setStatus('grid@1', 'retired', { actor: 'carol', reason: 'better', action: 'retire', details: { replacedBy: 'grid@2' } });
      await tx.setStatus('grid@2', 'champion', { actor: 'carol', reason: 'better', action: 'promote', details: { previousChampion: 'grid@1' } });
      expect((await tx.champion('grid'))?.id).toBe('grid@2');
    });
    expect(await repo.replacedChampion('grid@2')).toBe('grid@1');
    expect(await repo.replacedChampion('grid@1')).toBeNull();
    expect(await repo.replacedChampion('feeder@1')).toBeNull();
    const trail = (await repo.audit({ entity: 'model_version' })).map((e) => [e.entityId, e.action, e.fromStatus, e.toStatus, e.actor, e.reason, e.details]);
    expect(trail).toEqual([
      ['grid@1', 'promote', 'candidate', 'champion', 'bob', 'first', { previousChampion: null }],
      ['feeder@1', 'shadow', 'candidate', 'shadow', 'erin', 'score it', {}],
      ['grid@1', 'retire', 'champion', 'retired', 'carol', 'better', { replacedBy: 'grid@2' }],
      ['grid@2', 'promote', 'candidate', 'champion', 'carol', 'better', { previousChampion: 'grid@1' }],
    ]);
  });

  it('appends audit entries and pages them by entity, id, model prefix, before and limit', async () => {
    const e = await repo.transaction((tx) => tx.appendAudit({ actor: 'ops', action: 'note', entity: 'config', entityId: 'forecast', reason: 'why' }));
    expect(e).toMatchObject({ id: expect.any(Number), at: expect.any(Date), actor: 'ops', action: 'note', entity: 'config', entityId: 'forecast', fromStatus: null, toStatus: null, reason: 'why', details: {} });
    const all = await repo.audit();
    expect(all.at(-1)).toEqual(e);
    expect((await repo.audit({ entityId: 'grid@1' })).map((x) => x.action)).toEqual(['promote', 'retire']);
    expect((await repo.audit({ entityPrefix: 'grid@' })).map((x) => x.entityId)).toEqual(['grid@1', 'grid@1', 'grid@2']);
    expect((await repo.audit({ entity: 'config' })).map((x) => x.id)).toEqual([e.id]);
    expect(await repo.audit({ limit: 2 })).toEqual(all.slice(-2));
    expect(await repo.audit({ beforeId: e.id, limit: 2 })).toEqual(all.slice(-3, -1));
  });

  it('rolls back every change of a transaction that throws', async () => {
    const before = await repo.audit();
    await expect(
      repo.transaction(async (tx) => {
        await tx.setStatus('grid@2', 'retired', { actor: 'x', reason: 'y' });
        await tx.appendAudit({ actor: 'x', action: 'note', entity: 'config', entityId: 'z' });
        await tx.createModel({ name: 'later', family: 'load' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await repo.version('grid@2'))?.status).toBe('champion');
    expect(await repo.model('later')).toBeNull();
    expect(await repo.audit()).toEqual(before);
  });

  it('holds a model locked until its transaction ends, so a second change of it waits', async () => {
    const order: string[] = [];
    let release!: () => void;
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    const first = repo.transaction(async (tx) => {
      await tx.lockModel('grid');
      locked();
      await new Promise<void>((r) => (release = r));
      order.push('first ends');
    });
    await holding;
    const second = repo.transaction(async (tx) => {
      await tx.lockModel('grid');
      order.push('second holds');
    });
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first ends', 'second holds']);
  });
});
