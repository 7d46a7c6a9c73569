import type { AuditEntry } from '../core/audit.ts';
import type { ComparisonRepository } from '../core/comparison.ts';
import { GridcastError, isGridcastError } from '../core/errors.ts';
import type { EventLog } from '../core/events.ts';
import type { PromotionProposal, PromotionTest, ProposalRepository } from '../core/promotion.ts';
import type { ModelVersion, RegistryRepository } from '../core/registry.ts';
import { required } from '../forecast/registry/required.ts';
import { registryStatusService, type Promotion, type PromotionGate } from '../forecast/registry/status-changes.ts';
import { compareVersions } from './compare.service.ts';
import { promotionVerdict, type PromotionRule } from './promotion.ts';

export interface PromotionDeps {
  registry: RegistryRepository;
  proposals: ProposalRepository;
  comparison: ComparisonRepository;
  events: EventLog;
  rule: PromotionRule & { twoPerson: boolean };
  now: () => Date;
}

export interface Actor {
  actor: string;
  reason: string;
}

/** One period a version was champion: from its promotion (or rollback to it) to its retirement, null while it serves. */
export interface ChampionPeriod {
  version: string;
  from: Date;
  to: Date | null;
  /** 'promote' or 'rollback'. */
  how: string;
  by: string;
  reason: string | null;
  proposal: number | null;
  proposedBy: string | null;
  signedBy: string | null;
  test: PromotionTest | null;
  previousChampion: string | null;
  endedBy: { action: string; actor: string; reason: string | null; at: Date } | null;
}

/**
 * Promotion of a challenger (D5): a proposal carries the paired test on the shadow period (the
 * challenger's errors against the champion's, monitoring/promotion.ts), an admin's sign-off
 * promotes only if it passed — with `twoPerson`, not the proposer's — and every outcome is in
 * the audit log and the event log ('promotion', 'promotion-refused', 'rollback'). A model's first
 * champion has nothing to compare against: the sign-off alone promotes it.
 */
