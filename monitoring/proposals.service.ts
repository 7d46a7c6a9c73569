import type { EventLog, MonitoringEvent } from '../core/events.ts';
import type { RegistryQueries } from '../core/registry.ts';

export interface ProposalReader {
  /** Open retraining proposals, newest first. */
  open(): Promise<MonitoringEvent[]>;
}

/**
 * A retrain-proposal is open while the version it names is still its model's champion (a
 * retrained version promoted, or a rollback, closes it) and no `alarm-acknowledged` event names
 * it (detail.eventId). The event log itself stays append-only: closing is derived, not written.
 */
export function createProposalReader(deps: { events: EventLog; registry: Pick<RegistryQueries, 'versions'> }): ProposalReader {
  return {
    async open() {
      const [proposals, acks, champions] = await Promise.all([
        deps.events.list({ kinds: ['retrain-proposal'], limit: 1000 }),
        deps.events.list({ kinds: ['alarm-acknowledged'], limit: 10_000 }),
        deps.registry.versions({ status: 'champion' }),
      ]);
      const acknowledged = new Set(acks.map((a) => a.detail.eventId));
      const championIds = new Set(champions.map((v) => v.id));
      return proposals.filter((p) => p.modelVersion !== null && championIds.has(p.modelVersion) && !acknowledged.has(p.id));
    },
  };
}
