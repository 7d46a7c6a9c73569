import { describe, expect, it } from 'vitest';
import type { PairedForecast } from '../core/comparison.ts';
import { registryStatusService } from '../forecast/registry/status-changes.ts';
import { fakeEvents } from '../test/fakes/events.ts';
import { fakeComparison, fakeProposals } from '../test/fakes/promotions.ts';
import { fakeRegistry, newVersion } from '../test/fakes/registry.ts';
import { compareVersions } from './compare.service.ts';
import { promotionService } from './promotion.service.ts';
import { dmTest } from '../core/stats/dm.ts';

// The promotion rule (D5) against in-memory registry, proposals, events and paired forecasts.

const HOUR = 3_600_000;
const DAY0 = Date.UTC(2026, 0, 10);

/** A deterministic noise source (LCG), so every number here can be recomputed. */
function noise(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
}

/** `days` daily runs (origin 08:00 UTC) over 24 hours each of series a and b: champion error ×`champion`, challenger error ×`challenger`. */
function pairs(challenger: string, days: number, championScale: number, challengerScale: number) {
  const r = noise(7);
  const rows: Array<PairedForecast & { championVersion: string; challengerVersion: string }> = [];
  const actuals = new Map<string, Map<number, number>>([['a', new Map()], ['b', new Map()]]);
  for (let d = 0; d < days; d++) {
    const origin = new Date(DAY0 + d * 24 * HOUR + 8 * HOUR);
    for (const id of ['a', 'b']) {
      for (let k = 16; k < 40; k++) {
        const ts = origin.getTime() + k * HOUR;
        const actual = 100 + 10 * Math.sin(ts / HOUR);
        actuals.get(id)!.set(ts, actual);
        const common = r();
        rows.push({ seriesId: id, targetTs: new Date(ts), origin, issuedAt: new Date(origin.getTime() + 20 * 60_000), champion: actual - championScale * (common + r()), challenger: actual - challengerScale * (common + r()), championVersion: 'load@1', challengerVersion: challenger });
      }
    }
  }
  return { rows, actuals };
}

async function setup(twoPerson: boolean) {
  let clock = new Date(DAY0 - 24 * HOUR);
  const now = () => clock;
  const registry = fakeRegistry({ now });
  await registry.transaction(async (tx) => {
    await tx.createModel({ name: 'load', family: 'load' });
    for (let i = 0; i < 3; i++) await tx.insertVersion(newVersion('load', ['a', 'b']));
  });
  const better = pairs('load@2', 5, 2, 1);
  const worse = pairs('load@3', 5, 1, 2);
  const comparison = fakeComparison([...better.rows, ...worse.rows], better.actuals);
  const events = fakeEvents();
  const service = promotionService({ registry, proposals: fakeProposals(now), comparison, events, now, rule: { rule: 'better', alpha: 0.05, margin: 0.05, minPairs: 72, twoPerson } });
  return { registry, events, service, comparison, setClock: (t: number) => (clock = new Date(t)) };
}

describe('paired comparison', () => {
  it('scores both models against the actuals and tests exactly the errors it returns, per lead and per run too', async () => {
    const { comparison } = await setup(false);
    const c = await compareVersions(comparison, { champion: 'load@1', challenger: 'load@2', from: new Date(DAY0), to: new Date(DAY0 + 10 * 24 * HOUR) });
    expect(c.errors).toHaveLength(5 * 2 * 24);
    expect(c.errors[0]).toMatchObject({ seriesId: 'a', lead: 17 });
    const headline = dmTest(c.errors.map((e) => e.championError), c.errors.map((e) => e.challengerError), { h: 40, power: 2 });
    expect(c.test).toMatchObject({ statistic: headline.statistic, pValue: headline.pValue, h: headline.h, n: 240, meanLossDiff: headline.meanLossDiff });
    expect(c.test!.meanLossDiff).toBeGreaterThan(0);
    expect(c.issueStepHours).toBe(24);
    expect(c.perLead.map((p) => [p.lead, p.n, p.hRequested])).toContainEqual([30, 10, 2]);
    expect(c.perLead.find((p) => p.lead === 20)!.hRequested).toBe(1);
    expect(c.daily!.n).toBe(5);
  });

  it('leaves out hours without an actual', async () => {
    const { rows, actuals } = pairs('load@2', 2, 2, 1);
    actuals.get('a')!.delete(rows[0].targetTs.getTime());
    const c = await compareVersions(fakeComparison(rows, actuals), { champion: 'load@1', challenger: 'load@2', from: new Date(DAY0), to: new Date(DAY0 + 9 * 24 * HOUR) });
    expect(c.errors).toHaveLength(rows.length - 1);
  });
});

