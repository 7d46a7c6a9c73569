import { describe, expect, it } from 'vitest';
import { fakeRegistry, newVersion } from '../../test/fakes/registry.ts';
import { auditPage, modelDetail, modelSummaries } from './catalog.ts';

// The registry's read use cases against an in-memory registry: no database.

async function registry() {
  const repo = fakeRegistry();
  await repo.transaction(async (tx) => {
    for (const [model, n] of [['grid', 3], ['feeder', 1]] as const) {
      await tx.createModel({ name: model, family: 'load' });
      for (let i = 0; i < n; i++) await tx.insertVersion(newVersion(model, ['a']));
    }
    await tx.setStatus('grid@1', 'champion', { actor: 'bob', reason: 'first' });
    await tx.setStatus('grid@2', 'shadow', { actor: 'bob', reason: 'score' });
    await tx.setStatus('feeder@1', 'retired', { actor: 'bob', reason: 'old' });
    await tx.setStatus('grid@3', 'retired', { actor: 'carol', reason: 'bad' });
  });
  return repo;
}

describe('registry catalog (in-memory registry)', () => {
  it('summarises each model with its champion and how many versions hold each status', async () => {
    expect((await modelSummaries(await registry())).map((m) => [m.name, m.champion, m.versions])).toEqual([
      ['feeder', null, { candidate: 0, shadow: 0, champion: 0, retired: 1 }],
      ['grid', 'grid@1', { candidate: 0, shadow: 1, champion: 1, retired: 1 }],
    ]);
  });

  it('shows a model with its versions newest first; MODEL_NOT_FOUND for an unknown name', async () => {
    const repo = await registry();
    const d = await modelDetail(repo, 'grid');
    expect([d.model.name, d.versions.map((v) => v.id)]).toEqual(['grid', ['grid@3', 'grid@2', 'grid@1']]);
    await expect(modelDetail(repo, 'nope')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', details: { model: 'nope' } });
  });

  it('pages the audit newest first, by model or version, with the cursor of the next older page', async () => {
    const repo = await registry();
    const first = await auditPage(repo, { model: 'grid', limit: 2 });
    expect(first.entries.map((e) => [e.entityId, e.toStatus])).toEqual([['grid@3', 'retired'], ['grid@2', 'shadow']]);
    const second = await auditPage(repo, { model: 'grid', limit: 2, before: first.next! });
    expect(second).toMatchObject({ entries: [{ entityId: 'grid@1', toStatus: 'champion' }], next: null });
    expect((await auditPage(repo, { entityId: 'feeder@1', limit: 10 })).entries.map((e) => e.reason)).toEqual(['old']);
    expect((await auditPage(repo, { entity: 'config', limit: 10 })).entries).toEqual([]);
  });
});
