import { describe, expect, it } from 'vitest';
import { fakeEvents } from '../test/fakes/events.ts';
import { fakeRegistry, newVersion } from '../test/fakes/registry.ts';
import { createAlarmAcknowledger } from './acknowledgement.service.ts';
import { createEventReader } from './events.service.ts';
import { createProposalReader } from './proposals.service.ts';

const NOW = new Date('2026-03-05T09:00:00Z');

describe('alarm acknowledgement', () => {
  it('appends one alarm-acknowledged event per warning or alarm, and answers a repeat with the first', async () => {
    const events = fakeEvents();
    const rupture = await events.append({ at: new Date('2026-03-01T10:00:00Z'), kind: 'rupture', severity: 'alarm', seriesId: 'a', modelVersion: 'grid@1', runId: 4 });
    const acks = createAlarmAcknowledger({ events, now: () => NOW });
    const first = await acks.acknowledge({ eventId: rupture.id, by: 'apikey:olga', comment: '  known shutdown ' });
    expect(first).toMatchObject({ created: true, acknowledgement: { eventId: rupture.id, at: NOW, by: 'apikey:olga', comment: 'known shutdown' }, event: { id: rupture.id, acknowledgement: { by: 'apikey:olga' } } });
    const again = await acks.acknowledge({ eventId: rupture.id, by: 'apikey:ann', comment: 'me too' });
    expect(again).toMatchObject({ created: false, acknowledgement: first.acknowledgement });
    expect(events.rows.filter((r) => r.kind === 'alarm-acknowledged')).toMatchObject([
      { severity: 'info', seriesId: 'a', modelVersion: 'grid@1', runId: 4, detail: { eventId: rupture.id, kind: 'rupture', by: 'apikey:olga', comment: 'known shutdown' } },
    ]);
    // A blank comment is no comment.
    const warning = await events.append({ at: NOW, kind: 'input-late', severity: 'warning' });
    expect((await acks.acknowledge({ eventId: warning.id, by: 'apikey:olga', comment: '   ' })).acknowledgement.comment).toBeNull();
  });

  it('refuses an unknown event and an info event with codes', async () => {
    const events = fakeEvents();
    const info = await events.append({ at: NOW, kind: 'promotion', severity: 'info' });
    const acks = createAlarmAcknowledger({ events, now: () => NOW });
    await expect(acks.acknowledge({ eventId: 99, by: 'apikey:olga' })).rejects.toMatchObject({ code: 'EVENT_NOT_FOUND' });
    await expect(acks.acknowledge({ eventId: info.id, by: 'apikey:olga' })).rejects.toMatchObject({ code: 'EVENT_NOT_ACKNOWLEDGEABLE', details: { severity: 'info' } });
    expect(events.rows).toHaveLength(1);
  });

  it('shows in the event listing, filters it, and closes an open retraining proposal', async () => {
    const events = fakeEvents();
    const registry = fakeRegistry();
    await registry.transaction(async (tx) => {
      await tx.createModel({ name: 'grid', family: 'load' });
      await tx.insertVersion(newVersion('grid', ['a']));
      await tx.setStatus('grid@1', 'champion', { actor: 'bob', reason: 'first' });
    });
    const proposal = await events.append({ at: NOW, kind: 'retrain-proposal', severity: 'warning', modelVersion: 'grid@1' });
    const drift = await events.append({ at: NOW, kind: 'drift', severity: 'warning', seriesId: 'a' });
    const proposals = createProposalReader({ events, registry });
    expect((await proposals.open()).map((p) => p.id)).toEqual([proposal.id]);
    await createAlarmAcknowledger({ events, now: () => NOW }).acknowledge({ eventId: proposal.id, by: 'apikey:dana' });
    expect(await proposals.open()).toEqual([]);

    const reader = createEventReader({ events, timeZone: 'UTC' });
    const listed = (await reader.list({})).events;
    expect(listed.find((e) => e.id === proposal.id)!.acknowledgement).toMatchObject({ by: 'apikey:dana' });
    expect(listed.find((e) => e.id === drift.id)!.acknowledgement).toBeNull();
    expect((await reader.list({ acknowledged: false })).events.map((e) => e.id)).toEqual([drift.id]);
    expect((await reader.list({ acknowledged: true })).events.map((e) => e.id)).toEqual([proposal.id]);
  });
});
