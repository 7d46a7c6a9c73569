import { describe, expect, it } from 'vitest';
import { fakeEvents } from '../test/fakes/events.ts';
import { fakeRegistry, newVersion } from '../test/fakes/registry.ts';
import { createProposalReader } from './proposals.service.ts';

describe('open retraining proposals', () => {
  it('are those of current champions that nobody acknowledged', async () => {
    const registry = fakeRegistry();
    await registry.transaction(async (tx) => {
      await tx.createModel({ name: 'grid', family: 'load' });
      await tx.insertVersion(newVersion('grid', ['a']));
      await tx.insertVersion(newVersion('grid', ['a']));
      await tx.setStatus('grid@1', 'champion', { actor: 'bob', reason: 'first' });
    });
    const events = fakeEvents();
    const at = new Date('2026-04-01T06:00:00Z');
    const p1 = await events.append({ at, kind: 'retrain-proposal', modelVersion: 'grid@1' });
    const reader = createProposalReader({ events, registry });
    expect((await reader.open()).map((e) => e.id)).toEqual([p1.id]);
    await events.append({ at, kind: 'alarm-acknowledged', detail: { eventId: p1.id, by: 'erin' } });
    expect(await reader.open()).toEqual([]);
    const p2 = await events.append({ at: new Date('2026-05-01T06:00:00Z'), kind: 'retrain-proposal', modelVersion: 'grid@1' });
    expect((await reader.open()).map((e) => e.id)).toEqual([p2.id]);
    // A retrained version promoted: the proposal about the old one is closed.
    await registry.transaction(async (tx) => {
      await tx.setStatus('grid@1', 'retired', { actor: 'bob', reason: 'replaced' });
      await tx.setStatus('grid@2', 'champion', { actor: 'bob', reason: 'retrained' });
    });
    expect(await reader.open()).toEqual([]);
  });
});