export function promotionService(deps: PromotionDeps) {
  const { registry, proposals, events, rule } = deps;

  async function evaluate(v: ModelVersion, champion: ModelVersion | null): Promise<PromotionTest> {
    const base = { rule: rule.rule, alpha: rule.alpha, margin: rule.margin, minPairs: rule.minPairs };
    if (!champion) return { ...base, passed: true, compared: false, reason: `${v.model} has no champion: the first one needs the sign-off only` };
    // Every shadow run of the challenger is of its shadow period; targets up to now have actuals.
    const from = new Date(0);
    const to = deps.now();
    const c = await compareVersions(deps.comparison, { champion: champion.id, challenger: v.id, from, to });
    const verdict = promotionVerdict(c.errors.map((e) => e.championError), c.errors.map((e) => e.challengerError), c.test?.hRequested ?? 1, rule);
    return { ...verdict, from: from.toISOString(), to: to.toISOString() };
  }

  async function version(id: string): Promise<ModelVersion> {
    const v = await registry.version(id);
    if (!v) throw new GridcastError('VERSION_NOT_FOUND', `no model version '${id}' (see 'gridcast models list')`, { id });
    if (v.status === 'retired') throw new GridcastError('VERSION_RETIRED', `${id} is retired and cannot be promoted; train a new version (rollback restores a previous champion)`, { id });
    if (v.status === 'champion') throw new GridcastError('VERSION_ALREADY_CHAMPION', `${id} is already the champion of ${v.model}`, { id });
    return v;
  }

  async function propose(id: string, by: Actor): Promise<PromotionProposal> {
    const actor = required(by.actor, 'ACTOR_REQUIRED', 'who proposes (--by)');
    const reason = required(by.reason, 'REASON_REQUIRED', 'a reason (--reason)');
    const v = await version(id);
    const champion = await registry.champion(v.model);
    const test = await evaluate(v, champion);
    const p = await proposals.insert({ model: v.model, versionId: v.id, championId: champion?.id ?? null, proposedBy: actor, reason, test });
    await registry.transaction((tx) =>
      tx.appendAudit({ actor, action: 'propose', entity: 'model_version', entityId: v.id, fromStatus: v.status, toStatus: v.status, reason, details: { proposal: p.id, champion: champion?.id ?? null, test } }),
    );
    return p;
  }

  async function refused(p: PromotionProposal, actor: string, why: string, details: Record<string, unknown>): Promise<never> {
    await proposals.decide(p.id, { by: actor, at: deps.now(), outcome: 'refused', detail: { why } });
    await events.append({ at: deps.now(), kind: 'promotion-refused', severity: 'warning', modelVersion: p.versionId, detail: { ...details, why } });
    throw new GridcastError('PROMOTION_REFUSED', `promotion of ${p.versionId} refused: ${why}`, { id: p.versionId, proposal: p.id, test: p.test });
  }

  /** The admin's sign-off of proposal `id`: promotes if its test passed and the champion is still the one it was tested against. */
  async function signoff(id: number, by: { actor: string; reason?: string; replaceOverlap?: boolean; model?: string }): Promise<{ proposal: PromotionProposal; promotion: Promotion }> {
    const actor = required(by.actor, 'ACTOR_REQUIRED', 'who signs off (--by)');
    const p = await proposals.get(id);
    if (!p || (by.model !== undefined && p.model !== by.model)) throw new GridcastError('PROPOSAL_NOT_FOUND', `no promotion proposal ${id} (list them: GET /api/v1/models/{name}/proposals)`, { id });
    if (p.decision) throw new GridcastError('PROPOSAL_DECIDED', `proposal ${id} was already decided (${p.decision.outcome} by ${p.decision.by}); propose again`, { id, outcome: p.decision.outcome });
    if (rule.twoPerson && p.championId !== null && actor === p.proposedBy) {
      throw new GridcastError('SIGNOFF_BY_PROPOSER', `${actor} proposed ${p.versionId} and cannot sign it off: promotion.twoPerson asks another admin to sign off`, { id, actor });
    }
    const details = { proposal: p.id, proposedBy: p.proposedBy, signedBy: actor, test: p.test, ...(by.reason ? { signoffReason: by.reason } : {}) };
    if (!p.test.passed) {
      const status = (await registry.version(p.versionId))?.status ?? null;
      await registry.transaction((tx) =>
        tx.appendAudit({ actor, action: 'promote-refused', entity: 'model_version', entityId: p.versionId, fromStatus: status, toStatus: status, reason: p.reason, details: { ...details, gate: 'paired-test', gateDetail: p.test.reason } }),
      );
      return refused(p, actor, p.test.reason, details);
    }
    // Asked under the model's lock: the champion must be the one the test compared against.
    const gate: PromotionGate = {
      name: 'paired-test',
      check: async (_candidate, champion) =>
        (champion?.id ?? null) === p.championId
          ? { allowed: true, detail: p.test.reason }
          : { allowed: false, detail: `the champion changed since proposal ${p.id} (tested against ${p.championId ?? 'none'}, now ${champion?.id ?? 'none'}): propose again` },
    };
    let promotion: Promotion;
    try {
      promotion = await registryStatusService({ registry, gate }).promote(p.versionId, { actor, reason: p.reason, details, ...(by.replaceOverlap ? { replaceOverlap: true } : {}) });
    } catch (e) {
      if (isGridcastError(e) && e.code === 'PROMOTION_REFUSED') return refused(p, actor, e.message, details);
      throw e;
    }
    const proposal = await proposals.decide(p.id, { by: actor, at: deps.now(), outcome: 'promoted', detail: { previousChampion: promotion.previousChampion?.id ?? null } });
    await events.append({ at: deps.now(), kind: 'promotion', modelVersion: p.versionId, detail: { ...details, model: p.model, previousChampion: promotion.previousChampion?.id ?? null, reason: p.reason } });
    return { proposal, promotion };
  }

  return {
    propose,
    signoff,
    proposals: (model: string) => proposals.list(model),

    /**
     * Proposal and sign-off by one admin in one call (`gridcast promote`, the store's owner; the
     * API's promote route): a first champion needs only this; over a champion the paired test
     * decides — and with `twoPerson` one person cannot do both: PROMOTION_SIGNOFF_REQUIRED.
     */
    async promote(id: string, by: Actor & { replaceOverlap?: boolean }): Promise<Promotion & { proposal: PromotionProposal }> {
      const v = await version(id);
      if (rule.twoPerson && (await registry.champion(v.model))) {
        throw new GridcastError(
          'PROMOTION_SIGNOFF_REQUIRED',
          `promotion.twoPerson is set: ${id} must be proposed by one person and signed off by another admin — POST /api/v1/models/${v.model}/versions/${v.version}/proposals, then POST /api/v1/models/${v.model}/proposals/{id}/signoff with another admin key; nothing was changed`,
          { id },
        );
      }
      const p = await propose(id, by);
      const r = await signoff(p.id, { actor: by.actor, ...(by.replaceOverlap ? { replaceOverlap: true } : {}) });
      return { ...r.promotion, proposal: r.proposal };
    },

    /** One-step rollback (the champion it replaced serves again), with its 'rollback' event. */
    async rollback(model: string, by: Actor & { replaceOverlap?: boolean }) {
      const r = await registryStatusService({ registry }).rollback(model, by);
      await events.append({ at: deps.now(), kind: 'rollback', severity: 'warning', modelVersion: r.version.id, detail: { model, replaced: r.replaced.id, actor: by.actor, reason: by.reason } });
      return r;
    },

    /** Which version was champion from when to when, who proposed and signed, why, with the test: read from the append-only audit log. */
    async history(model: string): Promise<ChampionPeriod[]> {
      if (!(await registry.model(model))) throw new GridcastError('MODEL_NOT_FOUND', `no model '${model}' (see 'gridcast models list')`, { model });
      return championPeriods(await registry.audit({ entity: 'model_version', entityPrefix: `${model}@`, limit: 100_000 }));
    },
  };
}
export type PromotionService = ReturnType<typeof promotionService>;

/** Champion periods from audit entries oldest first: a period opens when a version becomes champion and closes when it leaves that status. */
export function championPeriods(entries: AuditEntry[]): ChampionPeriod[] {
  const periods: ChampionPeriod[] = [];
  const open = new Map<string, ChampionPeriod>();
  const str = (x: unknown) => (typeof x === 'string' ? x : null);
  for (const e of entries) {
    const current = open.get(e.entityId);
    if (current && e.toStatus !== null && e.toStatus !== 'champion') {
      current.endedBy = { action: e.action, actor: e.actor, reason: e.reason, at: e.at };
      current.to = e.at;
      open.delete(e.entityId);
    }
    if (e.toStatus === 'champion' && e.fromStatus !== 'champion') {
      const d = e.details;
      const p: ChampionPeriod = {
        version: e.entityId,
        from: e.at,
        to: null,
        how: e.action,
        by: e.actor,
        reason: e.reason,
        proposal: typeof d.proposal === 'number' ? d.proposal : null,
        proposedBy: str(d.proposedBy),
        signedBy: str(d.signedBy),
        test: (d.test as PromotionTest | undefined) ?? null,
        previousChampion: str(d.previousChampion) ?? str(d.replaced),
        endedBy: null,
      };
      periods.push(p);
      open.set(e.entityId, p);
    }
  }
  return periods;
}
