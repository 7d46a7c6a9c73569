import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewProposal, ProposalRepository } from '../core/promotion.ts';
import type { Db } from '../store/db.ts';
import { promotionsRepository } from '../store/promotions.repository.ts';
import { registryRepository } from '../store/registry.repository.ts';
import { backends, freshDb } from './db.ts';
import { fakeProposals } from './fakes/promotions.ts';
import { newVersion } from './fakes/registry.ts';

// The same contract for the proposals table on each backend and for the fake of the promotion service's tests.

const proposal = (over: Partial<NewProposal> = {}): NewProposal => ({
  model: 'grid',
  versionId: 'grid@2',
  championId: 'grid@1',
  proposedBy: 'apikey:op',
  reason: 'better in shadow',
  test: { passed: true, compared: true, reason: 'p < alpha', rule: 'better', alpha: 0.05, margin: 0.05, minPairs: 72, dm: 2.5, pValue: 0.01, h: 39, n: 240, meanLossDiff: 3.2, ci: [1, 5.4] },
  ...over,
});

describe.each([...backends, 'fake' as const])('promotion proposals (%s)', (kind) => {
  let db: Db | undefined;
  let repo: ProposalRepository;
  beforeAll(async () => {
    if (kind === 'fake') repo = fakeProposals();
    else {
      db = await freshDb(kind);
      await registryRepository(db).transaction(async (tx) => {
        await tx.createModel({ name: 'grid', family: 'load' });
        for (let i = 0; i < 2; i++) await tx.insertVersion(newVersion('grid', ['a']));
      });
      repo = promotionsRepository(db);
    }
  });
  afterAll(() => db?.close());

  it('keeps a proposal with its test, then one decision; a second decision is refused', async () => {
    const p = await repo.insert(proposal());
    expect(p).toMatchObject({ ...proposal(), decision: null });
    expect(p.proposedAt).toBeInstanceOf(Date);
    const first = await repo.insert(proposal({ versionId: 'grid@1', championId: null, test: { ...proposal().test, compared: false } }));
    expect((await repo.list('grid')).map((x) => x.id)).toEqual([first.id, p.id]);
    const at = new Date('2026-01-02T03:04:05Z');
    const decided = await repo.decide(p.id, { by: 'apikey:admin', at, outcome: 'promoted', detail: { previousChampion: 'grid@1' } });
    expect(decided.decision).toEqual({ by: 'apikey:admin', at, outcome: 'promoted', detail: { previousChampion: 'grid@1' } });
    await expect(repo.decide(p.id, { by: 'apikey:other', at, outcome: 'refused', detail: {} })).rejects.toMatchObject({ code: 'PROPOSAL_DECIDED' });
    expect((await repo.get(p.id))!.decision!.by).toBe('apikey:admin');
    expect(await repo.get(9999)).toBeNull();
  });

  it.skipIf(kind === 'fake')('refuses to rewrite a proposal or a decision (append-only)', async () => {
    await expect(db!.query(`UPDATE promotion_proposals SET reason = 'rewritten'`)).rejects.toThrow(/append-only/);
    await expect(db!.query(`DELETE FROM promotion_decisions`)).rejects.toThrow(/append-only/);
  });
});
