import { GridcastError } from '../../core/errors.ts';
import type { ChampionOverlap, ModelVersion, RegistryQueries, RegistryRepository, RegistryTransaction } from '../../core/registry.ts';
import { required } from './required.ts';

/**
 * The seam for the promotion rule (D5): the monitoring issue plugs in the paired test on shadow
 * errors and the sign-off, reading through its own repositories. It is asked while the
 * promotion holds the model's lock, so the champion it judges against is the one replaced.
 */
export interface PromotionGate {
  name: string;
  check(candidate: ModelVersion, champion: ModelVersion | null): Promise<{ allowed: boolean; detail: string }>;
}

export const NO_GATE: PromotionGate = {
  name: 'none',
  check: async () => ({ allowed: true, detail: 'no gate configured' }),
};

export interface StatusChange {
  actor: string;
  reason: string;
  /** Recorded with the change's audit entry (a promotion's proposal, sign-off and test). */
  details?: Record<string, unknown>;
}

export interface Promotion {
  version: ModelVersion;
  previousChampion: ModelVersion | null;
  overlaps: ChampionOverlap[];
}

export interface RegistryStatusService {
  promote(id: string, by: StatusChange & { replaceOverlap?: boolean }): Promise<Promotion>;
  rollback(model: string, by: StatusChange & { replaceOverlap?: boolean }): Promise<{ version: ModelVersion; replaced: ModelVersion }>;
  shadow(id: string, by: StatusChange): Promise<ModelVersion>;
  retire(id: string, by: StatusChange): Promise<ModelVersion>;
  previousChampion(model: string): Promise<ModelVersion | null>;
}

async function lockedVersion(tx: RegistryTransaction, id: string): Promise<ModelVersion> {
  const v = await tx.version(id);
  if (!v) throw new GridcastError('VERSION_NOT_FOUND', `no model version '${id}' (see 'gridcast models list')`, { id });
  await tx.lockModel(v.model);
  // Read again under the lock: a change that held it before may have moved the status.
  return (await tx.version(id))!;
}

/**
 * The champion the current one replaced — what a one-step rollback restores — read from the
 * audit of the current champion's promotion; null without a champion or a predecessor.
 */
async function previousChampionIn(q: RegistryQueries, model: string): Promise<ModelVersion | null> {
  const current = await q.champion(model);
  if (!current) return null;
  const previous = await q.replacedChampion(current.id);
  return previous ? q.version(previous) : null;
}

/**
 * Status changes of model versions (promote, shadow, retire, rollback), each one unit of work of
 * `registry` that locks the model and audits every change with its actor and reason.
 */