describe('promotion with sign-off', () => {
  it('a first champion needs the sign-off only; over a champion the test decides; two people when configured; rollback one step', async () => {
    const { registry, events, service, setClock } = await setup(true);
    const first = await service.promote('load@1', { actor: 'owner', reason: 'first model' });
    expect(first.proposal.test).toMatchObject({ compared: false, passed: true });
    await registryStatusService({ registry }).shadow('load@2', { actor: 'ds', reason: 'challenger' });
    await registryStatusService({ registry }).shadow('load@3', { actor: 'ds', reason: 'challenger' });
    setClock(DAY0 + 8 * 24 * HOUR);

    await expect(service.promote('load@2', { actor: 'owner', reason: 'one person' })).rejects.toMatchObject({ code: 'PROMOTION_SIGNOFF_REQUIRED' });
    const p = await service.propose('load@2', { actor: 'apikey:op', reason: 'lower error in shadow' });
    expect(p.test).toMatchObject({ compared: true, passed: true, n: 240, rule: 'better' });
    expect(p.test.pValue).toBeLessThan(0.05);
    await expect(service.signoff(p.id, { actor: 'apikey:op' })).rejects.toMatchObject({ code: 'SIGNOFF_BY_PROPOSER' });
    expect((await registry.version('load@2'))!.status).toBe('shadow');
    const signed = await service.signoff(p.id, { actor: 'apikey:admin2' });
    expect(signed.promotion.previousChampion!.id).toBe('load@1');
    expect(signed.proposal.decision).toMatchObject({ by: 'apikey:admin2', outcome: 'promoted' });
    await expect(service.signoff(p.id, { actor: 'apikey:admin3' })).rejects.toMatchObject({ code: 'PROPOSAL_DECIDED' });

    // A worse challenger: proposed, tested, refused at sign-off, audited and an event.
    const bad = await pairsRefused(service, registry);
    expect(bad.test.passed).toBe(false);

    const back = await service.rollback('load', { actor: 'apikey:admin2', reason: 'alarm' });
    expect(back.version.id).toBe('load@1');
    expect(events.rows.map((e) => [e.kind, e.modelVersion])).toEqual([
      ['promotion', 'load@1'],
      ['promotion', 'load@2'],
      ['promotion-refused', 'load@3'],
      ['rollback', 'load@1'],
    ]);
    const history = await service.history('load');
    expect(history.map((h) => [h.version, h.how, h.by, h.proposedBy, h.signedBy, h.to === null, h.previousChampion])).toEqual([
      ['load@1', 'promote', 'owner', 'owner', 'owner', false, null],
      ['load@2', 'promote', 'apikey:admin2', 'apikey:op', 'apikey:admin2', false, 'load@1'],
      ['load@1', 'rollback', 'apikey:admin2', null, null, true, 'load@2'],
    ]);
    expect(history[1].test).toMatchObject({ passed: true, n: 240 });
    expect(history[1].endedBy).toMatchObject({ actor: 'apikey:admin2', reason: 'alarm' });
  });
});

describe('promotion in one call (the CLI: the store owner proposes and signs off)', () => {
  it('refuses a worse challenger on the test and promotes a better one', async () => {
    const { registry, events, service, setClock } = await setup(false);
    await service.promote('load@1', { actor: 'owner', reason: 'first model' });
    for (const id of ['load@2', 'load@3']) await registryStatusService({ registry }).shadow(id, { actor: 'ds', reason: 'challenger' });
    setClock(DAY0 + 8 * 24 * HOUR);
    const refused = await service.promote('load@3', { actor: 'owner', reason: 'try' }).catch((e: Error) => e);
    expect(refused).toMatchObject({ code: 'PROMOTION_REFUSED' });
    expect((refused as Error).message).toMatch(/not shown to be significantly better/);
    expect((await registry.version('load@3'))!.status).toBe('shadow');
    expect(events.rows.at(-1)).toMatchObject({ kind: 'promotion-refused', modelVersion: 'load@3' });
    const ok = await service.promote('load@2', { actor: 'owner', reason: 'better' });
    expect(ok.proposal.test).toMatchObject({ passed: true, compared: true });
    expect(ok.proposal).toMatchObject({ proposedBy: 'owner', decision: { by: 'owner', outcome: 'promoted' } });
  });

  it("'non-inferior' passes a challenger as good as the champion within the margin, which 'better' refuses", async () => {
    const { rows, actuals } = pairs('load@2', 5, 1, 1);
    const verdict = async (rule: 'better' | 'non-inferior') => {
      const registry = fakeRegistry({ now: () => new Date(DAY0 - HOUR) });
      await registry.transaction(async (tx) => {
        await tx.createModel({ name: 'load', family: 'load' });
        for (let i = 0; i < 2; i++) await tx.insertVersion(newVersion('load', ['a', 'b']));
      });
      await registryStatusService({ registry }).promote('load@1', { actor: 'o', reason: 'r' });
      await registryStatusService({ registry }).shadow('load@2', { actor: 'o', reason: 'r' });
      const s = promotionService({ registry, proposals: fakeProposals(), comparison: fakeComparison(rows, actuals), events: fakeEvents(), now: () => new Date(DAY0 + 8 * 24 * HOUR), rule: { rule, alpha: 0.05, margin: 0.5, minPairs: 72, twoPerson: false } });
      return (await s.propose('load@2', { actor: 'o', reason: 'r' })).test;
    };
    expect(await verdict('better')).toMatchObject({ passed: false });
    expect(await verdict('non-inferior')).toMatchObject({ passed: true });
  });
});

async function pairsRefused(service: ReturnType<typeof promotionService>, registry: ReturnType<typeof fakeRegistry>) {
  // load@3 was compared with load@1 in the fixtures; against the current champion (load@2) there are no pairs.
  const p = await service.propose('load@3', { actor: 'apikey:op', reason: 'try' });
  expect(p.championId).toBe('load@2');
  expect(p.test.reason).toMatch(/0 paired errors, fewer than the 72 required/);
  await expect(service.signoff(p.id, { actor: 'apikey:admin2' })).rejects.toMatchObject({ code: 'PROMOTION_REFUSED' });
  expect((await registry.audit()).at(-1)).toMatchObject({ action: 'promote-refused', entityId: 'load@3' });
  return p;
}
