import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../core/registry.ts';
import { fakeRegistry, newVersion } from '../../test/fakes/registry.ts';
import { registryStatusService, type PromotionGate } from './status-changes.ts';

// The registry's status rules against an in-memory registry: no database.

async function registry(versions: Array<[model: string, series: string[]]>) {
  const repo = fakeRegistry();
  await repo.transaction(async (tx) => {
    for (const [model, series] of versions) {
      await tx.createModel({ name: model, family: 'load' });
      await tx.insertVersion(newVersion(model, series));
    }
  });
  return repo;
}

const by = (actor: string, reason: string) => ({ actor, reason });
const statuses = async (repo: ReturnType<typeof fakeRegistry>) => Object.fromEntries((await repo.versions()).map((v) => [v.id, v.status]));
const trail = async (repo: ReturnType<typeof fakeRegistry>) =>
  (await repo.audit()).map((e) => [e.entityId, e.action, e.fromStatus, e.toStatus, e.actor, e.reason]);

describe('registry status changes (in-memory registry)', () => {
  it('promotes a candidate, retiring the previous champion, with every change audited with actor and reason', async () => {
    const repo = await registry([['load', ['a']], ['load', ['a']]]);
    const s = registryStatusService({ registry: repo });
    const first = await s.promote('load@1', by('bob', 'first model'));
    expect(first).toMatchObject({ version: { id: 'load@1', status: 'champion' }, previousChampion: null, overlaps: [] });
    expect(await s.previousChampion('load')).toBeNull();
    const second = await s.promote('load@2', by('carol', 'better'));
    expect(second.previousChampion?.id).toBe('load@1');
    expect((await s.previousChampion('load'))?.id).toBe('load@1');
    expect(await statuses(repo)).toEqual({ 'load@1': 'retired', 'load@2': 'champion' });
    expect(await trail(repo)).toEqual([
      ['load@1', 'promote', 'candidate', 'champion', 'bob', 'first model'],
      ['load@1', 'retire', 'champion', 'retired', 'carol', 'better'],
      ['load@2', 'promote', 'candidate', 'champion', 'carol', 'better'],
    ]);
    const audit = await repo.audit();
    expect(audit[1].details).toEqual({ replacedBy: 'load@2' });
    expect(audit[2].details).toEqual({ previousChampion: 'load@1', gate: 'none', gateDetail: 'no gate configured' });
  });

  it('rolls back one step, then one more, then refuses with NO_PREVIOUS_CHAMPION', async () => {
    const repo = await registry([['load', ['a']], ['load', ['a']], ['load', ['a']]]);
    const s = registryStatusService({ registry: repo });
    for (const id of ['load@1', 'load@2', 'load@3']) await s.promote(id, by('bob', `promote ${id}`));
    const back = await s.rollback('load', by('carol', 'worse in production'));
    expect([back.version.id, back.version.status, back.replaced.id]).toEqual(['load@2', 'champion', 'load@3']);
    expect((await repo.audit()).slice(-2).map((e) => [e.entityId, e.action, e.details])).toEqual([
      ['load@3', 'retire', { rolledBackTo: 'load@2' }],
      ['load@2', 'rollback', { replaced: 'load@3' }],
    ]);
    // load@2's own promotion named load@1: a second rollback goes one step further back.
    expect((await s.rollback('load', by('carol', 'still worse'))).version.id).toBe('load@1');
    expect(await statuses(repo)).toEqual({ 'load@1': 'champion', 'load@2': 'retired', 'load@3': 'retired' });
    const before = (await repo.audit()).length;
    await expect(s.rollback('load', by('carol', 'again'))).rejects.toMatchObject({ code: 'NO_PREVIOUS_CHAMPION', details: { champion: 'load@1' } });
    expect((await repo.audit()).length).toBe(before);
  });

  it('refuses a rollback without a champion or of an unknown model', async () => {
    const repo = await registry([['load', ['a']]]);
    const s = registryStatusService({ registry: repo });
    await expect(s.rollback('load', by('bob', 'x'))).rejects.toMatchObject({ code: 'NO_PREVIOUS_CHAMPION', details: { champion: null } });
    await expect(s.rollback('nope', by('bob', 'x'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('refuses a champion over series another model\'s champion serves (audited), unless replaceOverlap', async () => {
    const repo = await registry([['grid', ['a', 'b', 'c']], ['feeder', ['c', 'b']]]);
    const s = registryStatusService({ registry: repo });
    await s.promote('grid@1', by('bob', 'grid model'));
    await expect(s.promote('feeder@1', by('erin', 'dedicated'))).rejects.toMatchObject({
      code: 'CHAMPION_OVERLAP',
      details: { id: 'feeder@1', overlaps: [{ id: 'grid@1', series: ['b', 'c'] }] },
    });
    expect(await statuses(repo)).toEqual({ 'grid@1': 'champion', 'feeder@1': 'candidate' });
    expect((await repo.audit()).at(-1)).toMatchObject({
      entityId: 'feeder@1', action: 'promote-refused', actor: 'erin', reason: 'dedicated', fromStatus: 'candidate', toStatus: 'candidate',
      details: { code: 'CHAMPION_OVERLAP', champion: null, overlaps: [{ id: 'grid@1', series: ['b', 'c'] }] },
    });
    const p = await s.promote('feeder@1', { ...by('erin', 'dedicated'), replaceOverlap: true });
    expect(p.overlaps).toEqual([{ id: 'grid@1', series: ['b', 'c'] }]);
    expect((await repo.audit()).at(-1)!.details).toMatchObject({ replacesOverlap: [{ id: 'grid@1', series: ['b', 'c'] }] });
    // The other champion keeps serving: both are champions of their own model.
    expect(await statuses(repo)).toEqual({ 'grid@1': 'champion', 'feeder@1': 'champion' });
  });

  it('applies the overlap rule to the version a rollback restores', async () => {
    const repo = await registry([['feeder', ['b']], ['feeder', ['x']], ['grid', ['a', 'b']]]);
    const s = registryStatusService({ registry: repo });
    await s.promote('feeder@1', by('bob', 'one'));
    await s.promote('feeder@2', by('bob', 'two'));
    await s.promote('grid@1', by('bob', 'grid'));
    await expect(s.rollback('feeder', by('bob', 'back'))).rejects.toMatchObject({ code: 'CHAMPION_OVERLAP', details: { id: 'feeder@1', overlaps: [{ id: 'grid@1', series: ['b'] }] } });
    expect((await s.rollback('feeder', { ...by('bob', 'back'), replaceOverlap: true })).version.id).toBe('feeder@1');
    expect((await repo.audit()).at(-1)!.details).toEqual({ replaced: 'feeder@2', replacesOverlap: [{ id: 'grid@1', series: ['b'] }] });
  });

  it('refuses invalid transitions and changes without an actor or a reason, changing and auditing nothing', async () => {
    const repo = await registry([['load', ['a']], ['load', ['a']], ['load', ['a']]]);
    const s = registryStatusService({ registry: repo });
    await s.promote('load@1', by('bob', 'first'));
    await s.retire('load@2', by('bob', 'not needed'));
    const before = await repo.audit();
    await expect(s.promote('load@2', by('bob', 'back'))).rejects.toMatchObject({ code: 'VERSION_RETIRED' });
    await expect(s.promote('load@1', by('bob', 'again'))).rejects.toMatchObject({ code: 'VERSION_ALREADY_CHAMPION' });
    await expect(s.promote('load@9', by('bob', 'x'))).rejects.toMatchObject({ code: 'VERSION_NOT_FOUND' });
    await expect(s.shadow('load@1', by('bob', 'x'))).rejects.toMatchObject({ code: 'VERSION_STATUS_INVALID', details: { status: 'champion' } });
    await expect(s.shadow('load@2', by('bob', 'x'))).rejects.toMatchObject({ code: 'VERSION_STATUS_INVALID', details: { status: 'retired' } });
    await expect(s.retire('load@2', by('bob', 'x'))).rejects.toMatchObject({ code: 'VERSION_RETIRED' });
    await expect(s.promote('load@3', by(' ', 'x'))).rejects.toMatchObject({ code: 'ACTOR_REQUIRED' });
    await expect(s.promote('load@3', by('bob', ''))).rejects.toMatchObject({ code: 'REASON_REQUIRED' });
    await expect(s.shadow('load@3', by('bob', '  '))).rejects.toMatchObject({ code: 'REASON_REQUIRED' });
    await expect(s.retire('load@3', by('', 'x'))).rejects.toMatchObject({ code: 'ACTOR_REQUIRED' });
    await expect(s.rollback('load', by('bob', ''))).rejects.toMatchObject({ code: 'REASON_REQUIRED' });
    expect(await repo.audit()).toEqual(before);
    expect(await statuses(repo)).toEqual({ 'load@1': 'champion', 'load@2': 'retired', 'load@3': 'candidate' });
  });

  it('moves a candidate into shadow, promotes from shadow, and retires the champion leaving the model without one', async () => {
    const repo = await registry([['load', ['a']]]);
    const s = registryStatusService({ registry: repo });
    expect((await s.shadow('load@1', by('dave', ' score it '))).status).toBe('shadow');
    expect((await s.promote('load@1', by('dave', 'shadow scores are good'))).version.status).toBe('champion');
    expect((await s.retire('load@1', by('dave', 'drifted'))).status).toBe('retired');
    expect(await repo.champion('load')).toBeNull();
    expect((await repo.audit()).map((e) => [e.action, e.fromStatus, e.toStatus, e.reason, e.details])).toEqual([
      ['shadow', 'candidate', 'shadow', 'score it', {}],
      ['promote', 'shadow', 'champion', 'shadow scores are good', { previousChampion: null, gate: 'none', gateDetail: 'no gate configured' }],
      ['retire', 'champion', 'retired', 'drifted', { wasChampion: true }],
    ]);
  });

  it('asks the gate with the candidate and the champion it would replace; a refusal is audited and changes nothing', async () => {
    const repo = await registry([['load', ['a']], ['load', ['a']]]);
    const seen: Array<[string, string | null]> = [];
    let allow = false;
    const gate: PromotionGate = {
      name: 'paired-test',
      check: async (c: ModelVersion, champ: ModelVersion | null) => (seen.push([c.id, champ?.id ?? null]), { allowed: allow, detail: `${c.id} vs ${champ?.id ?? 'none'}` }),
    };
    const s = registryStatusService({ registry: repo, gate });
    allow = true;
    await s.promote('load@1', by('bob', 'first'));
    allow = false;
    await expect(s.promote('load@2', by('dave', 'try'))).rejects.toMatchObject({ code: 'PROMOTION_REFUSED', details: { id: 'load@2', gate: 'paired-test' } });
    expect(seen).toEqual([['load@1', null], ['load@2', 'load@1']]);
    expect(await statuses(repo)).toEqual({ 'load@1': 'champion', 'load@2': 'candidate' });
    expect((await repo.audit()).at(-1)).toMatchObject({ entityId: 'load@2', action: 'promote-refused', actor: 'dave', reason: 'try', details: { gate: 'paired-test', gateDetail: 'load@2 vs load@1', champion: 'load@1' } });
    expect((await repo.audit()).at(-2)!.details).toEqual({ previousChampion: null, gate: 'paired-test', gateDetail: 'load@1 vs none' });
  });

  it('serialises concurrent promotions of one model: one champion, the other retired', async () => {
    const repo = await registry([['load', ['a']], ['load', ['a']]]);
    const s = registryStatusService({ registry: repo });
    const results = await Promise.all([s.promote('load@1', by('a', 'x')), s.promote('load@2', by('b', 'y'))]);
    expect(Object.values(await statuses(repo)).sort()).toEqual(['champion', 'retired']);
    expect(results.filter((r) => r.previousChampion !== null)).toHaveLength(1);
  });
});