export function registryStatusService({ registry, gate = NO_GATE }: { registry: RegistryRepository; gate?: PromotionGate }): RegistryStatusService {
  return {
    /**
     * Makes a candidate or shadow version the champion of its model: the gate decides, the
     * current champion is retired (audit 'retire', replacedBy) and the version becomes champion
     * (audit 'promote' with previousChampion, which one-step rollback reads). A refusal by the
     * gate is audited ('promote-refused') and raised as PROMOTION_REFUSED.
     *
     * A version covering series that the champion of another model already serves is refused
     * (CHAMPION_OVERLAP, audited) unless `replaceOverlap` says it takes those series over; the
     * promotion's audit then lists them. Which champion serves a series is never decided silently.
     */
    async promote(id, by) {
      const actor = required(by.actor, 'ACTOR_REQUIRED', 'who promotes (--by)');
      const reason = required(by.reason, 'REASON_REQUIRED', 'a reason (--reason)');
      // A refusal commits its audit entry; the error is raised once the transaction is over.
      const outcome = await registry.transaction(async (tx): Promise<Promotion | { overlapRefused: ChampionOverlap[] } | { refused: string }> => {
        const v = await lockedVersion(tx, id);
        if (v.status === 'retired') {
          throw new GridcastError('VERSION_RETIRED', `${id} is retired and cannot be promoted; train a new version (rollback restores a previous champion)`, { id });
        }
        if (v.status === 'champion') throw new GridcastError('VERSION_ALREADY_CHAMPION', `${id} is already the champion of ${v.model}`, { id });
        const champion = await tx.champion(v.model);
        const overlaps = await tx.overlappingChampions(v.model, v.seriesIds);
        const refuse = (details: Record<string, unknown>) =>
          tx.appendAudit({ actor, action: 'promote-refused', entity: 'model_version', entityId: id, fromStatus: v.status, toStatus: v.status, reason, details: { ...details, champion: champion?.id ?? null } });
        if (overlaps.length > 0 && !by.replaceOverlap) {
          await refuse({ code: 'CHAMPION_OVERLAP', overlaps });
          return { overlapRefused: overlaps };
        }
        const verdict = await gate.check(v, champion);
        if (!verdict.allowed) {
          await refuse({ ...by.details, gate: gate.name, gateDetail: verdict.detail });
          return { refused: verdict.detail };
        }
        if (champion) await tx.setStatus(champion.id, 'retired', { actor, reason, action: 'retire', details: { replacedBy: id } });
        const version = await tx.setStatus(id, 'champion', {
          actor,
          reason,
          action: 'promote',
          details: { ...by.details, previousChampion: champion?.id ?? null, gate: gate.name, gateDetail: verdict.detail, ...(overlaps.length ? { replacesOverlap: overlaps } : {}) },
        });
        return { version, previousChampion: champion, overlaps };
      });
      if ('overlapRefused' in outcome) {
        const o = outcome.overlapRefused;
        const shared = o.map((c) => `${c.id} (${c.series.length > 5 ? `${c.series.slice(0, 5).join(', ')}, … ${c.series.length} series` : c.series.join(', ')})`).join('; ');
        throw new GridcastError(
          'CHAMPION_OVERLAP',
          `${id} covers series already served by another model's champion: ${shared}. Promote with --replace-overlap to have ${id} serve them (the other champion keeps the rest), or retire ${o.map((c) => c.id).join(', ')} first; nothing was changed.`,
          { id, overlaps: o },
        );
      }
      if ('refused' in outcome) throw new GridcastError('PROMOTION_REFUSED', `promotion of ${id} refused by the ${gate.name} gate: ${outcome.refused}`, { id, gate: gate.name });
      return outcome;
    },

    previousChampion: (model) => previousChampionIn(registry, model),

    /** A candidate starts shadow scoring (D5): its forecasts are stored, never published. */
    async shadow(id, by) {
      const actor = required(by.actor, 'ACTOR_REQUIRED', 'who changes the status (--by)');
      const reason = required(by.reason, 'REASON_REQUIRED', 'a reason (--reason)');
      return registry.transaction(async (tx) => {
        const v = await lockedVersion(tx, id);
        if (v.status !== 'candidate') throw new GridcastError('VERSION_STATUS_INVALID', `${id} is ${v.status}: only a candidate can go into shadow`, { id, status: v.status });
        return tx.setStatus(id, 'shadow', { actor, reason, action: 'shadow' });
      });
    },

    /** Retires a version; retiring the champion leaves its model without one (runs use the default model). */
    async retire(id, by) {
      const actor = required(by.actor, 'ACTOR_REQUIRED', 'who retires (--by)');
      const reason = required(by.reason, 'REASON_REQUIRED', 'a reason (--reason)');
      return registry.transaction(async (tx) => {
        const v = await lockedVersion(tx, id);
        if (v.status === 'retired') throw new GridcastError('VERSION_RETIRED', `${id} is already retired`, { id });
        return tx.setStatus(id, 'retired', { actor, reason, action: 'retire', details: { wasChampion: v.status === 'champion' } });
      });
    },

    /**
     * One-step rollback: the current champion of `model` is retired and the champion it replaced
     * serves again (audit 'retire' with rolledBackTo, then 'rollback'). The restored version's
     * own promotion names its predecessor, so a further rollback goes one step further back.
     * Without a champion or a predecessor: NO_PREVIOUS_CHAMPION. The restored version follows
     * the overlap rule of a promotion (CHAMPION_OVERLAP unless `replaceOverlap`).
     */
    async rollback(model, by) {
      const actor = required(by.actor, 'ACTOR_REQUIRED', 'who rolls back (--by)');
      const reason = required(by.reason, 'REASON_REQUIRED', 'a reason (--reason)');
      return registry.transaction(async (tx) => {
        if (!(await tx.lockModel(model))) throw new GridcastError('MODEL_NOT_FOUND', `no model '${model}' (see 'gridcast models list')`, { model });
        const current = await tx.champion(model);
        const previous = await previousChampionIn(tx, model);
        if (!current || !previous) {
          throw new GridcastError(
            'NO_PREVIOUS_CHAMPION',
            current ? `${current.id} replaced no champion: there is nothing to roll back to` : `${model} has no champion: there is nothing to roll back`,
            { model, champion: current?.id ?? null },
          );
        }
        const overlaps = await tx.overlappingChampions(model, previous.seriesIds);
        if (overlaps.length > 0 && !by.replaceOverlap) {
          throw new GridcastError(
            'CHAMPION_OVERLAP',
            `${previous.id} covers series now served by another model's champion (${overlaps.map((o) => o.id).join(', ')}): roll back with replaceOverlap to have it serve them again, or retire those first; nothing was changed.`,
            { id: previous.id, overlaps },
          );
        }
        await tx.setStatus(current.id, 'retired', { actor, reason, action: 'retire', details: { rolledBackTo: previous.id } });
        const version = await tx.setStatus(previous.id, 'champion', {
          actor,
          reason,
          action: 'rollback',
          details: { ...by.details, replaced: current.id, ...(overlaps.length ? { replacesOverlap: overlaps } : {}) },
        });
        return { version, replaced: current };
      });
    },
  };
}
